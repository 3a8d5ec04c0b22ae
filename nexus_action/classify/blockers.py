"""Error lines -> ranked Blockers, problem-matcher style (file, line, column, message, log line, step).

Ranking: each log rule with a `priority` makes blockers of that rank; the root cause (a compiler error, a
failing assertion) outranks echoes and summaries (`make: *** Error 1`, `FAILED (failures=1)`), and GitHub's
generic `##[error]Process completed with exit code N` has the lowest rank of all. Ties go to the earliest line.
A `##[error]` annotation on a specific line lifts it a little: GitHub's own problem matcher agreed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from nexus_action.classify.blocks import BlockTracker, Candidate, excerpt_of
from nexus_action.classify.model import Blocker
from nexus_action.classify.rules import Rule
from nexus_action.classify.wrappers import resolve_wrappers
from nexus_action.logs.normalise import LogLine, int_or_none

MAX_BLOCKERS = 10
# Keep more candidates than we report, so later, better-ranked lines can still displace earlier ones.
KEEP_CANDIDATES = 200
ANNOTATION_BONUS = 3
LOCATION_REACH = 3  # a location line (rustc -->) belongs to a blocker at most this many lines above it
# An error line that a compiler followed with its location is a real diagnostic, not a stray "error:" word.
LOCATED_PRIORITY = 85
MIN_LOCATED_RULE = 10
_GROUP_SUFFIX = re.compile(r"\d+$")


def groups_of(match: re.Match[str]) -> dict[str, str]:
    """Named groups with duplicates merged: rules spell alternatives' groups file2, line2 ..."""
    out: dict[str, str] = {}
    for name, value in match.groupdict().items():
        if value is not None:
            out.setdefault(_GROUP_SUFFIX.sub("", name), value)
    return out


def make_candidate(line: LogLine, rule: Rule, match: re.Match[str] | None) -> Candidate:
    found = groups_of(match) if match else {}
    # Whole (a normalised line is at most MAX_TEXT_CHARS): classify redacts it before it cuts it to TEXT_LIMIT.
    text = " ".join(line.text.split())
    blocker = Blocker(
        log_line=line.number,
        text=text,
        file=found.get("file") or line.file,
        line=int_or_none(found.get("line")) or line.line,
        column=int_or_none(found.get("col")) or line.column,
        step=line.step,
    )
    bonus = ANNOTATION_BONUS if line.annotation == "error" and rule.matcher == "log" else 0
    return Candidate(priority=(rule.priority or 0) + bonus, blocker=blocker, rule=rule)


class BlockerList:
    """Collects candidates with bounded memory; attaches locations; ranks and de-duplicates at the end."""

    def __init__(self) -> None:
        self.candidates: list[Candidate] = []
        self.blocks = BlockTracker()

    def add(self, candidate: Candidate, line: LogLine | None = None) -> None:
        """Keep `candidate`; with the `line` it came from, its block grows from the lines that follow."""
        self.candidates.append(candidate)
        if line is not None:
            self.blocks.start(line, banner=candidate.rule.role == "banner")
        if len(self.candidates) > 2 * KEEP_CANDIDATES:
            self.candidates.sort(key=lambda c: c.sort_key)
            del self.candidates[KEEP_CANDIDATES:]
            self.blocks.keep_only({c.blocker.log_line for c in self.candidates})

    def feed(self, line: LogLine) -> None:
        """Offer a line to the open blocks (call for every line, before it may start a block of its own)."""
        self.blocks.feed(line)

    def discard(self, ranges: Iterable[tuple[int, int]], step: str | None) -> None:
        """Forget the candidates strictly inside any of `ranges` in `step` (a passing test's output)."""
        spans = list(ranges)
        if spans:
            self.candidates = [
                c
                for c in self.candidates
                if c.blocker.step != step or not any(a < c.blocker.log_line < b for a, b in spans)
            ]

    def attach_location(self, line_number: int, match: re.Match[str]) -> None:
        """rustc's `--> src/lib.rs:3:5` / Python's `File "x.py", line 3` belong to a nearby blocker."""
        found = groups_of(match)
        for i in range(len(self.candidates) - 1, -1, -1):
            cand = self.candidates[i]
            distance = line_number - cand.blocker.log_line
            if distance <= 0:
                continue
            if distance > LOCATION_REACH:
                break
            # Only a real error rule's line earns the "located diagnostic" rank, never a fallback guess.
            if cand.blocker.file is None and (cand.rule.priority or 0) >= MIN_LOCATED_RULE:
                located = replace(
                    cand.blocker,
                    file=found.get("file"),
                    line=int_or_none(found.get("line")),
                    column=int_or_none(found.get("col")),
                )
                self.candidates[i] = replace(cand, blocker=located, priority=max(cand.priority, LOCATED_PRIORITY))
            return

    def ranked(self, failing_sections: Iterable[tuple[int, int]] = (), bonus: int = 0) -> list[Candidate]:
        """Best first, de-duplicated, at most MAX_BLOCKERS; lines in a failing section get `bonus`."""
        sections = list(failing_sections)

        def rank(c: Candidate) -> tuple[int, int]:
            inside = any(a <= c.blocker.log_line <= b for a, b in sections)
            return (-(c.priority + (bonus if inside and c.priority > 2 else 0)), c.blocker.log_line)

        seen: set[tuple[str | None, int | None, str]] = set()
        out: list[Candidate] = []
        for cand in sorted(resolve_wrappers(self.candidates, self.blocks), key=rank):
            b = cand.blocker
            key = (b.file, b.line, _dedupe_text(b.text))
            if key in seen:
                continue
            seen.add(key)
            out.append(self._with_block(cand))
            if len(out) == MAX_BLOCKERS:
                break
        return out

    def _with_block(self, cand: Candidate) -> Candidate:
        if cand.blocker.span is not None:
            return cand  # a banner's detail line: its span and excerpt are the banner's block already
        block = self.blocks.get(cand.blocker.log_line)
        span = block.span if block is not None else (cand.blocker.log_line, cand.blocker.log_line)
        blocker = replace(cand.blocker, span=span, excerpt=excerpt_of(block, cand.blocker.text))
        return replace(cand, blocker=blocker)


_VOLATILE = re.compile(r"\d+(\.\d+)?")


def _dedupe_text(text: str) -> str:
    return _VOLATILE.sub("#", text).lower()
