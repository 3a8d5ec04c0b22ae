"""Compare a failing log with a passing log of the same job: which lines are new since the last green run.

Three streaming passes, each reading one log a chunk at a time and masking whole chunks (templates.py):
1. the failing log: its distinct first-look templates per step (`##[group]Run ...`), as hashes, capped, and
   each chunk's distinct ones (a log repeats itself: a few hundred per chunk);
2. the passing log: which of those it printed too, per step, and the second-look templates of its other
   lines (the slow masks run on those few lines only);
3. the failing log again, only the chunks with a template the passing log did not print: a line is old when
   its step's passing lines had its first-look template, or its second-look one; otherwise it is new. A step
   the passing run did not have is new throughout.
Lines are deduplicated a chunk at a time (a set of the chunk's templates; bytes cache their hash), so the
per-step sets and what the first pass keeps for the third see only the distinct ones. Memory is bounded by
the caps, not by the size of either log. Consecutive new lines form blocks.

A passing log that is empty, binary, too big or from another job (its steps are not the failing log's) is no
baseline: the comparison carries a note instead, and the classification stays what it is without one.
"""

from __future__ import annotations

import bisect
from array import array
from collections import deque
from dataclasses import dataclass, field
from itertools import compress
from operator import not_
from typing import IO

from nexus_action.classify.baseline_chunks import (
    Chunk,
    NoBaseline,
    chunks,
    distinct_of,
    lines_of,
    pieces,
    read_again,
    sniffed,
)
from nexus_action.classify.model import NewBlock
from nexus_action.classify.templates import MaskSet, mask
from nexus_action.logs.normalise import clean_text

MAX_BASELINE_BYTES = 1 << 30  # a passing log bigger than this is not read ("huge")
MAX_TEMPLATES = 250_000  # hashes kept from the passing log, all steps together (~60 bytes each)
# Distinct template hashes per chunk that the first pass keeps for the failing log (8 bytes each), so that the
# third need not read it all again; a log that repeats itself less is read a third time instead.
MAX_KEPT_HASHES = 2_500_000
PIECE_COST = 40  # what keeping one run of lines within a step costs (~300 bytes), counted in hashes
MAX_RECORDED_NEW = 1_000_000  # new line numbers kept (4 bytes each); beyond, only counted
MAX_BLOCKS = 2_000  # the last blocks of new lines kept (the failure is near the end)
BLOCK_GAP = 2  # new lines at most this far apart belong to one block
# Distinct steps compared each on its own; the lines of any further ones are compared together, under one key
# no step name masks to (a log that starts thousands of steps costs bounded memory).
MAX_STEPS = 2_000
MORE_STEPS = b"\x00more steps"
# More than this share of the failing log's steps must be in the passing log: a checkout step alone (every
# job has one) does not make two jobs the same.
MIN_SHARED_STEPS = 0.5
BLOCK_TEXT_CHARS = 300


@dataclass
class BaselineIndex:
    """What the passing log printed, per step template (None: before the first step).

    `seen`: first-look template hashes that the failing log has too; `second`: second-look template hashes of
    the passing lines that matched no failing line at first look (see templates.yaml).
    """

    seen: dict[bytes | None, set[int]] = field(default_factory=dict)
    second: dict[bytes | None, set[int]] = field(default_factory=dict)
    step_names: list[str] = field(default_factory=list)
    lines: int = 0
    capped: bool = False


@dataclass
class Comparison:
    """What the failing log holds that the passing log does not. `note` says why a comparison is not used."""

    lines: int = 0
    new_lines: int = 0
    steps_compared: int = 0
    new_numbers: array[int] = field(default_factory=lambda: array("I"))
    recorded_all: bool = True
    blocks: deque[NewBlock] = field(default_factory=lambda: deque(maxlen=MAX_BLOCKS))
    note: str | None = None

    @property
    def usable(self) -> bool:
        return self.note is None

    def is_new(self, line: int) -> bool | None:
        """Whether that line of the failing log is new; None when unknown (not recorded, or no comparison)."""
        if not self.usable:
            return None
        at = bisect.bisect_left(self.new_numbers, line)
        if at < len(self.new_numbers) and self.new_numbers[at] == line:
            return True
        if not self.recorded_all and (not self.new_numbers or line > self.new_numbers[-1]):
            return None
        return False


@dataclass(slots=True)
class _Piece:
    """A run of a chunk's lines within one step, and the distinct hashes of their first-look templates."""

    step: str | None
    key: bytes | None
    begin: int
    end: int
    hashes: array[int]


@dataclass(slots=True)
class _Kept:
    """What the first pass keeps of a chunk of the failing log, so that the third reads it again only if a
    line of it may be new."""

    first: int
    lines: int
    offset: int
    size: int
    pieces: list[_Piece]


@dataclass
class FailingScan:
    """The first pass over the failing log: distinct first-look template hashes per step (capped) and, while
    they fit in MAX_KEPT_HASHES, each chunk's distinct hashes, so that the third pass need not read and mask the
    whole log again (only the chunks holding a line the passing log may not have printed)."""

    found: dict[bytes | None, set[int]] = field(default_factory=dict)
    chunks: list[_Kept] | None = field(default_factory=list)
    steps: dict[bytes | None, str] = field(default_factory=dict)  # step key -> the first name it had


class _StepKeys:
    """Step name -> the key its lines are compared under, within one log: the name masked (numbers differ between
    runs), each of the first MAX_STEPS distinct keys its own, every further one MORE_STEPS."""

    def __init__(self, masks: MaskSet) -> None:
        self.masks = masks
        self.keys: set[bytes] = set()
        self.names: dict[str, bytes] = {}  # names already masked, as many as MAX_STEPS

    def __call__(self, step: str | None) -> bytes | None:
        if step is None:
            return None
        key = self.names.get(step)
        if key is not None:
            return key
        key = mask(step.encode("utf-8", "replace"), self.masks.full)
        if key not in self.keys:
            if len(self.keys) >= MAX_STEPS:
                return MORE_STEPS
            self.keys.add(key)
        if len(self.names) < MAX_STEPS:
            self.names[step] = key
        return key


def _second_look(chunk: Chunk, indexes: list[int], masks: MaskSet) -> list[bytes]:
    """Full templates of a few lines of the chunk (all masks, the slow ones too)."""
    raw = chunk.raw_lines()
    return mask(b"\n".join(raw[i] for i in indexes), masks.full).split(b"\n")


def scan_failing(stream: IO[bytes], masks: MaskSet) -> FailingScan:
    """First pass over the failing log: its distinct first-look templates per step (capped), and each chunk's
    distinct template hashes while they fit in MAX_KEPT_HASHES."""
    scan = FailingScan()
    step: str | None = None
    kept = held = 0
    keys = _StepKeys(masks)
    for chunk in chunks(stream, masks, None):
        runs: list[_Piece] = []
        for piece_step, begin, end in pieces(chunk, step):
            step = piece_step
            key = keys(step)
            if step is not None:
                scan.steps.setdefault(key, step)
            # The chunk's set hashed each line once (bytes cache their hash); the step's set takes the distinct.
            hashes = array("q", map(hash, distinct_of(chunk, begin, end)))
            seen = scan.found.setdefault(key, set())
            if kept < MAX_TEMPLATES:
                before = len(seen)
                seen.update(hashes)
                kept += len(seen) - before
            runs.append(_Piece(step, key, begin, end, hashes))
            held += len(hashes) + PIECE_COST
        if scan.chunks is not None and held <= MAX_KEPT_HASHES and not chunk.clipped:
            scan.chunks.append(_Kept(chunk.first, len(chunk.templates), chunk.offset, chunk.size, runs))
        else:
            scan.chunks = None  # too much to keep: the third pass reads the log again
    return scan


def build_index(
    stream: IO[bytes],
    failing: dict[bytes | None, set[int]],
    masks: MaskSet,
    limit: int = MAX_BASELINE_BYTES,
) -> BaselineIndex:
    """Second pass, over the passing log. `failing`: FailingScan.found, the failing log's first-look templates
    per step; those the passing log printed too move from it to the index (kept once: both are capped, and
    together they are the biggest thing a comparison holds). Raises NoBaseline when the passing log is empty,
    binary or bigger than `limit`."""
    index = BaselineIndex()
    step: str | None = None
    kept = 0
    keys = _StepKeys(masks)
    for chunk in chunks(sniffed(stream), masks, limit):
        index.lines += len(chunk.templates)
        for piece_step, begin, end in pieces(chunk, step):
            step = piece_step
            key = keys(step)
            if key not in index.seen:
                index.seen[key], index.second[key] = set(), set()
                if step is not None:
                    index.step_names.append(step)
            wanted = failing.get(key)
            if wanted is None:
                continue  # a step the failing run never reached: nothing there to compare with
            seen = index.seen[key]
            distinct = distinct_of(chunk, begin, end)
            # Set operations that walk only the chunk's few hashes: `hashes -= seen` walks all of `seen`, and
            # `wanted & hashes` all of `wanted`'s table once it has given most of its hashes to `seen`.
            hashes = set(map(hash, distinct)).difference(seen)
            common = {h for h in hashes if h in wanted}
            wanted -= common
            seen |= common
            if len(common) == len(hashes):  # the usual case: every line here is in the failing log too
                continue
            if kept >= MAX_TEMPLATES:
                index.capped = True
                continue
            hashes -= common  # now those of lines the failing log never printed at first look
            unwanted = {t for t in distinct if hash(t) in hashes}
            other = list(compress(range(begin, end), map(unwanted.__contains__, lines_of(chunk, begin, end))))
            second = index.second[key]
            before = len(second)
            second.update(map(hash, _second_look(chunk, other, masks)))
            kept += len(second) - before
    if not index.lines:
        raise NoBaseline("the passing log is empty")
    return index


def _new_in_piece(
    chunk: Chunk,
    span: tuple[int, int],
    key: bytes | None,
    *,
    index: BaselineIndex,
    masks: MaskSet,
) -> list[int]:
    """Indexes (in the chunk) of the piece's lines that are new: first look, then second look at the rest."""
    begin, end = span
    seen, second = index.seen.get(key), index.second.get(key)
    if seen is None or second is None:
        return list(range(begin, end))  # a step the passing run did not have: all of it is new
    hashes = map(hash, lines_of(chunk, begin, end))
    other = list(compress(range(begin, end), map(not_, map(seen.__contains__, hashes))))
    if not other:
        return []
    looks = _second_look(chunk, other, masks)
    return [i for i, t in zip(other, looks, strict=True) if hash(t) not in second]


def compare(stream: IO[bytes], scan: FailingScan, index: BaselineIndex, masks: MaskSet) -> Comparison:
    """Third pass, over the failing log: its lines that the passing log did not print. With the hashes the
    first pass kept, only the chunks holding a template the passing log may not have printed are read again.
    A passing log of another job is not compared at all (its note says why)."""
    result = Comparison()
    _check_same_job(result, scan.steps, index)
    if not result.usable:
        return result
    start = stream.tell()
    for kept in scan.chunks or ():
        result.lines += kept.lines
        chunk: Chunk | None = None
        for piece in kept.pieces:
            seen = index.seen.get(piece.key)
            if seen is not None and seen.issuperset(piece.hashes):
                continue
            chunk = chunk or read_again(stream, start + kept.offset, kept.size, kept.first, masks)
            new = _new_in_piece(chunk, (piece.begin, piece.end), piece.key, index=index, masks=masks)
            if new:
                _record(result, chunk, piece.step, new)
    if scan.chunks is None:
        current: str | None = None
        keys = _StepKeys(masks)
        for chunk in chunks(stream, masks, None):
            result.lines += len(chunk.templates)
            for piece_step, begin, end in pieces(chunk, current):
                current = piece_step
                new = _new_in_piece(chunk, (begin, end), keys(current), index=index, masks=masks)
                if new:
                    _record(result, chunk, current, new)
    return result


def _check_same_job(result: Comparison, fail_steps: dict[bytes | None, str], index: BaselineIndex) -> None:
    shared = [k for k in fail_steps if k in index.seen]
    result.steps_compared = len(shared)
    if (fail_steps or index.step_names) and len(shared) <= MIN_SHARED_STEPS * len(fail_steps):
        fail = ", ".join(list(fail_steps.values())[:3]) or "none"
        green = ", ".join(index.step_names[:3]) or "none"
        result.note = f"the passing log is not from the same job: steps ({green}) are not the failing log's ({fail})"


def _record(result: Comparison, chunk: Chunk, step: str | None, new: list[int]) -> None:
    result.new_lines += len(new)
    room = MAX_RECORDED_NEW - len(result.new_numbers)
    if room < len(new):
        result.recorded_all = False
    result.new_numbers.extend(chunk.first + i for i in new[: max(room, 0)])
    blocks = result.blocks
    for i in new:
        number = chunk.first + i
        last = blocks[-1] if blocks else None
        if last is not None and last.step == step and number - last.end <= BLOCK_GAP:
            blocks[-1] = NewBlock(last.start, number, step, last.text)
            continue
        text = clean_text(chunk.raw_lines()[i]).strip()[:BLOCK_TEXT_CHARS]
        blocks.append(NewBlock(number, number, step, text))
