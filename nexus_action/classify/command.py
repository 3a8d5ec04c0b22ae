"""`nexus-autofix classify`: read the log and changed files named on the command line, then classify."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from nexus_action.classify import classify_log
from nexus_action.classify.model import Classification
from nexus_action.config.settings import Settings
from nexus_action.errors import NexusError


def _unreadable(what: str, path: str, reason: str) -> NexusError:
    return NexusError(
        "NEXUS-INPUT-INVALID",
        f"cannot read {what} {path!r}: {reason}",
        f"Pass the path of a readable {what}, or - to read it from standard input.",
    )


def read_changed_files(source: str | None, stdin: IO[bytes]) -> list[str]:
    """One path per line; blank lines and `#` comments are skipped."""
    if not source:
        return []
    if source == "-":
        raw = stdin.read()
    else:
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise _unreadable("changed-files list", source, exc.strerror or str(exc)) from None
    lines = raw.decode("utf-8", "replace").splitlines()
    return [s for s in (line.strip() for line in lines) if s and not s.startswith("#")]


def classify_command(
    log: str,
    *,
    workflow: str | None,
    job: str | None,
    step: str | None,
    changed_files: str | None,
    settings: Settings,
    stdin: IO[bytes],
    redact: bool = True,
    baseline: str | None = None,
) -> Classification:
    """Classify the named log. Texts are redacted unless `redact` is False (`--no-redact`, for local use)."""
    if log == "-" and changed_files == "-":
        raise NexusError(
            "NEXUS-INPUT-INVALID",
            "the log and --changed-files cannot both come from standard input",
            "Give one of them as a file path.",
        )
    files = read_changed_files(changed_files, stdin)
    if log == "-":
        source: str | Path | IO[bytes] = stdin
    else:
        path = Path(log)
        if not path.is_file():
            reason = "it is a directory" if path.is_dir() else "no such file"
            raise _unreadable("log", log, reason)
        source = path
    if baseline is not None and not Path(baseline).is_file():
        reason = "it is a directory" if Path(baseline).is_dir() else "no such file"
        raise NexusError(
            "NEXUS-INPUT-INVALID",
            f"cannot read baseline log {baseline!r}: {reason}",
            "Pass --baseline the path of a passing run's log of the same job (a plain-text file).",
        )
    return classify_log(
        source,
        workflow=workflow,
        job=job,
        step=step,
        changed_files=files,
        routing=settings.routing,
        extra_rules=settings.extra_rules,
        redact=redact,
        baseline=baseline,
    )
