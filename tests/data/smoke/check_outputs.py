#!/usr/bin/env python3
"""Check the outputs of one dry-run of the Action against a smoke fixture's expectations.

Used by .github/workflows/nexus_smoke.yml (outputs arrive as NEXUS_OUTPUT_<NAME> variables) and by
tests/test_action_harness.py (which imports `check`). Prints every problem, exits 1 if there is any.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

OUTPUTS = (
    "domain",
    "agent",
    "kind",
    "failure-type",
    "top-blocker",
    "confidence",
    "delivered-via",
    "comment-url",
    "issue-url",
    "report-path",
)
# Outputs that must be non-empty after a dry-run on a failing log (URLs stay empty: nothing was written).
REQUIRED = ("domain", "agent", "kind", "failure-type", "top-blocker", "confidence", "delivered-via", "report-path")
# A dry-run says so instead of naming a channel: nothing was delivered.
DRY_RUN_DELIVERY = "dry-run"


def check(fixture_dir: Path, outputs: Mapping[str, str]) -> list[str]:
    """Problems found (empty when the outputs and report files are what the fixture expects)."""
    fixture = json.loads((fixture_dir / "fixture.json").read_text(encoding="utf-8"))
    problems = [f"output {name} is empty" for name in REQUIRED if not outputs.get(name, "").strip()]
    expect = fixture["expect"]
    for name in ("domain", "agent", "kind", "failure-type"):
        if name in expect and outputs.get(name) != expect[name]:
            problems.append(f"output {name} is {outputs.get(name)!r}, expected {expect[name]!r}")
    needle = expect.get("top_blocker_contains")
    if needle and needle not in outputs.get("top-blocker", ""):
        problems.append(f"output top-blocker {outputs.get('top-blocker')!r} does not mention {needle!r}")
    try:
        confidence = float(outputs.get("confidence", ""))
    except ValueError:
        problems.append(f"output confidence {outputs.get('confidence')!r} is not a number")
    else:
        if not 0.0 < confidence <= 1.0:
            problems.append(f"output confidence {confidence} is outside (0, 1]")
    if outputs.get("delivered-via") != DRY_RUN_DELIVERY:
        problems.append(f"output delivered-via is {outputs.get('delivered-via')!r}, expected {DRY_RUN_DELIVERY!r}")
    if outputs.get("comment-url") or outputs.get("issue-url"):
        problems.append("a dry-run reported a comment or issue URL: something was written to GitHub")
    problems += _check_report_folder(Path(outputs.get("report-path", "")), fixture["report_files"], outputs)
    return problems


def _check_report_folder(folder: Path, files: list[str], outputs: Mapping[str, str]) -> list[str]:
    if not folder.is_dir():
        return [f"report-path {str(folder)!r} is not a folder"]
    problems = [f"report file {name} is missing or empty" for name in files if not _non_empty(folder / name)]
    if _non_empty(folder / "outputs.json"):
        recorded = json.loads((folder / "outputs.json").read_text(encoding="utf-8"))
        for name in OUTPUTS:
            key = name if name in recorded else name.replace("-", "_")
            if key in recorded and name != "report-path" and str(recorded[key] or "") != outputs.get(name, ""):
                problems.append(f"outputs.json {key}={recorded[key]!r} differs from the step output {name}")
    return problems


def _non_empty(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def main() -> int:
    fixture_dir = Path(sys.argv[1])
    outputs = {name: os.environ.get("NEXUS_OUTPUT_" + name.upper().replace("-", "_"), "") for name in OUTPUTS}
    problems = check(fixture_dir, outputs)
    for name in OUTPUTS:
        print(f"{name:>14}: {outputs[name]}")
    for problem in problems:
        print(f"::error title=NEXUS smoke ({fixture_dir.name})::{problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
