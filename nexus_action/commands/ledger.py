"""What slash commands read and write in the report's hidden state, as one small frozen view. Pure.

The sticky comment's state (`nexus_action.report.state.ReportState`) belongs to the report; commands only
touch the fields below. Working on this view keeps the command logic independent of how the report stores
its state, and `from_report_state` / `into_report_state` are the one place that maps the two.

Every change is also kept as a `delta`: a document (`nexus_action.report.document`) holding only what this
comment did (its claims, log lines, flags, its id as processed). That delta, not the view, is what gets
written: merged into whatever the report holds by then, so a report or another command landing in between
keeps its own effects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from nexus_action.isotime import parse_iso
from nexus_action.report.document import Claim, CommandEntry, Flag, StateDoc, merge
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
    # Who is acting (the comment's id and author, and when): what the delta's entries are keyed and stamped by.
    comment_id: int = 0
    user: str = ""
    at: str = ""
    delta: StateDoc = field(default_factory=StateDoc)

    def _also(self, **changes: object) -> StateDoc:
        return merge(self.delta, StateDoc(**changes))  # type: ignore[arg-type]

    def acting(self, comment_id: int, user: str, at: str) -> Ledger:
        return dataclasses.replace(self, comment_id=comment_id, user=user, at=at)

    def claim(self, kind: str, key: str, state: str = "claimed", agent: str = "") -> Claim:
        return Claim(kind, key, self.comment_id, self.at, self.user, agent, state)

    def with_claim(self, claim: Claim) -> Ledger:
        return dataclasses.replace(self, delta=self._also(claims=(claim,)))

    def with_muted(self, muted: bool) -> Ledger:
        flag = Flag(muted, self.at, self.comment_id)
        return dataclasses.replace(self, muted=muted, delta=self._also(muted=flag))

    def with_breaker(self, open_: bool) -> Ledger:
        flag = Flag(open_, self.at, self.comment_id)
        return dataclasses.replace(self, breaker_open=open_, delta=self._also(breaker=flag))

    def with_reset(self) -> Ledger:
        """`/nexus reset`: the breaker closes and the fix requests so far stop counting."""
        reset = self.with_breaker(False)
        delta = merge(reset.delta, StateDoc(reset_after=self.comment_id))
        return dataclasses.replace(reset, fix_requests=(), delta=delta)

    def retries_on(self, sha: str) -> int:
        return int(self.retries_by_sha.get(sha, 0))

    @property
    def dispatched_fixes(self) -> int:
        """Fix requests sent since the PR last turned green: what the circuit breaker counts."""
        since = _when(self.red_since) if self.red_since else None
        return sum(1 for r in self.fix_requests if r.dispatched and (since is None or _when(r.at) >= since))

    def with_retry(self, sha: str, state: str = "done") -> Ledger:
        counts = dict(self.retries_by_sha)
        counts[sha] = counts.get(sha, 0) + 1
        delta = self._also(claims=(self.claim("retry", sha, state),))
        return dataclasses.replace(self, retries_by_sha=counts, delta=delta)

    def with_fix(self, record: FixRecord) -> Ledger:
        claim = self.claim("fix", record.fingerprint, "done" if record.dispatched else "failed", record.agent)
        return dataclasses.replace(
            self, fix_requests=(*self.fix_requests, record), delta=self._also(claims=(replace_at(claim, record.at),))
        )

    def with_log(self, record: CommandRecord) -> Ledger:
        index = sum(1 for c in self.delta.commands if c.comment_id == self.comment_id) + 1
        entry = CommandEntry(self.comment_id, index, record.at, record.user, record.command, record.result)
        return dataclasses.replace(
            self,
            command_log=(*self.command_log, record)[-COMMAND_LOG_LIMIT:],
            delta=self._also(commands=(entry,)),
        )

    def with_processed(self, comment_id: int) -> Ledger:
        ids = tuple(i for i in self.processed_comment_ids if i != comment_id)
        return dataclasses.replace(
            self,
            processed_comment_ids=(*ids, comment_id)[-PROCESSED_IDS_LIMIT:],
            delta=self._also(processed=(comment_id,)),
        )


def replace_at(claim: Claim, at: str) -> Claim:
    return dataclasses.replace(claim, at=at or claim.at)


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
    """A copy of `state` carrying the ledger's values; the snapshot, history and the rest are left alone.

    The state's document (what is written) gets the ledger's delta merged in."""
    from nexus_action.report.derive import doc_from_v1

    base = state.doc if state.doc is not None else doc_from_v1(state)
    return dataclasses.replace(
        state,
        muted=ledger.muted,
        retries_by_sha=dict(ledger.retries_by_sha),
        fix_requests=tuple(ledger.fix_requests),
        breaker_open=ledger.breaker_open,
        command_log=tuple(ledger.command_log),
        processed_comment_ids=tuple(ledger.processed_comment_ids),
        doc=merge(base, ledger.delta),
    ).bounded()
