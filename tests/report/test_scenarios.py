"""What a reader of the sticky comment sees across runs: Transition, Top blocker, links, history."""

from __future__ import annotations

import re

from nexus_action.config.settings import Settings
from nexus_action.report import decode_block, render_comment
from nexus_action.report.state import REPORT_MARKER
from tests.report.cases import GHP, SHA1, first_failure, injection, recovery, second_failure


def test_first_failure_leads_with_the_top_blocker_and_its_links() -> None:
    report = first_failure()[-1]
    md = report.comment_md
    assert md.startswith(REPORT_MARKER + "\n")
    assert report.transition is not None
    assert report.transition.change == "first_failure"
    assert "❌ **2 failed jobs** in **CI**" in md
    assert "error: this `if` has identical blocks" in md
    # file#Lline at the head SHA, and the job log at the step line
    assert f"https://github.com/octo-org/octo-repo/blob/{SHA1}/src/lexer.rs#L88" in md
    assert "https://github.com/octo-org/octo-repo/actions/runs/1001/job/9001#step:4:17" in md
    assert "[Checks tab](<https://github.com/octo-org/octo-repo/pull/42/checks>)" in md
    assert "**Top failing check:** [clippy]" in md
    assert report.issue_title == "NEXUS AutoFix report for PR #42"


def test_second_failure_lists_new_fixed_and_still_failing_with_attempts() -> None:
    report = second_failure()[-1]
    t = report.transition
    assert t is not None
    assert t.change == "red_to_red"
    assert [j.name for j in t.new] == ["typecheck"]
    assert [j.name for j in t.fixed] == ["unit-tests (3.12)"]
    assert [(j.name, j.attempts, j.since) for j in t.still_failing] == [("clippy", 2, "2026-11-20T10:00:00Z")]
    md = report.comment_md
    assert "- 🆕 New: `typecheck` (tsc)" in md
    assert "- ✅ Fixed: `unit-tests (3.12)`" in md
    assert "- ⏳ Still failing: `clippy` (2 attempts since 2026-11-20T10:00:00Z)" in md
    assert "<summary>History (2 runs)</summary>" in md


def test_recovery_says_how_many_attempts_and_time_to_fix() -> None:
    report = recovery()[-1]
    t = report.transition
    assert t is not None
    assert t.recovered
    assert (t.attempts, t.time_to_fix_seconds) == (2, 3 * 3600 + 5 * 60 + 30)
    assert "✅ **Recovered**" in report.comment_md
    assert "after 2 failed attempts; time to fix 3 h 5 min" in report.comment_md
    assert "Failed jobs" not in report.comment_md
    assert "`/nexus retry`" not in report.comment_md  # nothing to retry on green


def test_injection_cannot_end_markers_forge_state_ping_or_leak() -> None:
    report = injection()[-1]
    for body in (report.comment_md, report.issue_md, report.summary_md):
        assert GHP not in body
        assert "@org/team" not in body
        assert "@octocat" not in body
        assert "@admins" not in body
        assert "#12" not in body
        # only our own two markers open an HTML comment, and only our state block decodes
        ours = re.findall(r"<!-- nexus:(?:report|state v[12] [A-Za-z0-9+/=]+|history:(?:start|end)) -->", body)
        assert body.count("<!--") == len(ours)
    data, warnings = decode_block(report.comment_md, "state")
    assert data is not None
    assert warnings == []
    assert data["muted"] is None  # the forged block said muted: true; in ours no one ever muted
    # the fence is longer than the longest backtick run in the blocker
    assert "`````text\nerror: boom" in report.comment_md


def test_comment_is_a_pure_function_of_the_state() -> None:
    report = second_failure()[-1]
    assert render_comment(report.state, settings=Settings()) == report.comment_md


def test_muted_state_and_command_log_show_in_the_comment() -> None:
    from dataclasses import replace

    from nexus_action.report.state import CommandRecord

    state = replace(
        first_failure()[-1].state,
        muted=True,
        breaker_open=True,
        retries_by_sha={SHA1: 2},
        command_log=(CommandRecord("2026-11-20T10:05:00Z", "@octocat", "/nexus retry", "re-ran 2 jobs"),),
    )
    md = render_comment(state, settings=Settings())
    assert "🔕 Muted" in md
    assert "`/nexus unmute`" in md
    assert "0 of 2 left for this commit" in md
    assert "circuit breaker is open" in md
    assert "/nexus retry" in md
    assert "re-ran 2 jobs" in md
    assert "@octocat" not in md  # commenter names are neutralised too


def test_comment_issue_append_returns_the_entry_separately() -> None:
    from tests.report.cases import clippy_job, run_sequence, snapshot

    report = run_sequence([snapshot(7, (clippy_job(),))], Settings(comment_issue_append=True))[-1]
    assert report.issue_history_comment_md is not None
    assert "<!-- nexus:history-entry -->" in report.issue_history_comment_md
    assert "appended below as one issue comment per run" in report.issue_md
    plain = run_sequence([snapshot(7, (clippy_job(),))])[-1]
    assert plain.issue_history_comment_md is None
    start, end = (
        plain.issue_md.index("<!-- nexus:history:start -->"),
        plain.issue_md.index("<!-- nexus:history:end -->"),
    )
    assert "| 1 |" in plain.issue_md[start:end]


def test_fresh_state_renders_without_a_run() -> None:
    from nexus_action.report import ReportState

    md = render_comment(ReportState(), settings=Settings())
    assert md.startswith(REPORT_MARKER)
    assert "No run reported yet" in md
    assert decode_block(md, "state")[0] is not None
