"""The `report` command run end to end against the stand-in: event file, environment, runner files.

Used by the fault matrix to test what a user sees (exit code, step summary, --out folder, outputs, stderr),
through `nexus_action.cli.main` only, so it holds whatever the flow behind the CLI looks like.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from nexus_action import cli
from nexus_action.classify.model import Classification
from nexus_action.config.settings import Settings
from nexus_action.isotime import format_iso
from nexus_action.report import build_report
from nexus_action.report.model import FailedJob, GreenRun, Snapshot
from tests.fakegithub.scenarios import BOT, LOG, REPO, RUN_ID, SHA
from tests.fakegithub.server import FakeGitHub, Fault

ISSUE_TITLE = "NEXUS AutoFix report for PR #7"
# The real report's markers (nexus_action.report): a comment of ours that the run finds and updates.
OLD_REPORT = "<!-- nexus:report -->\n<!-- nexus:state v1 {state} -->\nold report"


def _state() -> str:
    return base64.b64encode(b'{"v": 1, "history": []}').decode()


def _failing_pr(app: FakeGitHub) -> None:
    app.add_pr(7, SHA, ("src/lib.rs", "Cargo.toml"))
    app.add_job(RUN_ID, "clippy", "failure", log=LOG, step="Run cargo clippy")
    app.add_job(RUN_ID, "build", "success", log=b"ok\n")


def _repeat(app: FakeGitHub) -> None:
    _failing_pr(app)
    app.add_comment(7, OLD_REPORT.format(state=_state()), BOT)


WORKFLOW_REF = f"{REPO}/.github/workflows/ci.yml@refs/pull/7/merge"
GREEN_SHA = "1f0c9a3e5b7d2c4a6e8f0b1d3c5e7a9b2d4f6a8c"


def _green_run(app: FakeGitHub) -> GreenRun:
    """Yesterday's green run of ci.yml on main (the CLI runs on the real clock: the run must be young enough)."""
    created = format_iso(datetime.now(timezone.utc) - timedelta(days=1))
    run_id = app.add_run("ci.yml", "main", "success", created, GREEN_SHA)
    job_id = app.add_job(run_id, "clippy", "success", log=LOG.replace(b"error: unused variable", b"checked"))
    url = f"{app.server_url}/{REPO}/actions/runs/{run_id}"
    return GreenRun(run_id, GREEN_SHA, url, created, "main", "ci.yml", {"clippy": job_id})


def _repeat_with_green(app: FakeGitHub) -> None:
    """A repeat failure whose earlier report was compared with the green run: the run reads it from that report
    (listing the PR's comments before comparing) instead of looking it up."""
    _failing_pr(app)
    green = _green_run(app)
    job = FailedJob("clippy", Classification("rust", "Rex", "lint", "rust_clippy", 0.9), job_id=1)
    earlier = Snapshot(REPO, RUN_ID - 1, 1, SHA, "feature", green.created_at, (job,), pr_number=7, workflow="CI")
    body = build_report(replace(earlier, green=green), None, settings=Settings(), now=green.created_at).comment_md
    app.add_comment(7, body, BOT)


def _first_with_green(app: FakeGitHub) -> None:
    _failing_pr(app)
    _green_run(app)


def _locked(app: FakeGitHub) -> None:
    _failing_pr(app)
    app.locked.add(7)


def _fork(app: FakeGitHub) -> None:
    app.add_pr(9, SHA, ("web/app.ts",))
    job_id = app.add_job(RUN_ID, "lint", "failure", log=None, step="Run eslint")
    app.annotations[job_id] = [
        {"path": "web/app.ts", "start_line": 4, "annotation_level": "failure", "message": "error  'x' is unused"}
    ]


def _pull_request_event() -> dict[str, Any]:
    head = {"sha": SHA, "ref": "feature", "repo": {"full_name": REPO}}
    base = {"ref": "main", "repo": {"full_name": REPO}}
    return {"action": "synchronize", "number": 7, "pull_request": {"number": 7, "head": head, "base": base}}


def _workflow_run_event() -> dict[str, Any]:
    run = {
        "id": RUN_ID,
        "name": "CI",
        "conclusion": "failure",
        "status": "completed",
        "head_sha": SHA,
        "head_branch": "feature",
        "pull_requests": [],  # a fork PR: resolved from head_sha
        "head_repository": {"full_name": "forker/octo-repo"},
        "repository": {"full_name": REPO},
        "run_attempt": 1,
    }
    return {"action": "completed", "workflow_run": run}


@dataclass(frozen=True)
class CliScenario:
    name: str
    setup: Callable[[FakeGitHub], None]
    event_name: str
    event: Callable[[], dict[str, Any]]
    job: str  # the failed job the report must name
    env: tuple[tuple[str, str], ...] = ()


CLI_SCENARIOS = {
    s.name: s
    for s in (
        CliScenario("first_failure", _failing_pr, "pull_request", _pull_request_event, "clippy"),
        CliScenario("repeat_failure", _repeat, "pull_request", _pull_request_event, "clippy"),
        CliScenario("locked_conversation", _locked, "pull_request", _pull_request_event, "clippy"),
        CliScenario("fork_pr_workflow_run", _fork, "workflow_run", _workflow_run_event, "lint"),
        CliScenario(
            "repeat_failure_green",
            _repeat_with_green,
            "pull_request",
            _pull_request_event,
            "clippy",
            (("GITHUB_WORKFLOW_REF", WORKFLOW_REF),),
        ),
        CliScenario(
            "first_failure_green",
            _first_with_green,
            "pull_request",
            _pull_request_event,
            "clippy",
            (("GITHUB_WORKFLOW_REF", WORKFLOW_REF),),
        ),
    )
}


@dataclass
class CliResult:
    code: int
    seconds: float
    stdout: str
    stderr: str
    summary: str
    outputs: str
    out_dir: Path

    def out_file(self, name: str) -> str:
        path = self.out_dir / name
        return path.read_text(encoding="utf-8") if path.is_file() else ""


def run_report(
    app: FakeGitHub,
    scenario: CliScenario,
    tmp: Path,
    *,
    deadline: float,
    faults: list[Fault],
    extra_env: dict[str, str] | None = None,
) -> CliResult:
    """Set the stand-in up, inject `faults`, run `nexus-autofix report` as the Action would, collect what it left."""
    scenario.setup(app)
    app.faults.extend(faults)
    tmp.mkdir(parents=True, exist_ok=True)
    event = tmp / "event.json"
    event.write_text(json.dumps({**scenario.event(), "repository": {"full_name": REPO}}), encoding="utf-8")
    summary, outputs, out_dir = tmp / "summary.md", tmp / "outputs.txt", tmp / "out"
    summary.touch()
    outputs.touch()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": scenario.event_name,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_RUN_ID": str(RUN_ID),
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_WORKFLOW": "CI",
        "GITHUB_JOB": "report",
        "GITHUB_SHA": SHA,
        "GITHUB_SERVER_URL": app.server_url,
        "GITHUB_API_URL": app.base_url,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_WORKSPACE": str(tmp),
        "RUNNER_TEMP": str(tmp),
        "GITHUB_TOKEN": "ghs_fakefakefakefakefake",
        "AUTOFIX_DEADLINE_SECONDS": f"{deadline:g}",
        "AUTOFIX_HTTP_RETRIES": "1",
        **dict(scenario.env),
        **(extra_env or {}),
    }
    stdout, stderr = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["report", "--out", str(out_dir)], env)
    seconds = time.monotonic() - started
    return CliResult(
        code,
        seconds,
        stdout.getvalue(),
        stderr.getvalue(),
        summary.read_text(encoding="utf-8"),
        outputs.read_text(encoding="utf-8"),
        out_dir,
    )
