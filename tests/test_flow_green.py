"""`nexus-autofix report` live, comparing the failed job with its log in the last green run (stand-in GitHub,
real classifier): what the comment says and how many API calls it costs."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus_action.cli import build_parser
from nexus_action.config.load import settings_from
from nexus_action.flow import ReportRequest, run_report
from nexus_action.github.threads import SETTLE_MAX
from nexus_action.report.state import decode_block
from tests.fakegithub.server import FakeGitHub

EVENT = Path(__file__).parent / "data" / "events" / "derived" / "workflow_run.failed_on_pr.json"
SHA = "5779607b49aab1200488439f02372c57b4f75444"
GREEN_SHA = "1f0c9a3e5b7d2c4a6e8f0b1d3c5e7a9b2d4f6a8c"
RUN_ID = 1589141559
WORKFLOW_ID = "16340987"  # the event's workflow_run.workflow_id
PR = 42
HEAD = (
    "2026-11-{day}T09:00:0{n}.1234567Z ##[group]Run cargo clippy --all-targets -- -D warnings\n"
    "2026-11-{day}T09:00:0{n}.2234567Z cargo clippy --all-targets -- -D warnings\n"
    "2026-11-{day}T09:00:0{n}.3234567Z ##[endgroup]\n"
    "2026-11-{day}T09:00:0{n}.4234567Z error: could not find `Cargo.lock` in /tmp/cargo-{n}x; one is made\n"
    "2026-11-{day}T09:00:0{n}.5234567Z     Checking demo v0.1.0 (/home/runner/work/demo/demo)\n"
)
GREEN_LOG = (HEAD.format(day=19, n=1) + "2026-11-19T09:00:09.1Z     Finished dev target(s) in 3.21s\n").encode()
FAILING_LOG = (
    HEAD.format(day=20, n=2)
    + "2026-11-20T09:00:05.1Z warning: this `if` has identical blocks\n"
    + "2026-11-20T09:00:05.2Z   --> src/lexer.rs:88:20\n"
    + "2026-11-20T09:00:05.3Z error: could not compile `demo` (lib) due to 1 previous error\n"
    + "2026-11-20T09:00:05.4Z ##[error]Process completed with exit code 101.\n"
).encode()


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    def no_real_sleep(seconds: float) -> None:
        # Only the short settle before the re-read that follows a write is allowed (and not really waited).
        if seconds > SETTLE_MAX * 1.5:
            raise AssertionError(f"tried to really sleep {seconds}s")

    monkeypatch.setattr("time.sleep", no_real_sleep)
    fake = FakeGitHub()
    fake.start("/api/v3")
    fake.add_pr(PR, SHA, ("src/lexer.rs",))
    fake.add_job(RUN_ID, "clippy", "failure", log=FAILING_LOG, step="Run cargo clippy --all-targets -- -D warnings")
    yield fake
    fake.stop()


def add_green_run(app: FakeGitHub, created_at: str = "2026-11-19T09:00:00Z") -> None:
    run_id = app.add_run(WORKFLOW_ID, "main", "success", created_at, GREEN_SHA)
    app.add_job(run_id, "clippy", "success", log=GREEN_LOG)


def report(app: FakeGitHub, tmp_path: Path, **env_extra: str) -> tuple[str, int]:
    env = {
        "GITHUB_API_URL": app.base_url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_TOKEN": "ghs_live_test_token_123",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        **env_extra,
    }
    args = build_parser().parse_args(["report", "--event", str(EVENT), "--out", str(tmp_path / "out")])
    code = run_report(
        ReportRequest.of(args), env, settings_from(env, None), io.StringIO(), clock=lambda: "2026-11-20T10:00:00Z"
    )
    assert code == 0
    outputs = json.loads((tmp_path / "out" / "outputs.json").read_text(encoding="utf-8"))
    [comment] = app.bot_comments(PR)
    return comment["body"], int(outputs["api-calls"])


def test_the_new_error_is_the_top_blocker_new_since_the_linked_green_run(app: FakeGitHub, tmp_path: Path) -> None:
    add_green_run(app)
    body, calls = report(app, tmp_path)
    top = body[body.index("#### Top blocker") :]
    # Without the green log, the top blocker is the "could not find Cargo.lock" line every run prints.
    assert "could not compile `demo`" in top.split("```")[1]
    assert "🆕 New since the [last green run](<https://github.example/octo-org/octo-repo/actions/runs/" in body
    assert f"/compare/{GREEN_SHA}...{SHA}" in body
    assert "<details><summary>New since green" in body
    # The green run's "could not find Cargo.lock" line (an error word in every run) is not what is shown first.
    assert "Cargo.lock" not in top.split("```")[1]
    state, _ = decode_block(body, "state")
    assert state is not None
    assert state["runs"][-1]["green_run"]["head_sha"] == GREEN_SHA
    # Without the comparison: jobs, log, changed files, list comments, create, re-list = 6 (first report).
    # With it: + the workflow's runs, the green run's jobs, the green job's log.
    assert calls == 6 + 3


def test_no_green_run_is_said_under_the_top_blocker_and_costs_one_call(app: FakeGitHub, tmp_path: Path) -> None:
    app.add_run(WORKFLOW_ID, "main", "failure", "2026-11-19T09:00:00Z", "2" * 40)
    body, calls = report(app, tmp_path)
    assert "_Not compared with the last green run: no successful run of this workflow on main._" in body
    assert "New since green" not in body
    assert calls == 6 + 1


def test_a_green_run_too_old_is_not_used(app: FakeGitHub, tmp_path: Path) -> None:
    add_green_run(app, created_at="2026-10-01T09:00:00Z")
    body, calls = report(app, tmp_path, AUTOFIX_GREEN_MAX_AGE_DAYS="30")
    assert "is older than 30 days" in body
    assert calls == 6 + 1


def test_compare_with_green_false_makes_no_extra_call(app: FakeGitHub, tmp_path: Path) -> None:
    add_green_run(app)
    body, calls = report(app, tmp_path, INPUT_COMPARE_WITH_GREEN="false")
    assert "green" not in body.split("<!-- nexus:state")[0].lower()
    assert calls == 6


def test_the_same_run_reported_again_costs_one_call_for_the_comparison(app: FakeGitHub, tmp_path: Path) -> None:
    add_green_run(app)
    report(app, tmp_path)
    _, calls = report(app, tmp_path)
    # The same run attempt again: jobs, log, changed files, our comment's listing (4); its state is already
    # in the comment, so nothing is written (and nothing re-read). The comparison adds only the green job's log:
    # the green run comes from the comment's state, listed before comparing, and delivery starts from that listing.
    assert calls == 4 + 1


def test_a_dry_run_reads_the_green_run_from_previous_as_a_live_run_reads_its_comment(
    app: FakeGitHub, tmp_path: Path
) -> None:
    from nexus_action.config.settings import Settings
    from nexus_action.github.client import connect
    from nexus_action.github.earlier import EarlierReport
    from nexus_action.github.recording import RecordingGitHub, read_previous

    add_green_run(app)
    body, _ = report(app, tmp_path)  # the live report's comment, hidden state version 2
    bot = "github-actions[bot]"
    live_api = connect(
        Settings(github_token="t"), app.base_url, sleep=lambda _s: None, clock=lambda: 0.0, random_fn=lambda: 0.0
    )
    live = EarlierReport(live_api, app.repository, bot_login=bot).green_runs(PR)
    previous = read_previous(body, bot_login=bot, pr_number=PR)  # what `--previous body.md` hands a dry run
    dry_api = RecordingGitHub(app.repository, previous, pr_number=PR, bot_login=bot)
    dry = EarlierReport(dry_api, app.repository, bot_login=bot).green_runs(PR)
    assert live == dry
    assert [run.head_sha for run in live] == [GREEN_SHA]
    assert [(r["method"], r["path"]) for r in dry_api.requests] == [
        ("GET", f"/repos/{app.repository}/issues/{PR}/comments")
    ]
    assert EarlierReport(dry_api, app.repository, bot_login="someone-else").green_runs(PR) == ()
