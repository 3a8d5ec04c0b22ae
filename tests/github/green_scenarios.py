"""Scenarios of the last-green-run lookup against the local stand-in GitHub, one cassette each.

Re-record: `python -m tests.github.green_scenarios` (writes tests/cassettes/green/<scenario>.yaml).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nexus_action.config.settings import Settings
from nexus_action.github.client import GitHubApi, connect
from nexus_action.github.green import GreenFinder, GreenLog
from nexus_action.report.model import GreenRun
from nexus_action.runner.context import RunContext
from tests.fakegithub.record import REPLAY_API_URL, make_vcr
from tests.fakegithub.server import FakeGitHub, Fault

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "green"
NOW = "2026-01-10T12:00:00Z"
GREEN_SHA = "1f0c9a3e5b7d2c4a6e8f0b1d3c5e7a9b2d4f6a8c"
HEAD_SHA = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
WORKFLOW = "ci.yml"
GREEN_LOG = (
    b"\xef\xbb\xbf2026-01-09T10:00:00.1000000Z ##[group]Run pytest -q\n"
    b"2026-01-09T10:00:00.2000000Z pytest -q\n"
    b"2026-01-09T10:00:00.3000000Z ##[endgroup]\n"
    b"2026-01-09T10:00:01.4000000Z tests/test_a.py ..                                  [100%]\n"
    b"2026-01-09T10:00:01.5000000Z 2 passed in 0.12s\n"
)


def pr_context() -> RunContext:
    return RunContext(
        event_name="pull_request",
        repository="octo-org/octo-repo",
        run_id=4242,
        workflow="CI",
        head_sha=HEAD_SHA,
        head_branch="feature",
        base_branch="main",
        pr_numbers=(7,),
    )


def green_run(app: FakeGitHub, *, created_at: str = "2026-01-09T10:00:00Z", log: bytes | None = GREEN_LOG) -> int:
    run_id = app.add_run(WORKFLOW, "main", "success", created_at, GREEN_SHA)
    app.add_run(WORKFLOW, "main", "failure", "2026-01-09T12:00:00Z", "2" * 40)  # newer, but red
    app.add_run(WORKFLOW, "feature", "success", "2026-01-09T13:00:00Z", "4" * 40)  # newer, other branch
    app.add_job(run_id, "lint", "success", log=b"ok\n")
    app.add_job(run_id, "test (3.12)", "success", log=log)
    app.add_job(run_id, "test (3.13)", "skipped", log=None)
    return run_id


CACHED_JOBS = {"lint": 1004, "test (3.12)": 1005}  # the ids the stand-in gives green_run's jobs


@dataclass
class GreenScenario:
    setup: Callable[[FakeGitHub], None]
    jobs: tuple[str, ...] = ("test (3.12)",)
    cached: tuple[GreenRun, ...] = ()  # what the PR's earlier report says it was compared with, newest first
    seconds_left: float | None = None
    enabled: bool = True
    faults: list[Fault] = field(default_factory=list)


@dataclass
class GreenResult:
    logs: list[GreenLog]
    api_calls: int


def run_scenario(scenario: GreenScenario, api_url: str, *, api: GitHubApi | None = None) -> GreenResult:
    api = api or connect(Settings(), api_url, sleep=lambda _s: None, clock=lambda: 0.0, random_fn=lambda: 0.0)
    finder = GreenFinder(
        api,
        pr_context(),
        workflow=WORKFLOW,
        now=NOW,
        enabled=scenario.enabled,
        cached=(lambda _pr: scenario.cached) if scenario.cached else None,
        seconds_left=lambda: scenario.seconds_left,
    )
    logs = [finder.log_for(name) for name in scenario.jobs]
    return GreenResult(logs, api.api_calls)


def _gone(app: FakeGitHub) -> None:
    green_run(app)
    app.faults.append(Fault("GET", r".*/actions/jobs/\d+/logs", status=404, body={"message": "Not Found"}))


SCENARIOS = {
    "found": GreenScenario(green_run, jobs=("test (3.12)", "lint")),
    "none": GreenScenario(lambda app: app.add_run(WORKFLOW, "main", "failure", "2026-01-09T12:00:00Z", "3" * 40)),
    "too_old": GreenScenario(lambda app: green_run(app, created_at="2025-12-01T10:00:00Z")),
    "no_such_job": GreenScenario(green_run, jobs=("test (3.13)",)),
    "log_gone": GreenScenario(_gone),
    "cached": GreenScenario(
        green_run,
        cached=(
            GreenRun(
                1001, GREEN_SHA, "https://github.example/r/1001", "2026-01-09T10:00:00Z", "main", WORKFLOW, CACHED_JOBS
            ),
        ),
    ),
    # What the earlier report used no longer fits: looked up again, and the run found is today's green run.
    "cached_too_old": GreenScenario(
        green_run,
        cached=(
            GreenRun(
                900,
                "9" * 40,
                "https://github.example/r/900",
                "2025-12-01T10:00:00Z",
                "main",
                WORKFLOW,
                {"test (3.12)": 901},
            ),
        ),
    ),
    "cached_other_workflow": GreenScenario(
        green_run,
        cached=(
            GreenRun(
                950,
                "9" * 40,
                "https://github.example/r/950",
                "2026-01-09T11:00:00Z",
                "main",
                "lint.yml",
                {"test (3.12)": 951},
            ),
        ),
    ),
}


def cassette_path(name: str) -> Path:
    return CASSETTES / f"{name}.yaml"


def record(name: str) -> None:
    scenario = SCENARIOS[name]
    app = FakeGitHub()
    url = app.start("/api/v3")
    try:
        scenario.setup(app)
        path = cassette_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        with make_vcr("all", app.root_url).use_cassette(str(path)):
            result = run_scenario(scenario, url)
    finally:
        app.stop()
    print(f"{name}: {result.api_calls} API calls -> {path}")


def main(argv: list[str]) -> int:
    for name in argv or list(SCENARIOS):
        record(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["REPLAY_API_URL", "SCENARIOS", "run_scenario"]
