from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nexus_action.commands.ledger import CommandRecord, FixRecord, Ledger, from_report_state, into_report_state
from nexus_action.report.model import Snapshot
from tests.commands.builders import snapshot


@dataclass(frozen=True)
class StateLike:
    """Shaped like the report's ReportState: the ledger must read and write it without knowing more."""

    snapshot: Snapshot | None = None
    muted: bool = False
    retries_by_sha: dict[str, int] = field(default_factory=dict)
    fix_requests: tuple[Any, ...] = ()
    breaker_open: bool = False
    command_log: tuple[Any, ...] = ()
    processed_comment_ids: tuple[int, ...] = ()
    history: tuple[str, ...] = ("kept",)


def test_round_trip_through_a_report_state_keeps_other_fields() -> None:
    state = StateLike(
        snapshot=snapshot(),
        retries_by_sha={"abc": 1},
        fix_requests=({"fingerprint": "fp", "agent": "Rex", "at": "t", "dispatched": True},),
        command_log=({"at": "t", "user": "u", "command": "/nexus retry", "result": "done: ok"},),
        processed_comment_ids=(1, 2),
    )
    ledger = from_report_state(state)
    assert ledger.snapshot == state.snapshot
    assert ledger.fix_requests == (FixRecord("fp", "Rex", "t", True),)
    assert ledger.command_log == (CommandRecord("t", "u", "/nexus retry", "done: ok"),)
    updated = into_report_state(state, ledger.with_retry("abc").with_processed(3), FixRecord, CommandRecord)
    assert updated.retries_by_sha == {"abc": 2}
    assert updated.processed_comment_ids == (1, 2, 3)
    assert updated.fix_requests == (FixRecord("fp", "Rex", "t", True),)
    assert updated.history == ("kept",)


def test_processed_ids_are_unique_and_bounded() -> None:
    ledger = Ledger()
    for i in range(250):
        ledger = ledger.with_processed(i % 210)
    assert len(ledger.processed_comment_ids) == 200
    assert len(set(ledger.processed_comment_ids)) == 200
    assert ledger.processed_comment_ids[-1] == 249 % 210
