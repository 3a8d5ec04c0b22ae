"""The last-green-run lookup, replayed from cassettes recorded against the local stand-in GitHub."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from nexus_action.classify import classify_log
from nexus_action.classify.model import Classification
from nexus_action.github.green import GreenFinder, GreenLog, classify_against_green, green_branch, workflow_of
from nexus_action.report.model import GreenRun
from nexus_action.runner.context import RunContext
from tests.fakegithub.record import make_vcr
from tests.github.green_scenarios import (
    GREEN_LOG,
    GREEN_SHA,
    REPLAY_API_URL,
    SCENARIOS,
    GreenResult,
    GreenScenario,
    cassette_path,
    pr_context,
    run_scenario,
)


def replay(name: str) -> tuple[GreenResult, list[str]]:
    with make_vcr("none").use_cassette(str(cassette_path(name))) as cassette:
        result = run_scenario(SCENARIOS[name], REPLAY_API_URL)
        assert cassette.all_played, f"{name}: recorded requests were not made again"
        made = [f"{r.method} {r.path.removeprefix('/api/v3')}" for r in cassette.requests]
    return result, made


def test_found_once_per_workflow_then_one_log_call_per_failed_job() -> None:
    result, made = replay("found")
    test_log, lint_log = result.logs
    assert test_log.log is not None
    assert test_log.log.read_bytes() == GREEN_LOG  # streamed to a temporary file
    assert test_log.skipped is None
    assert lint_log.log is not None
    assert lint_log.log.read_bytes() == b"ok\n"
    run = test_log.run
    assert run is not None
    assert run.head_sha == GREEN_SHA
    assert run.branch == "main"
    assert run.jobs == {"lint": 1004, "test (3.12)": 1005}  # the skipped matrix leg is no green job
    assert made[0] == "GET /repos/octo-org/octo-repo/actions/workflows/ci.yml/runs"
    assert made[1] == "GET /repos/octo-org/octo-repo/actions/runs/1001/jobs"
    assert result.api_calls == 4  # 2 to find the run and its jobs, then 1 per failed job


def test_cached_green_run_costs_only_the_log() -> None:
    result, made = replay("cached")
    assert result.logs[0].log is not None
    assert result.logs[0].log.read_bytes() == GREEN_LOG
    assert made == ["GET /repos/octo-org/octo-repo/actions/jobs/1005/logs", "GET /_blobs/logs/1005"]
    assert result.api_calls == 1


@pytest.mark.parametrize("name", ["cached_too_old", "cached_other_workflow"])
def test_a_cached_run_that_no_longer_fits_is_looked_up_again(name: str) -> None:
    result, made = replay(name)
    run = result.logs[0].run
    assert run is not None
    assert run.run_id == 1001  # the green run the lookup finds today, not the one the earlier report used
    assert run.head_sha == GREEN_SHA
    assert result.logs[0].log is not None
    assert made[:2] == [
        "GET /repos/octo-org/octo-repo/actions/workflows/ci.yml/runs",
        "GET /repos/octo-org/octo-repo/actions/runs/1001/jobs",
    ]
    assert result.api_calls == 3


@pytest.mark.parametrize(
    ("name", "reason", "calls"),
    [
        ("none", "no successful run of this workflow on main", 1),
        ("too_old", "the last green run on main (2025-12-01) is older than 14 days", 1),
        ("no_such_job", "the last green run has no successful job named 'test (3.13)'", 2),
        ("log_gone", "the green run's log of 'test (3.12)' is gone or unreadable (HTTP 404)", 3),
    ],
)
def test_skipped_with_the_reason(name: str, reason: str, calls: int) -> None:
    result, _ = replay(name)
    assert result.logs[0].log is None
    assert result.logs[0].skipped == reason
    assert result.api_calls == calls


class NoCalls:
    """An API that fails the test when called: these paths must not reach GitHub."""

    api_calls = 0

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected API call: {name}")


def test_off_or_out_of_time_makes_no_call() -> None:
    off = run_scenario(GreenScenario(lambda app: None, enabled=False), REPLAY_API_URL, api=NoCalls())  # type: ignore[arg-type]
    assert off.logs[0] == GreenLog(None)  # off: no comparison and no note
    late = run_scenario(GreenScenario(lambda app: None, seconds_left=20.0), REPLAY_API_URL, api=NoCalls())  # type: ignore[arg-type]
    assert late.logs[0].skipped == "the run's deadline is near (20 s left)"


def test_no_workflow_to_look_up_by_makes_no_call_and_no_note() -> None:
    finder = GreenFinder(NoCalls(), pr_context(), workflow=None, now="2026-01-10T00:00:00Z")  # type: ignore[arg-type]
    assert finder.log_for("test (3.12)") == GreenLog(None)
    assert finder.used is None


def cached_finder(*runs: GreenRun, ctx: RunContext | None = None) -> tuple[GreenFinder, list[int]]:
    """A finder whose PR report says it used `runs`, over an API that fails the test when called."""
    asked: list[int] = []

    def cached(pr_number: int) -> tuple[GreenRun, ...]:
        asked.append(pr_number)
        return runs

    finder = GreenFinder(
        NoCalls(),  # type: ignore[arg-type]
        ctx or pr_context(),
        workflow="ci.yml",
        now="2026-01-10T00:00:00Z",
        cached=cached,
    )
    return finder, asked


def test_a_cached_run_for_another_branch_is_not_used() -> None:
    finder, _ = cached_finder(GreenRun(1, GREEN_SHA, "u", "2026-01-09T10:00:00Z", "release", "ci.yml", {"t": 5}))
    with pytest.raises(AssertionError, match="unexpected API call"):
        finder.run()


def test_the_newest_cached_run_of_this_workflow_and_branch_is_used_without_a_call() -> None:
    other = GreenRun(3, "3" * 40, "u3", "2026-01-09T12:00:00Z", "main", "lint.yml", {"lint": 30})
    mine = GreenRun(2, GREEN_SHA, "u2", "2026-01-09T10:00:00Z", "main", "ci.yml", {"test (3.12)": 20})
    older = GreenRun(1, "1" * 40, "u1", "2026-01-08T10:00:00Z", "main", "ci.yml", {"test (3.12)": 10})
    finder, asked = cached_finder(other, mine, older)
    assert finder.run() == (mine, None)
    assert finder.run() == (mine, None)
    assert asked == [7]  # the PR's report is asked once, for the run's PR


def test_a_cached_run_with_no_job_left_is_not_used() -> None:
    finder, _ = cached_finder(GreenRun(2, GREEN_SHA, "u2", "2026-01-09T10:00:00Z", "main", "ci.yml", {}))
    with pytest.raises(AssertionError, match="unexpected API call"):
        finder.run()


def test_no_pr_no_earlier_report_to_ask() -> None:
    push = RunContext(event_name="push", repository="o/r", head_branch="main")
    finder, asked = cached_finder(ctx=push)
    with pytest.raises(AssertionError, match="unexpected API call"):
        finder.run()
    assert asked == []


def test_nothing_is_read_or_looked_up_when_the_comparison_is_off() -> None:
    finder, asked = cached_finder()
    finder.enabled = False
    assert finder.run() == (None, None)
    assert asked == []


def test_branch_is_the_pr_base_or_the_pushed_branch() -> None:
    assert green_branch(pr_context()) == "main"
    push = RunContext(event_name="push", repository="o/r", head_branch="release/2.x", default_branch="main")
    assert green_branch(push) == "release/2.x"


def test_workflow_from_the_workflow_run_payload_or_the_workflow_ref() -> None:
    ctx = RunContext(event_name="workflow_run", repository="o/r", payload={"workflow_run": {"workflow_id": 161335}})
    assert workflow_of(ctx) == "161335"
    assert workflow_of(pr_context(), "o/r/.github/workflows/ci.yml@refs/pull/7/merge") == "ci.yml"
    assert workflow_of(pr_context(), "") is None


def test_green_run_survives_the_hidden_state_and_rejects_edits() -> None:
    run = GreenRun(1, GREEN_SHA, "u", "2026-01-09T10:00:00Z", "main", "ci.yml", {"a": 2})
    assert GreenRun.from_dict(run.to_dict()) == run
    assert GreenRun.from_dict({**run.to_dict(), "run_id": "1"}) is None
    assert GreenRun.from_dict({**run.to_dict(), "jobs": {"a": "2", "b": 3}}) == GreenRun(
        1, GREEN_SHA, "u", "2026-01-09T10:00:00Z", "main", "ci.yml", {"b": 3}
    )


FAILING = (
    GREEN_LOG.replace(b"2 passed in 0.12s", b"FAILED tests/test_a.py::test_two - assert 1 == 2")
    + b"2026-01-09T10:00:01.6000000Z 1 failed, 1 passed in 0.15s\n"
    + b"2026-01-09T10:00:01.7000000Z ##[error]Process completed with exit code 1.\n"
)


def test_classify_against_green_compares_or_says_why_not(tmp_path: Path) -> None:
    green_file = tmp_path / "green.log"
    green_file.write_bytes(GREEN_LOG)
    compared = classify_against_green(classify_log, FAILING, GreenLog(None, log=green_file))
    assert not green_file.exists()  # the temporary green log is removed once it has been read
    assert compared.baseline is not None
    assert compared.baseline.used
    assert compared.top_blocker is not None
    assert compared.top_blocker.new_since_baseline is True
    skipped = classify_against_green(classify_log, FAILING, GreenLog(None, skipped="no green run"))
    assert skipped.baseline is not None
    assert skipped.baseline.note == "no green run"
    plain = classify_log(BytesIO(FAILING))
    assert skipped.top_blocker == plain.top_blocker
    assert classify_against_green(classify_log, FAILING, None) == plain
    assert isinstance(plain, Classification)
    assert plain.baseline is None
