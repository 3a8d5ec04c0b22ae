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
import io
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from operator import not_
from typing import IO, Protocol, cast

from nexus_action.classify.model import NewBlock
from nexus_action.classify.templates import MaskSet, mask
from nexus_action.logs.normalise import clean_text

# Small enough that a chunk's buffers come from the heap again and again (a megabyte is mapped afresh and
# faulted in at each read, which costs more than the reading) and stay in cache while masked, split and hashed.
CHUNK_SIZE = 1 << 17
MAX_BASELINE_BYTES = 1 << 30  # a passing log bigger than this is not read ("huge")
MAX_LINE_BYTES = 1 << 22  # of a line longer than this (no newline in 4 MiB), the middle is skipped
MAX_TEMPLATES = 250_000  # hashes kept from the passing log, all steps together (~60 bytes each)
# Distinct template hashes per chunk that the first pass keeps for the failing log (8 bytes each), so that the
# third need not read it all again; a log that repeats itself less is read a third time instead.
MAX_KEPT_HASHES = 2_500_000
PIECE_COST = 20  # what keeping one run of lines within a step costs, counted in hashes
MAX_RECORDED_NEW = 1_000_000  # new line numbers kept (4 bytes each); beyond, only counted
MAX_BLOCKS = 2_000  # the last blocks of new lines kept (the failure is near the end)
BLOCK_GAP = 2  # new lines at most this far apart belong to one block
# More than this share of the failing log's steps must be in the passing log: a checkout step alone (every
# job has one) does not make two jobs the same.
MIN_SHARED_STEPS = 0.5
BINARY_SNIFF = 8192
MAX_NUL_SHARE = 0.01
BLOCK_TEXT_CHARS = 300
STEP_MARK = b"##[group]Run "
_GROUP = "##[group]"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class NoBaseline(Exception):
    """The passing log cannot serve as a baseline; the message is the note shown to the user."""


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


@dataclass
class _Chunk:
    first: int  # number of the chunk's first line
    raw: bytes  # whole lines, each ending in b"\n", up to `end`; then maybe the head of a line cut in two
    templates: list[bytes]  # first-look templates of the whole lines
    distinct: set[bytes]  # the distinct ones among them (empty when not asked for)
    steps: list[tuple[int, str]]  # (index of the line that starts a step, step name), in order
    offset: int = 0  # where `raw` starts in the stream, and how many of the stream's bytes its lines hold
    size: int = 0
    clipped: bool = False  # a line too long was cut on the way: offsets are no longer the stream's


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


# Streams that seek back cheaply: a chunk is read again from the start of the line it cut in two, instead of
# copying the chunk to carry that line over (a zip member's seek decompresses again from the start: not those).
_CHEAP_SEEK = (io.BufferedReader, io.BufferedRandom, io.BytesIO, io.FileIO)


def _chunks(stream: Readable, masks: MaskSet, limit: int | None) -> Iterator[_Chunk]:
    rewind = isinstance(stream, _CHEAP_SEEK) and stream.seekable()
    number, carry, read, offset, clipped = 1, b"", 0, 0, False
    while True:
        block = stream.read(CHUNK_SIZE)
        if not block:
            break
        read += len(block)
        if limit is not None and read > limit:
            raise NoBaseline(f"the passing log is bigger than {limit >> 20} MiB")
        cut = block.rfind(b"\n") + 1
        if not cut:
            if len(carry) <= MAX_LINE_BYTES:  # past that, only the head is kept: no copy of it per read
                carry += block
            if len(carry) > MAX_LINE_BYTES:
                # A line this long keeps its head (and, once its newline comes, its tail): memory stays bounded
                # and the line still ends where it ends, so line numbers stay true; its bytes are no longer the
                # file's.
                carry, clipped = carry[:MAX_LINE_BYTES], True
            continue
        raw, end = (carry + block, len(carry) + cut) if carry else (block, cut)
        carry = b""
        if cut < len(block):
            if rewind:
                cast("IO[bytes]", stream).seek(cut - len(block), io.SEEK_CUR)
                read -= len(block) - cut
            else:
                carry = block[cut:]
        chunk = _chunk(number, raw, end, masks)
        yield _placed(chunk, offset, end, clipped)
        number, offset = number + len(chunk.templates), offset + end
    if carry:
        yield _placed(_chunk(number, carry + b"\n", len(carry) + 1, masks), offset, len(carry), clipped)


def _placed(chunk: _Chunk, offset: int, size: int, clipped: bool) -> _Chunk:
    chunk.offset, chunk.size, chunk.clipped = offset, size, clipped
    return chunk


def _reread(stream: IO[bytes], start: int, kept: _Kept, masks: MaskSet) -> _Chunk:
    """A chunk of the failing log, read again from where the first pass found it, and masked again."""
    stream.seek(start + kept.offset)
    raw = stream.read(kept.size)
    if not raw.endswith(b"\n"):
        raw += b"\n"  # the last line of a log without a final newline
    return _chunk(kept.first, raw, len(raw), masks, steps=False)


def _chunk(first: int, raw: bytes, end: int, masks: MaskSet, *, steps: bool = True) -> _Chunk:
    """The lines of raw[:end], masked, with their distinct templates and where steps start (`steps=False`:
    neither). The whole of `raw` is masked: cheaper than copying the lines out."""
    templates = mask(raw, masks.first).split(b"\n")
    templates.pop()  # after the last b"\n": the head of a line cut in two, or nothing
    distinct = set(templates) if steps else set()
    found: list[tuple[int, str]] = []
    # Masks only delete bytes, and none of the step mark's: a line that has the mark raw has it in its template
    # too, and the chunk's few distinct templates are quicker to search than its raw bytes.
    at = raw.find(STEP_MARK, 0, end) if any(STEP_MARK in t for t in distinct) else -1
    while at >= 0:
        start = raw.rfind(b"\n", 0, at) + 1
        stop = raw.find(b"\n", at)
        text = clean_text(raw[start:stop]).lstrip()
        if text.startswith(_GROUP + "Run "):
            found.append((raw.count(b"\n", 0, start), text[len(_GROUP) :][:120].rstrip()))
        at = raw.find(STEP_MARK, stop, end)
    return _Chunk(first, raw, templates, distinct, found)


def _pieces(chunk: _Chunk, step: str | None) -> Iterator[tuple[str | None, int, int]]:
    """(step, first index, end index) of the chunk's runs of lines within one step."""
    begin = 0
    for index, name in chunk.steps:
        if index > begin:
            yield step, begin, index
        step, begin = name, index
    if begin < len(chunk.templates):
        yield step, begin, len(chunk.templates)


def _lines(chunk: _Chunk, begin: int, end: int) -> list[bytes]:
    templates = chunk.templates
    return templates if begin == 0 and end == len(templates) else templates[begin:end]


def _distinct(chunk: _Chunk, begin: int, end: int) -> set[bytes]:
    return chunk.distinct if begin == 0 and end == len(chunk.templates) else set(chunk.templates[begin:end])


@lru_cache(maxsize=1024)
def _step_key(step: str | None, masks: MaskSet) -> bytes | None:
    return None if step is None else mask(step.encode("utf-8", "replace"), masks.full)


def _second_look(chunk: _Chunk, indexes: list[int], masks: MaskSet) -> list[bytes]:
    """Full templates of a few lines of the chunk (all masks, the slow ones too)."""
    raw = chunk.raw.split(b"\n")
    return mask(b"\n".join(raw[i] for i in indexes), masks.full).split(b"\n")


def _sniff(stream: IO[bytes]) -> bytes:
    head = stream.read(BINARY_SNIFF)
    if not head:
        raise NoBaseline("the passing log is empty")
    if head.startswith(b"PK\x03\x04") or head.count(b"\x00") > MAX_NUL_SHARE * len(head):
        raise NoBaseline("the passing log is not text (a zip archive or binary data)")
    return head


class _Prefixed:
    """A stream with its first bytes, already read for sniffing, put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1, /) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.rest.read(size)


def _sniffed(stream: IO[bytes]) -> Readable:
    """The stream from its start, its head checked: a stream that seeks cheaply is sought back to its start."""
    if isinstance(stream, _CHEAP_SEEK) and stream.seekable():
        at = stream.tell()
        _sniff(stream)
        stream.seek(at)
        return stream
    return _Prefixed(_sniff(stream), stream)


def scan_failing(stream: IO[bytes], masks: MaskSet) -> FailingScan:
    """First pass over the failing log: its distinct first-look templates per step (capped), and each chunk's
    distinct template hashes while they fit in MAX_KEPT_HASHES."""
    scan = FailingScan()
    step: str | None = None
    kept = held = 0
    for chunk in _chunks(stream, masks, None):
        pieces = []
        for piece_step, begin, end in _pieces(chunk, step):
            step = piece_step
            key = _step_key(step, masks)
            # The chunk's set hashed each line once (bytes cache their hash); the step's set takes the distinct.
            hashes = array("q", map(hash, _distinct(chunk, begin, end)))
            seen = scan.found.setdefault(key, set())
            if kept < MAX_TEMPLATES:
                before = len(seen)
                seen.update(hashes)
                kept += len(seen) - before
            pieces.append(_Piece(step, key, begin, end, hashes))
            held += len(hashes) + PIECE_COST
        if scan.chunks is not None and held <= MAX_KEPT_HASHES and not chunk.clipped:
            scan.chunks.append(_Kept(chunk.first, len(chunk.templates), chunk.offset, chunk.size, pieces))
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
    per step. Raises NoBaseline when the passing log is empty, binary or bigger than `limit`."""
    index = BaselineIndex()
    step: str | None = None
    kept = 0
    for chunk in _chunks(_sniffed(stream), masks, limit):
        index.lines += len(chunk.templates)
        for piece_step, begin, end in _pieces(chunk, step):
            step = piece_step
            key = _step_key(step, masks)
            if key not in index.seen:
                index.seen[key], index.second[key] = set(), set()
                if step is not None:
                    index.step_names.append(step)
            wanted = failing.get(key)
            if wanted is None:
                continue  # a step the failing run never reached: nothing there to compare with
            lines = _lines(chunk, begin, end)
            distinct = _distinct(chunk, begin, end)
            hashes = set(map(hash, distinct))
            common = wanted.intersection(hashes)
            index.seen[key].update(common)
            if len(common) == len(hashes):  # the usual case: every line here is in the failing log too
                continue
            if kept >= MAX_TEMPLATES:
                index.capped = True
                continue
            unwanted = {t for t in distinct if hash(t) not in wanted}
            other = list(compress(range(begin, end), map(unwanted.__contains__, lines)))
            second = index.second[key]
            before = len(second)
            second.update(map(hash, _second_look(chunk, other, masks)))
            kept += len(second) - before
    if not index.lines:
        raise NoBaseline("the passing log is empty")
    return index


def _new_in_piece(
    chunk: _Chunk,
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
    hashes = map(hash, _lines(chunk, begin, end))
    other = list(compress(range(begin, end), map(not_, map(seen.__contains__, hashes))))
    if not other:
        return []
    looks = _second_look(chunk, other, masks)
    return [i for i, t in zip(other, looks, strict=True) if hash(t) not in second]


def compare(stream: IO[bytes], scan: FailingScan, index: BaselineIndex, masks: MaskSet) -> Comparison:
    """Third pass, over the failing log: its lines that the passing log did not print. With the hashes the
    first pass kept, only the chunks holding a template the passing log may not have printed are read again."""
    result = Comparison()
    fail_steps: dict[bytes | None, str] = {}
    start = stream.tell()
    for kept in scan.chunks or ():
        result.lines += kept.lines
        chunk: _Chunk | None = None
        for piece in kept.pieces:
            if piece.step is not None:
                fail_steps.setdefault(piece.key, piece.step)
            seen = index.seen.get(piece.key)
            if seen is not None and seen.issuperset(piece.hashes):
                continue
            chunk = chunk or _reread(stream, start, kept, masks)
            new = _new_in_piece(chunk, (piece.begin, piece.end), piece.key, index=index, masks=masks)
            if new:
                _record(result, chunk, piece.step, new)
    if scan.chunks is None:
        current: str | None = None
        for chunk in _chunks(stream, masks, None):
            result.lines += len(chunk.templates)
            for piece_step, begin, end in _pieces(chunk, current):
                current = piece_step
                key = _step_key(current, masks)
                if current is not None:
                    fail_steps.setdefault(key, current)
                new = _new_in_piece(chunk, (begin, end), key, index=index, masks=masks)
                if new:
                    _record(result, chunk, current, new)
    _check_same_job(result, fail_steps, index)
    return result


def _check_same_job(result: Comparison, fail_steps: dict[bytes | None, str], index: BaselineIndex) -> None:
    shared = [k for k in fail_steps if k in index.seen]
    result.steps_compared = len(shared)
    if (fail_steps or index.step_names) and len(shared) <= MIN_SHARED_STEPS * len(fail_steps):
        fail = ", ".join(list(fail_steps.values())[:3]) or "none"
        green = ", ".join(index.step_names[:3]) or "none"
        result.note = f"the passing log is not from the same job: steps ({green}) are not the failing log's ({fail})"


def _record(result: Comparison, chunk: _Chunk, step: str | None, new: list[int]) -> None:
    result.new_lines += len(new)
    room = MAX_RECORDED_NEW - len(result.new_numbers)
    if room < len(new):
        result.recorded_all = False
    result.new_numbers.extend(chunk.first + i for i in new[: max(room, 0)])
    raw_lines: list[bytes] | None = None
    blocks = result.blocks
    for i in new:
        number = chunk.first + i
        last = blocks[-1] if blocks else None
        if last is not None and last.step == step and number - last.end <= BLOCK_GAP:
            blocks[-1] = NewBlock(last.start, number, step, last.text)
            continue
        if raw_lines is None:
            raw_lines = chunk.raw.split(b"\n")
        blocks.append(NewBlock(number, number, step, clean_text(raw_lines[i]).strip()[:BLOCK_TEXT_CHARS]))
