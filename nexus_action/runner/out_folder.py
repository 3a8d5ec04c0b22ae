"""The `--out` folder: every run, dry or live, leaves the full report there, whatever was delivered.

comment.md, issue.md (with its title), summary.md, outputs.json, delivery.json, plan.json (every GitHub and
webhook request, made or, in a dry run, that would have been made) and payloads/<format>.json.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nexus_action.errors import NexusError
from nexus_action.report.redact import Redactor


class OutFolder:
    def __init__(self, path: Path, redactor: Redactor | None = None) -> None:
        self.path = path
        # The last pass over what the folder keeps (a safety net: the report and payloads come redacted).
        self.redactor = redactor

    def write(self, name: str, text: str) -> Path:
        """Write one file (the folder is made on first use), redacted when the folder has a redactor."""
        if self.redactor is not None:
            text = self.redactor.redact_body(text)
        return self._store(name, text)

    def _store(self, name: str, text: str) -> Path:
        target = self.path / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise NexusError(
                "NEXUS-INPUT-INVALID", f"cannot write {str(target)!r}: {exc.strerror or exc}", "Check --out."
            ) from None
        return target

    def write_json(self, name: str, data: Any) -> Path:
        if self.redactor is not None:
            data = self.redactor.redact_json(data)  # each string, so the JSON stays valid
        return self._store(name, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


_STATE_BLOCK = re.compile(r"<!-- nexus:(\w+) v(\d+) ([A-Za-z0-9+/=]+) -->")


def fold_state(markdown: str) -> str:
    """The hidden state is for machines; on a terminal show that it is there and how big, not the base64."""
    return _STATE_BLOCK.sub(
        lambda m: f"<!-- nexus:{m[1]} v{m[2]} ({len(m[3]):,} characters of base64 JSON) -->", markdown
    )


def overview(jobs: Iterable[Any], outputs: Mapping[str, str], *, report: Any, out_dir: Path) -> str:
    """What `make demo` shows: each job's classification, the outputs, the comment, the issue and the payloads."""
    lines = ["== Classification", ""]
    for job in jobs:
        c = job.classification
        top = c.top_blocker
        where = (
            f"{top.file}:{top.line}" if top and top.file and top.line else f"log line {top.log_line}" if top else "-"
        )
        lines.append(
            f"{job.name}: {c.domain} / {c.kind} ({c.failure_type}) -> {c.agent}, confidence {c.confidence:.2f}"
        )
        lines.append(f"  top blocker at {where}: {top.text if top else 'none found'}")
    lines += ["", "== Action outputs", ""]
    lines += [f"{name}: {value}" for name, value in outputs.items() if value]
    lines += ["", "== PR comment (comment.md)", "", fold_state(report.comment_md).rstrip()]
    lines += ["", f"== Fallback issue (issue.md): {report.issue_title}", ""]
    issue = fold_state(report.issue_md).splitlines()
    lines += [*issue[:12], f"... ({len(issue)} lines in all)" if len(issue) > 12 else ""]
    lines += ["", "== Webhook payloads", ""]
    for path in sorted((out_dir / "payloads").glob("*.json")):
        lines.append(f"{path}  ({path.stat().st_size:,} bytes)")
    lines.append("")
    return "\n".join(lines) + "\n"
