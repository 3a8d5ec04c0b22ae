"""`nexus-autofix report --dry-run` on a push with the dashboard enabled writes dashboard.md / dashboard.json."""

from __future__ import annotations

import json
from pathlib import Path

from nexus_action.cli import main

DATA = Path(__file__).resolve().parent.parent / "data" / "dashboard"


def run(tmp_path: Path, out: str, attempt: int, previous: Path | None = None) -> Path:
    env = {
        "AUTOFIX_DASHBOARD_ENABLED": "true",
        "GITHUB_RUN_ID": "555",
        "GITHUB_RUN_ATTEMPT": str(attempt),
        "GITHUB_WORKFLOW": "CI",
    }
    argv = ["report", "--dry-run", "--event", str(DATA / "push_event.json"), "--event-name", "push"]
    argv += ["--log", f"build={DATA / 'build.log'}", "--out", str(tmp_path / out)]
    if previous:
        argv += ["--previous", str(previous)]
    assert main(argv, env) == 0
    return tmp_path / out


def test_push_run_writes_the_dashboard(tmp_path: Path) -> None:
    first = run(tmp_path, "a", 1)
    body = (first / "dashboard.md").read_text(encoding="utf-8")
    assert "Latest 1 failed run across workflows" in body
    assert "[#555](https://github.com/Codertocat/Hello-World/actions/runs/555)" in body
    assert "| CI | main |" in body
    state = json.loads((first / "dashboard.json").read_text(encoding="utf-8"))
    assert [(r["run"], r["attempt"], r["jobs"][0]["name"]) for r in state["runs"]] == [(555, 1, "build")]


def test_same_attempt_then_a_rerun(tmp_path: Path) -> None:
    first = run(tmp_path, "a", 1)
    again = run(tmp_path, "b", 1, previous=first / "dashboard.md")
    assert len(json.loads((again / "dashboard.json").read_text(encoding="utf-8"))["runs"]) == 1
    rerun = run(tmp_path, "c", 2, previous=again / "dashboard.md")
    state = json.loads((rerun / "dashboard.json").read_text(encoding="utf-8"))
    assert [(r["run"], r["attempt"]) for r in state["runs"]] == [(555, 2), (555, 1)]
    assert "[#555 (attempt 2)]" in (rerun / "dashboard.md").read_text(encoding="utf-8")
    assert state["insights"]["failed_runs"] == 1


def test_dashboard_disabled_writes_none(tmp_path: Path) -> None:
    out = tmp_path / "off"
    argv = ["report", "--dry-run", "--event", str(DATA / "push_event.json"), "--event-name", "push"]
    argv += ["--log", f"build={DATA / 'build.log'}", "--out", str(out)]
    assert main(argv, {"GITHUB_RUN_ID": "1"}) == 0
    assert not (out / "dashboard.md").exists()
