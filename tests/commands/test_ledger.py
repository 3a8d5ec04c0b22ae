from __future__ import annotations

import dataclasses

from nexus_action.commands.ledger import CommandRecord, FixRecord, Ledger, from_report_state, into_report_state
from nexus_action.report.state import CommandRecord as StateCommandRecord
from nexus_action.report.state import FixRequest, ReportState, read_state
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
    changed = dataclasses.replace(ledger.with_retry("abc").with_processed(3), muted=True, breaker_open=True)
    updated = into_report_state(state, changed)
    assert updated.retries_by_sha == {"abc": 2}
    assert updated.processed_comment_ids == (1, 2, 3)
    assert updated.fix_requests == state.fix_requests
    assert updated.muted
    assert updated.breaker_open
    assert updated.next_seq == 9
    assert updated.latest == state.latest
    # and it survives the hidden marker
    decoded, warnings = read_state(updated.encode())
    assert warnings == []
    assert from_report_state(decoded) == from_report_state(updated)


def test_processed_ids_are_unique_and_bounded() -> None:
    ledger = Ledger()
    for i in range(250):
        ledger = ledger.with_processed(i % 210)
    assert len(ledger.processed_comment_ids) == 200
    assert len(set(ledger.processed_comment_ids)) == 200
    assert ledger.processed_comment_ids[-1] == 249 % 210
