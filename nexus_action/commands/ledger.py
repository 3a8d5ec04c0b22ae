"""What slash commands read and write in the report's hidden state, as one small frozen view. Pure.

The sticky comment's state (`nexus_action.report.state.ReportState`) belongs to the report; commands only
touch the fields below. Working on this view keeps the command logic independent of how the report stores
its state, and `from_report_state` / `into_report_state` are the one place that maps the two.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nexus_action.report.model import Snapshot

# Enough to show recent activity; older entries go first (the comment has a 65,536-character limit).
COMMAND_LOG_LIMIT = 20
PROCESSED_IDS_LIMIT = 200


@dataclass(frozen=True)
class FixRecord:
    fingerprint: str
    agent: str
    at: str  # ISO 8601 UTC
    dispatched: bool


@dataclass(frozen=True)
class CommandRecord:
    at: str
    user: str
    command: str
    result: str


@dataclass(frozen=True)
class Ledger:
    snapshot: Snapshot | None = None
    muted: bool = False
    retries_by_sha: Mapping[str, int] = field(default_factory=dict)
    fix_requests: tuple[FixRecord, ...] = ()
    breaker_open: bool = False
    command_log: tuple[CommandRecord, ...] = ()
    processed_comment_ids: tuple[int, ...] = ()

    def retries_on(self, sha: str) -> int:
        return int(self.retries_by_sha.get(sha, 0))

    @property
    def dispatched_fixes(self) -> int:
        return sum(1 for r in self.fix_requests if r.dispatched)

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


def _get(obj: Any, name: str, default: Any) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def from_report_state(state: Any) -> Ledger:
    """The commands' view of a ReportState (records may be dataclasses or plain dicts)."""
    snapshot = _get(state, "snapshot", None)
    if isinstance(snapshot, Mapping):
        snapshot = Snapshot.from_dict(dict(snapshot))
    return Ledger(
        snapshot=snapshot if isinstance(snapshot, Snapshot) else None,
        muted=bool(_get(state, "muted", False)),
        retries_by_sha={str(k): int(v) for k, v in dict(_get(state, "retries_by_sha", {}) or {}).items()},
        fix_requests=tuple(
            FixRecord(
                str(_get(r, "fingerprint", "")),
                str(_get(r, "agent", "")),
                str(_get(r, "at", "")),
                bool(_get(r, "dispatched", False)),
            )
            for r in _get(state, "fix_requests", ()) or ()
        ),
        breaker_open=bool(_get(state, "breaker_open", False)),
        command_log=tuple(
            CommandRecord(
                str(_get(r, "at", "")),
                str(_get(r, "user", "")),
                str(_get(r, "command", "")),
                str(_get(r, "result", "")),
            )
            for r in _get(state, "command_log", ()) or ()
        ),
        processed_comment_ids=tuple(int(i) for i in _get(state, "processed_comment_ids", ()) or ()),
    )


def into_report_state(state: Any, ledger: Ledger, fix_record_type: Any = None, command_record_type: Any = None) -> Any:
    """A copy of `state` carrying the ledger's values; the snapshot and everything else are left alone."""
    fix_type = fix_record_type or dict
    log_type = command_record_type or dict
    return dataclasses.replace(
        state,
        muted=ledger.muted,
        retries_by_sha=dict(ledger.retries_by_sha),
        fix_requests=tuple(fix_type(**dataclasses.asdict(r)) for r in ledger.fix_requests),
        breaker_open=ledger.breaker_open,
        command_log=tuple(log_type(**dataclasses.asdict(r)) for r in ledger.command_log),
        processed_comment_ids=tuple(ledger.processed_comment_ids),
    )
