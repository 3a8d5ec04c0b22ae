"""What slash commands read and write in the report's hidden state, as one small frozen view. Pure.

The sticky comment's state (`nexus_action.report.state.ReportState`) belongs to the report; commands only
touch the fields below. Working on this view keeps the command logic independent of how the report stores
its state, and `from_report_state` / `into_report_state` are the one place that maps the two.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from nexus_action.isotime import parse_iso
from nexus_action.report.model import Snapshot
from nexus_action.report.state import COMMAND_LOG_LIMIT, CommandRecord, ReportState
from nexus_action.report.state import PROCESSED_COMMENTS_LIMIT as PROCESSED_IDS_LIMIT
from nexus_action.report.state import FixRequest as FixRecord

__all__ = ["CommandRecord", "FixRecord", "Ledger", "from_report_state", "into_report_state"]


@dataclass(frozen=True)
class Ledger:
    snapshot: Snapshot | None = None
    muted: bool = False
    retries_by_sha: Mapping[str, int] = field(default_factory=dict)
    fix_requests: tuple[FixRecord, ...] = ()
    breaker_open: bool = False
    command_log: tuple[CommandRecord, ...] = ()
    processed_comment_ids: tuple[int, ...] = ()
    # Start of the current red streak: fix requests before it belong to a streak that already went green.
    red_since: str | None = None

    def retries_on(self, sha: str) -> int:
        return int(self.retries_by_sha.get(sha, 0))

    @property
    def dispatched_fixes(self) -> int:
        """Fix requests sent since the PR last turned green: what the circuit breaker counts."""
        since = _when(self.red_since) if self.red_since else None
        return sum(1 for r in self.fix_requests if r.dispatched and (since is None or _when(r.at) >= since))

    def with_retry(self, sha: str) -> Ledger:
        counts = dict(self.retries_by_sha)
        counts[sha] = counts.get(sha, 0) + 1
        return dataclasses.replace(self, retries_by_sha=counts)

    def with_fix(self, record: FixRecord) -> Ledger:
        return dataclasses.replace(self, fix_requests=(*self.fix_requests, record))

    def with_log(self, record: CommandRecord) -> Ledger:
        return dataclasses.replace(self, command_log=(*self.command_log, record)[-COMMAND_LOG_LIMIT:])

    def with_processed(self, comment_id: int) -> Ledger:
        ids = tuple(i for i in self.processed_comment_ids if i != comment_id)
        return dataclasses.replace(self, processed_comment_ids=(*ids, comment_id)[-PROCESSED_IDS_LIMIT:])


def _when(stamp: str) -> datetime:
    """An ISO time as an aware datetime; an unreadable one counts as the far future (kept, never forgotten)."""
    return parse_iso(stamp) or datetime.max.replace(tzinfo=timezone.utc)


def from_report_state(state: ReportState) -> Ledger:
    """The commands' view of the report's state."""
    return Ledger(
        snapshot=state.latest,
        muted=state.muted,
        retries_by_sha=dict(state.retries_by_sha),
        fix_requests=tuple(state.fix_requests),
        breaker_open=state.breaker_open,
        command_log=tuple(state.command_log),
        processed_comment_ids=state.processed_comment_ids,
        red_since=state.streak.first_failure_at if state.streak.failing else None,
    )


def into_report_state(state: ReportState, ledger: Ledger) -> ReportState:
    """A copy of `state` carrying the ledger's values; the snapshot, history and the rest are left alone."""
    return dataclasses.replace(
        state,
        muted=ledger.muted,
        retries_by_sha=dict(ledger.retries_by_sha),
        fix_requests=tuple(ledger.fix_requests),
        breaker_open=ledger.breaker_open,
        command_log=tuple(ledger.command_log),
        processed_comment_ids=tuple(ledger.processed_comment_ids),
    ).bounded()
