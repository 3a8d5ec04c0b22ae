"""Fault matrix: every GitHub call of the chain x every failure GitHub can give.

Runs against the live local stand-in (tests/fakegithub) with faults injected on one endpoint at a time,
persistently. For each case it asserts which channel delivered, how many requests hit the failing
endpoint, how long the client would have slept (the sleep is injected: nothing really waits), and that
no case loses the report or leaves two comments. Settings: 2 retries, 60 s cap, retry-after respected,
jitter pinned to its low end (backoffs 0.5 s then 1 s).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus_action.github.client import GitHubCallError
from tests.fakegithub.cli_run import CLI_SCENARIOS, CliResult, run_report
from tests.fakegithub.faults import at, fault_kinds
from tests.fakegithub.scenarios import BOT, SCENARIOS, ChainResult, is_report, run_chain
from tests.fakegithub.server import FakeGitHub, Fault
from tests.fakegithub.transport import transport_faults

R = "/repos/octo-org/octo-repo"
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
FAULTS = {
    "401": Fault("", "", 401, body={"message": "Bad credentials"}),
    "403-permission": Fault("", "", 403, body={"message": "Resource not accessible by integration"}),
    "403-secondary-retry-after": Fault("", "", 403, {"Retry-After": "30"}, {"message": SECONDARY}),
    "429-retry-after": Fault("", "", 429, {"Retry-After": "5"}, {"message": "Too Many Requests"}),
    "429": Fault("", "", 429, body={"message": "Too Many Requests"}),
    "500": Fault("", "", 500, body={"message": "Server Error"}),
    "502": Fault("", "", 502, body={"message": "Bad Gateway"}),
    "timeout": Fault("", "", transport="timeout"),
    "reset": Fault("", "", transport="reset"),
}
RATE_WAIT = {"403-secondary-retry-after": 30.0, "429-retry-after": 5.0, "429": 60.0}
KIND = {"401": "unauthorized", "403-permission": "forbidden", **dict.fromkeys(RATE_WAIT, "rate-limited")}

# (scenario, method, path regex, stage). The stage decides which channel should deliver.
CALLS = [
    ("repeat_failure", "GET", R + r"/actions/runs/\d+/jobs", "jobs"),
    ("repeat_failure", "GET", R + r"/actions/jobs/\d+/logs", "gather"),
    ("repeat_failure", "GET", R + r"/pulls/7/files", "gather"),
    ("fork_pr_workflow_run", "GET", R + r"/check-runs/\d+/annotations", "gather"),
    ("fork_pr_workflow_run", "GET", R + r"/commits/[0-9a-f]+/pulls", "resolve"),
    ("repeat_failure", "GET", R + r"/issues/7/comments", "comment"),
    ("repeat_failure", "PATCH", R + r"/issues/comments/\d+", "comment"),
    ("first_failure", "POST", R + r"/issues/7/comments", "comment-create"),
    ("concurrent_duplicate", "DELETE", R + r"/issues/comments/\d+", "settle"),
    ("concurrent_duplicate", "PATCH", R + r"/issues/comments/\d+", "settle"),
    ("locked_conversation", "GET", R + r"/issues", "issue"),
    ("locked_conversation", "GET", R + r"/labels/[^/]+", "issue"),
    ("locked_conversation", "POST", R + r"/labels", "issue-post"),
    ("locked_conversation", "POST", R + r"/issues", "issue-create"),
    ("recovery", "POST", R + r"/issues/\d+/comments", "close"),
    ("recovery", "PATCH", R + r"/issues/\d+", "close"),
]


def expected_hits(fault: str, method: str, stage: str) -> int:
    if fault in ("401", "403-permission"):
        return 1  # never retried
    if fault in RATE_WAIT or method != "POST":
        return 3  # 1 + 2 retries (a rate-limited POST was not processed, so it may repeat)
    if fault == "timeout":
        return 1  # the POST went through; we find it by its marker instead of posting again
    return 3 if stage == "comment-create" else 1  # the comment re-lists and retries; other POSTs do not


def expected_sleep(fault: str, method: str, stage: str) -> float:
    if fault in RATE_WAIT:
        return 2 * RATE_WAIT[fault]
    if expected_hits(fault, method, stage) == 1:
        return 0.0
    return 1.5  # jittered backoff 0.5 + 1.0


def expected_channel(fault: str, stage: str) -> str:
    if stage in ("gather", "close", "settle"):
        return "comment"  # a missing log or file list, or an unclosed issue, does not stop the comment
    if stage == "resolve":
        return "webhook"  # the PR is unknown: no-PR path
    if stage == "comment-create" and fault == "timeout":
        return "comment"  # the write happened: adopted, not repeated
    if stage.startswith("comment"):
        return "issue"
    if stage == "issue-create" and fault == "timeout":
        return "issue"
    return "webhook"


@pytest.fixture
def app() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    fake.start("/api/v3")
    yield fake
    fake.stop()


def run(app: FakeGitHub, scenario_name: str) -> ChainResult:
    scenario = dataclasses.replace(SCENARIOS[scenario_name], webhook=True)
    scenario.setup(app)
    with transport_faults(app):
        return run_chain(scenario, app.base_url)


def hits(app: FakeGitHub, method: str, pattern: str) -> int:
    return sum(1 for m, p in app.seen if m == method and re.fullmatch(pattern, p))


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("call", CALLS, ids=[f"{c[1]} {c[2][len(R) :]}" for c in CALLS])
def test_fault_matrix(app: FakeGitHub, fault: str, call: tuple[str, str, str, str]) -> None:
    scenario, method, path, stage = call
    app.faults.append(dataclasses.replace(FAULTS[fault], method=method, path=path))
    if stage == "jobs":
        with pytest.raises(GitHubCallError) as caught:
            run(app, scenario)
        assert caught.value.failure.kind == KIND.get(fault, "unavailable")
        assert hits(app, method, path) == expected_hits(fault, method, stage)
        assert not [m for m, _ in app.seen if m != "GET"]  # nothing written from a run we could not read
        return
    result = run(app, scenario)
    outcome = result.outcome
    assert outcome.delivered_via == expected_channel(fault, stage)
    assert hits(app, method, path) == expected_hits(fault, method, stage)
    assert result.sleeps == [w for w in result.sleeps if w <= 60.0]  # never above the cap
    assert sum(result.sleeps) == pytest.approx(expected_sleep(fault, method, stage))
    assert outcome.slept_seconds == pytest.approx(expected_sleep(fault, method, stage))
    # The outcome counts exactly the API requests GitHub saw (log storage downloads are not API calls).
    assert outcome.api_calls == len([p for _, p in app.seen if not p.startswith("/_blobs/")])
    # No report lost: rendered, and either delivered or every failed attempt named in the summary.
    assert outcome.report is not None
    assert outcome.report.comment_md
    if outcome.delivered_via == "summary-only":
        assert outcome.attempts
    for attempt in outcome.attempts:
        assert attempt.operation in outcome.summary_md()
    # Never two reports, whatever failed, with one exception: when the older duplicate cannot take our state
    # (its PATCH fails), ours stays as well rather than being deleted with the only copy of this run's report;
    # the next writer that lists both merges them. An undeletable duplicate is turned into a pointer.
    kept = 2 if (stage, method) == ("settle", "PATCH") else 1
    for pr in (7, 9):
        assert len([c for c in app.bot_comments(pr) if is_report(c["body"])]) <= kept
        assert len(app.bot_comments(pr)) <= (2 if stage == "settle" else 1)
    if outcome.delivered_via == "webhook":
        assert result.alerts == [(False, False)]
    else:
        assert result.alerts == []
    channel = "issue" if stage.startswith("issue") else "comment"
    failing = [a for a in outcome.attempts if a.channel == channel and a.operation.startswith(method)]
    if stage.startswith(("comment", "issue")) and outcome.delivered_via != channel:
        assert failing, "the failed attempt must be recorded"
        assert failing[0].reason.startswith(KIND.get(fault, "unavailable"))


def test_a_transient_502_is_retried_once_and_the_comment_updated(app: FakeGitHub) -> None:
    app.faults.append(Fault("PATCH", R + r"/issues/comments/\d+", 502, times=1))
    result = run(app, "repeat_failure")
    assert result.outcome.delivered_via == "comment"
    assert result.sleeps == [0.5]
    assert result.outcome.api_calls == 7  # the steady-state 6 (with the re-read after the write), plus the retry


def test_a_wait_longer_than_the_cap_gives_up_at_once(app: FakeGitHub) -> None:
    app.faults.append(Fault("PATCH", R + r"/issues/comments/\d+", 429, {"Retry-After": "600"}))
    result = run(app, "repeat_failure")
    assert result.outcome.delivered_via == "issue"
    assert result.sleeps == []
    assert "600s" in result.outcome.attempts[0].reason
    assert result.outcome.attempts[0].code == "NEXUS-RATE-LIMITED"


def test_primary_rate_limit_waits_until_the_reset(app: FakeGitHub) -> None:
    # run_chain's clock is 1_767_225_600; the window resets 20 s later (+1 s for the unknown sub-second).
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1767225620"}
    app.faults.append(
        Fault("PATCH", R + r"/issues/comments/\d+", 403, headers, {"message": "API rate limit exceeded"}, times=1)
    )
    result = run(app, "repeat_failure")
    assert result.outcome.delivered_via == "comment"
    assert result.sleeps == [21.0]


def test_retry_after_is_ignored_when_not_respected(app: FakeGitHub) -> None:
    app.faults.append(Fault("PATCH", R + r"/issues/comments/\d+", 429, {"Retry-After": "5"}))
    scenario = dataclasses.replace(
        SCENARIOS["repeat_failure"],
        settings=dataclasses.replace(SCENARIOS["repeat_failure"].settings, respect_retry_after=False),
    )
    scenario.setup(app)
    result = run_chain(scenario, app.base_url)
    assert result.sleeps == []
    assert result.outcome.delivered_via == "issue"
    assert hits(app, "PATCH", R + r"/issues/comments/\d+") == 1


def test_a_5xx_that_hid_a_comment_is_adopted_not_posted_twice(app: FakeGitHub) -> None:
    # The stand-in stores the comment, then the client's read times out: only the marker can tell.
    app.faults.append(Fault("POST", R + r"/issues/7/comments", transport="timeout", times=1))
    result = run(app, "first_failure")
    assert result.outcome.delivered_via == "comment"
    assert len(app.bot_comments(7)) == 1
    assert hits(app, "POST", R + r"/issues/7/comments") == 1
    assert app.bot_comments(7)[0]["html_url"] == result.outcome.comment_url
    assert app.bot_comments(7)[0]["user"]["login"] == BOT


def test_every_channel_failing_still_keeps_the_report(app: FakeGitHub) -> None:
    app.faults.append(Fault("GET", R + r"/issues/7/comments", 401, body={"message": "Bad credentials"}))
    app.faults.append(Fault("GET", R + r"/issues", 401, body={"message": "Bad credentials"}))
    scenario = SCENARIOS["repeat_failure"]  # no webhook configured
    scenario.setup(app)
    result = run_chain(scenario, app.base_url)
    outcome = result.outcome
    assert outcome.delivered_via == "summary-only"
    assert outcome.failed
    assert outcome.report is not None
    assert "NEXUS AutoFix" in outcome.report.summary_md
    assert [a.channel for a in outcome.attempts] == ["comment", "issue"]
    assert all(a.code == "NEXUS-TOKEN-FORBIDDEN" for a in outcome.attempts)
    assert "NEXUS-TOKEN-FORBIDDEN" in outcome.summary_md()
    assert outcome.outputs()["delivered-via"] == "summary-only"


# --- The same faults seen from the command line: what a user of the Action gets -----------------------------
#
# Every GitHub call `report` makes x every fault, through `nexus_action.cli.main` with GITHUB_API_URL at the
# stand-in: exit 0 (fail-on-error is off by default), the full report in the step
# summary and the --out folder, delivered somewhere or the summary says why not, no green claim for a failed
# run, never NEXUS-INTERNAL, and within the deadline. Real time: waits and drips are not faked here.

CLI_DEADLINE = 3.0
# Importing, classifying and rendering take CPU time outside the network deadline; on a loaded machine, this much.
CLI_OVERHEAD = 2.0
CLI_FAULTS = fault_kinds()
CLI_CALLS = [
    ("repeat_failure", "GET", R + r"/actions/runs/\d+/jobs"),
    ("repeat_failure", "GET", R + r"/actions/jobs/\d+/logs"),
    ("repeat_failure", "GET", r"/_blobs/logs/\d+"),
    ("repeat_failure", "GET", R + r"/pulls/7/files"),
    ("repeat_failure", "GET", R + r"/issues/7/comments"),
    ("repeat_failure", "PATCH", R + r"/issues/comments/\d+"),
    ("first_failure", "POST", R + r"/issues/7/comments"),
    ("locked_conversation", "GET", R + r"/issues"),
    ("locked_conversation", "GET", R + r"/labels/[^/]+"),
    ("locked_conversation", "POST", R + r"/labels"),
    ("locked_conversation", "POST", R + r"/issues"),
    ("fork_pr_workflow_run", "GET", R + r"/commits/[0-9a-f]+/pulls"),
    ("fork_pr_workflow_run", "GET", R + r"/check-runs/\d+/annotations"),
    # Comparing with the last green run: the PR's comments are listed before comparing (the green run is read
    # from the earlier report's state), and the green run is looked up when there is no earlier report.
    ("repeat_failure_green", "GET", R + r"/issues/7/comments"),
    ("first_failure_green", "GET", R + r"/actions/workflows/[^/]+/runs"),
]
GREEN_CLAIMS = ("Recovered", "All jobs pass", "all jobs pass")
REPORT_HEADING = "### NEXUS AutoFix"
JOBS = R + r"/actions/runs/\d+/jobs"
FIGURES: list[tuple[str, float, bool]] = []  # (cell, seconds, passed)


@pytest.fixture(scope="module")
def figures() -> Iterator[list[tuple[str, float, bool]]]:
    yield FIGURES
    if FIGURES:
        worst = max(FIGURES, key=lambda f: f[1])
        passed = sum(1 for f in FIGURES if f[2])
        print(
            f"\nCLI fault matrix: {len(FIGURES)} cells, {passed} passed; worst wall time {worst[1]:.2f} s "
            f"({worst[0]}) with a {CLI_DEADLINE:g} s deadline"
        )


def _jobs_listed(app: FakeGitHub, faulty: str) -> bool:
    return faulty != JOBS and hits(app, "GET", JOBS) > 0


def _delivered_or_explained(result: CliResult) -> bool:
    via = re.search(r"^delivered-via<<\w+\n(.*?)\n", result.outputs, re.MULTILINE)
    if via and via.group(1) in ("comment", "issue", "webhook"):
        return True
    return "### Delivery" in result.summary and "NEXUS-" in result.summary


@pytest.mark.parametrize("fault", list(CLI_FAULTS))
@pytest.mark.parametrize("call", CLI_CALLS, ids=[f"{c[1]} {c[2].removeprefix(R)}" for c in CLI_CALLS])
def test_cli_fault_matrix(
    app: FakeGitHub, tmp_path: Path, fault: str, call: tuple[str, str, str], figures: list[tuple[str, float, bool]]
) -> None:
    scenario_name, method, path = call
    scenario = CLI_SCENARIOS[scenario_name]
    cell = f"{method} {path.removeprefix(R)} x {fault}"
    passed = False
    try:
        with transport_faults(app):
            result = run_report(
                app, scenario, tmp_path, deadline=CLI_DEADLINE, faults=[at(CLI_FAULTS[fault], method, path)]
            )
        assert "NEXUS-INTERNAL" not in result.stderr + result.summary, result.stderr
        assert result.code == 0, result.stderr
        # The full report, in the step summary and in the --out folder; once the jobs were listed, it names the
        # failed job (before that, what is known: the run, and why the jobs could not be listed).
        assert REPORT_HEADING in result.summary, result.summary
        assert REPORT_HEADING in result.out_file("summary.md")
        assert result.out_file("comment.md")
        if _jobs_listed(app, path):
            assert scenario.job in result.summary
            assert scenario.job in result.out_file("summary.md")
        assert _delivered_or_explained(result), result.summary
        for text in (result.summary, result.out_file("comment.md"), result.out_file("issue.md")):
            assert not any(claim in text for claim in GREEN_CLAIMS)
        assert result.seconds < CLI_DEADLINE + CLI_OVERHEAD, f"{result.seconds:.2f} s"
        passed = True
    finally:
        figures.append((cell, result.seconds if "result" in locals() else 0.0, passed))


@pytest.mark.parametrize(
    ("scenario_name", "lookups", "listings"), [("repeat_failure_green", 0, 3), ("first_failure_green", 2, 2)]
)
def test_cli_green_scenarios_without_a_fault(
    app: FakeGitHub, tmp_path: Path, scenario_name: str, lookups: int, listings: int
) -> None:
    """What the green rows of the matrix start from: the earlier report's green run is used (no lookup; the
    comments listed before comparing, again before the PATCH, and re-read), or there is none and it is looked up."""
    result = run_report(app, CLI_SCENARIOS[scenario_name], tmp_path, deadline=CLI_DEADLINE, faults=[])
    assert result.code == 0, result.stderr
    assert "🆕 New since the [last green run]" in result.out_file("comment.md")
    found = hits(app, "GET", R + r"/actions/workflows/[^/]+/runs") + hits(
        app, "GET", R + r"/actions/runs/(?!4242/)\d+/jobs"
    )
    assert found == lookups
    assert hits(app, "GET", R + r"/issues/7/comments") == listings
    assert "delivered via comment" in result.stdout
