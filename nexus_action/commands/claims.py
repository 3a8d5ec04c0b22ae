"""Limits that hold when several commands run at once: who may act on a claimed re-run or fix. Pure.

A command that wants to re-run or dispatch first writes a claim (its comment id) into the report's state and
re-reads it; then every claimant sees the same claims and the same decision: the lowest comment ids win, as
many as the limit allows. GitHub numbers comments increasingly, so a comment with a lower id than ours was
posted before ours and is already in the listing we read when we re-read the state: if its workflow has not
written its claim yet, it is counted as a claimant all the same (it may still claim; yielding to it is what
keeps the limit). Such a pending comment that turns out not to be allowed costs a retry the chance to run,
never the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from nexus_action.commands.parse import parse_commands
from nexus_action.github.post import Post
from nexus_action.isotime import parse_iso
from nexus_action.report.derive import cleared
from nexus_action.report.document import Claim, StateDoc

# A `/nexus` comment older than this without a recorded outcome is not waited for: its workflow did not run.
PENDING_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Verdict:
    won: bool
    reason: str = ""  # why not, in the Commands log's words
    rivals: tuple[int, ...] = ()  # comment ids ahead of ours


def _pending(listing: Sequence[Post], mine: Claim, doc: StateDoc, command: str) -> list[int]:
    """Comments before ours asking for the same command whose outcome is not recorded yet."""
    me = next((p for p in listing if p.id == mine.comment_id), None)
    my_time = parse_iso(me.created_at) if me else None
    claimed = {c.comment_id for c in doc.claims}
    found = []
    for post in listing:
        if post.id >= mine.comment_id or post.id in doc.processed or post.id in claimed:
            continue
        if post.author.endswith("[bot]"):
            continue
        when = parse_iso(post.created_at)
        if my_time and when and my_time - when > PENDING_WINDOW:
            continue
        if any(cmd.name == command for cmd in parse_commands(post.body).commands):
            found.append(post.id)
    return found


def retry_verdict(doc: StateDoc, mine: Claim, listing: Sequence[Post], *, limit: int) -> Verdict:
    """Whether this retry claim is among the first `limit` claims (and pending requests) on its head SHA."""
    claims = {c.comment_id for c in doc.claims if c.kind == "retry" and c.key == mine.key and c.state != "lost"}
    contenders = sorted(claims | set(_pending(listing, mine, doc, "retry")) | {mine.comment_id})
    if mine.comment_id in contenders[:limit]:
        return Verdict(True)
    ahead = tuple(i for i in contenders if i < mine.comment_id)
    return Verdict(False, f"retry limit reached by earlier requests ({limit} per commit)", ahead)


def fix_verdict(
    doc: StateDoc, mine: Claim, listing: Sequence[Post], *, limit: int, window: timedelta, red_since: str | None
) -> Verdict:
    """Whether this fix claim is the first for its failures within the dedupe window, and within the breaker's
    limit counting every fix claimed since the streak began (pending `/nexus fix` comments count as claims)."""
    mine_at = parse_iso(mine.at)
    since = parse_iso(red_since) if red_since else None
    live = [c for c in doc.claims if c.kind == "fix" and c.state != "lost" and not cleared(doc, c)]
    pending = _pending(listing, mine, doc, "fix")
    same = [
        c.comment_id
        for c in live
        if c.key == mine.key and c.comment_id < mine.comment_id and _within(c.at, mine_at, window)
    ]
    if same or pending:
        ahead = tuple(sorted({*same, *pending}))
        return Verdict(False, "an earlier `/nexus fix` for these failures is being sent", ahead)
    counted = [
        c.comment_id
        for c in live
        if c.comment_id < mine.comment_id and (since is None or (parse_iso(c.at) or since) >= since)
    ]
    if len(counted) >= limit:
        return Verdict(False, f"circuit breaker: {len(counted)} fix requests already claimed", tuple(counted))
    return Verdict(True)


def _within(at: str, mine: datetime | None, window: timedelta) -> bool:
    when = parse_iso(at)
    if when is None or mine is None:
        return True
    return abs(mine - when) < window
