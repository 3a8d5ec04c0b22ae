"""History-level guards: same attempt twice, attempt 2 after attempt 1, an older run arriving after a newer one.

The history is rebuilt in run order from the merged state, so arrival order never decides what it says."""

from __future__ import annotations

from nexus_action.config.settings import Settings
from nexus_action.report import build_report, read_state
from nexus_action.report.build import REPEAT, RERUN, STALE
from tests.report.cases import SHA1, SHA2, clippy_job, pytest_job, run_sequence, snapshot

S = Settings()


def test_same_attempt_twice_updates_one_entry_and_sends_no_second_alert() -> None:
    first, again = run_sequence(
        [snapshot(1001, (clippy_job(),)), snapshot(1001, (clippy_job(),), at="2026-11-20T10:09:00Z")]
    )
    assert first.placement == "new"
    assert first.should_alert
    assert again.placement == REPEAT
    assert not again.should_alert
    history = again.state.history
    assert len(history) == 1
    # the Transition is the same as the first time: the attempt is not counted twice
    assert again.transition == first.transition
    assert again.state.streak.failing_runs == 1
    assert read_state(again.comment_md)[1] == []  # the chain is still intact after the in-place update
    assert again.state.latest is not None
    assert again.state.latest.created_at == first.state.latest.created_at  # "since" does not move


def test_repeat_after_a_later_failure_keeps_the_streak_count() -> None:
    reports = run_sequence(
        [
            snapshot(1001, (clippy_job(),)),
            snapshot(1002, (clippy_job(),), sha=SHA2, at="2026-11-20T11:00:00Z"),
            snapshot(1002, (clippy_job(),), sha=SHA2, at="2026-11-20T11:05:00Z"),
        ]
    )
    assert reports[2].transition == reports[1].transition
    assert reports[2].transition is not None
    assert reports[2].transition.attempts == 2
    assert len(reports[2].state.history) == 2


def test_attempt_two_is_a_new_entry_that_says_it_reran_attempt_one_and_fixed_it() -> None:
    _one, two = run_sequence(
        [
            snapshot(1001, (clippy_job(), pytest_job())),
            snapshot(1001, (), attempt=2, at="2026-11-20T10:20:00Z"),
        ]
    )
    assert two.placement == RERUN
    assert two.should_alert
    entry = two.state.history[-1]
    assert (entry.run_attempt, entry.rerun_of, entry.rerun_fixed) == (2, 1, True)
    assert two.transition is not None
    assert two.transition.flaky
    assert two.transition.recovered
    assert "re-run of attempt 1" in two.comment_md
    assert "flaky candidate" in two.comment_md
    assert len(two.state.history) == 2


def test_attempt_two_that_still_fails_the_same_way_is_not_flaky() -> None:
    _, two = run_sequence(
        [snapshot(1001, (clippy_job(),)), snapshot(1001, (clippy_job(),), attempt=2, at="2026-11-20T10:20:00Z")]
    )
    entry = two.state.history[-1]
    assert (entry.rerun_of, entry.rerun_fixed) == (1, False)
    assert two.transition is not None
    assert not two.transition.flaky
    assert "flaky" not in two.comment_md.split("<details><summary>History")[0]


def test_partly_fixed_rerun_is_a_flaky_candidate() -> None:
    _, two = run_sequence(
        [
            snapshot(1001, (clippy_job(), pytest_job())),
            snapshot(1001, (clippy_job(),), attempt=2, at="2026-11-20T10:20:00Z"),
        ]
    )
    assert two.transition is not None
    assert two.transition.flaky
    assert [j.name for j in two.transition.fixed] == ["unit-tests (3.12)"]


def test_older_run_after_newer_is_recorded_in_history_only_in_run_order() -> None:
    newer = run_sequence([snapshot(1005, (clippy_job(),), sha=SHA2, at="2026-11-20T12:00:00Z")])[-1]
    late = build_report(
        snapshot(1004, (pytest_job(),), sha=SHA1, at="2026-11-20T12:03:00Z"), newer.comment_md, settings=S, now="t"
    )
    assert late.placement == STALE
    assert not late.should_alert
    assert late.state.latest == newer.state.latest
    # The late run takes its place before the newer one: the Transition is what the runs say in run order.
    assert [e.run_id for e in late.state.history] == [1004, 1005]
    assert late.transition is not None
    assert [j.name for j in late.transition.fixed] == ["unit-tests (3.12)"]
    assert any("older than run 1005" in w for w in late.warnings)


def test_history_is_bounded_by_history_limit() -> None:
    snaps = [snapshot(2000 + i, (clippy_job(),), at=f"2026-11-20T10:{i:02d}:00Z") for i in range(8)]
    last = run_sequence(snaps, Settings(history_limit=5))[-1]
    assert [e.run_id for e in last.state.history] == [2003, 2004, 2005, 2006, 2007]
    assert read_state(last.comment_md)[1] == []  # dropping the oldest on purpose is not tampering
    assert last.transition is not None
    # The state keeps as many runs as the history shows, so the streak counts the runs it still holds.
    assert last.transition.attempts == 5


def test_an_older_run_arriving_again_gets_its_own_entry_in_the_issue_history_comment() -> None:
    append = Settings(comment_issue_append=True)
    newer = run_sequence([snapshot(1005, (clippy_job(),), sha=SHA2, at="2026-11-20T12:00:00Z")], append)[-1]
    late = build_report(snapshot(1004, (pytest_job(),), sha=SHA1), newer.comment_md, settings=append, now="t")
    newest = build_report(snapshot(1006, (clippy_job(),), sha=SHA2), late.comment_md, settings=append, now="t")
    again = build_report(snapshot(1004, (pytest_job(),), sha=SHA1), newest.comment_md, settings=append, now="t")
    assert again.placement == REPEAT
    assert [e.run_id for e in again.state.history] == [1004, 1005, 1006]  # in run order, once each
    assert again.issue_history_comment_md is not None
    assert "run 1004" in again.issue_history_comment_md
    assert "run 1006" not in again.issue_history_comment_md
