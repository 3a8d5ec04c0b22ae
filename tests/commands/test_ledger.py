from __future__ import annotations

from nexus_action.commands.ledger import CommandRecord, FixRecord, Ledger, from_report_state, into_report_state
from nexus_action.report.derive import encode_state, read_state
from nexus_action.report.state import CommandRecord as StateCommandRecord
from nexus_action.report.state import FixRequest, ReportState
from tests.commands.builders import snapshot


def test_round_trip_through_the_report_state_keeps_everything_else() -> None:
    state = ReportState(
        latest=snapshot(),
        retries_by_sha={"abc": 1},
        fix_requests=(FixRequest("fp", "Rex", "t", True),),
        command_log=(StateCommandRecord("t", "u", "/nexus retry", "done: ok"),),
        processed_comment_ids=(1, 2),
        next_seq=9,
    )
    ledger = from_report_state(state)
    assert ledger.snapshot == state.latest
    assert ledger.fix_requests == (FixRecord("fp", "Rex", "t", True),)
    assert ledger.command_log == (CommandRecord("t", "u", "/nexus retry", "done: ok"),)
    changed = (
        ledger.acting(3, "u", "2026-01-01T00:00:00Z").with_retry("abc").with_processed(3).with_muted(True)
    ).with_breaker(True)
    updated = into_report_state(state, changed)
    assert updated.retries_by_sha == {"abc": 2}
    assert updated.processed_comment_ids == (1, 2, 3)
    assert updated.fix_requests == state.fix_requests
    assert updated.muted
    assert updated.breaker_open
    assert updated.next_seq == 9
    assert updated.latest == state.latest
    # and it survives the hidden marker: what is written is the document with this comment's changes merged in
    decoded, warnings = read_state(encode_state(updated))
    assert warnings == []
    again = from_report_state(decoded)
    assert again.retries_by_sha == {"abc": 2}
    assert again.processed_comment_ids == (1, 2, 3)
    assert again.muted
    assert again.breaker_open
    assert again.fix_requests == ledger.fix_requests
    assert again.command_log == ledger.command_log
    assert again.snapshot == state.latest


def test_processed_ids_are_unique_and_bounded() -> None:
    ledger = Ledger()
    for i in range(250):
        ledger = ledger.with_processed(i % 210)
    assert len(ledger.processed_comment_ids) == 200
    assert len(set(ledger.processed_comment_ids)) == 200
    assert ledger.processed_comment_ids[-1] == 249 % 210


def test_breaker_counts_only_fix_requests_of_the_current_red_streak() -> None:
    fixes = (
        FixRecord("a", "Rex", "2026-01-01T09:00:00Z", True),  # an earlier streak, which went green
        FixRecord("b", "Rex", "2026-01-02T09:00:00Z", True),
        FixRecord("c", "Rex", "2026-01-02T10:00:00+00:00", True),
        FixRecord("d", "Rex", "2026-01-02T11:00:00Z", False),  # never sent
        FixRecord("e", "Rex", "garbled", True),  # unreadable time: counted, the safe side
    )
    assert Ledger(fix_requests=fixes).dispatched_fixes == 4
    assert Ledger(fix_requests=fixes, red_since="2026-01-02T08:00:00Z").dispatched_fixes == 3


def test_red_since_comes_from_a_failing_streak_only() -> None:
    from nexus_action.report.transition import Streak

    failing = ReportState(streak=Streak(conclusion="failure", first_failure_at="2026-01-02T08:00:00Z"))
    assert from_report_state(failing).red_since == "2026-01-02T08:00:00Z"
    green = ReportState(streak=Streak(conclusion="success", first_failure_at=None))
    assert from_report_state(green).red_since is None
