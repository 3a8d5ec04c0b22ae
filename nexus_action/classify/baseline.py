"""Compare a failing log with a passing log of the same job: which lines are new since the last green run.

Three streaming passes, each reading one log a chunk at a time and masking whole chunks (templates.py):
1. the failing log's distinct first-look templates per step (`##[group]Run ...`), as hashes, capped;
2. the passing log: which of those it printed too, per step, and the second-look templates of its other
   lines (the slow masks run on those few lines only);
3. the failing log again: a line is old when its step's passing lines had its first-look template, or its
   second-look one; otherwise it is new. A step the passing run did not have is new throughout.
Memory is bounded by the caps, not by the size of either log. Consecutive new lines form blocks.

A passing log that is empty, binary, too big or from another job (its steps are not the failing log's) is no
baseline: the comparison carries a note instead, and the classification stays what it is without one.
"""

from __future__ import annotations

import bisect
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import compress
from operator import not_
from typing import IO, Protocol

from nexus_action.classify.model import NewBlock
from nexus_action.classify.templates import MaskSet, mask
from nexus_action.logs.normalise import clean_text

CHUNK_SIZE = 1 << 20
MAX_BASELINE_BYTES = 1 << 30  # a passing log bigger than this is not read ("huge")
MAX_LINE_BYTES = 1 << 22  # of a line longer than this (no newline in 4 MiB), the middle is skipped
MAX_TEMPLATES = 250_000  # hashes kept from the passing log, all steps together (~60 bytes each)
# Lines of the failing log whose hashes the first pass keeps (8 bytes each) so the third need not read it all
# again; a longer log is read a third time instead.
MAX_KEPT_LINES = 2_500_000
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
    raw: bytes  # whole lines, each ending in b"\n"
    templates: list[bytes]
    steps: list[tuple[int, str]]  # (index of the line that starts a step, step name), in order
    offset: int = 0  # where `raw` starts in the stream, and how many of the stream's bytes it holds
    size: int = 0
    clipped: bool = False  # a line too long was cut on the way: offsets are no longer the stream's


@dataclass
class FailingScan:
    """The first pass over the failing log: distinct first-look template hashes per step (capped) and, while
    the log has at most MAX_KEPT_LINES lines, every line's hash by chunk, so that the third pass need not read
    and mask the whole log again (only the chunks holding lines to look at twice)."""

    found: dict[bytes | None, set[int]] = field(default_factory=dict)
    chunks: list[tuple[_Chunk, array[int], list[tuple[str | None, int, int]]]] | None = field(default_factory=list)


def _chunks(stream: Readable, masks: MaskSet, limit: int | None) -> Iterator[_Chunk]:
    number, carry, read, offset, clipped = 1, b"", 0, 0, False
    while True:
        block = stream.read(CHUNK_SIZE)
        if not block:
            break
        read += len(block)
        if limit is not None and read > limit:
            raise NoBaseline(f"the passing log is bigger than {limit >> 20} MiB")
        data = carry + block
        cut = data.rfind(b"\n") + 1
        piece, carry = data[:cut], data[cut:]
        if len(carry) > MAX_LINE_BYTES:
            # A line this long keeps its head (and, once its newline comes, its tail): memory stays bounded and
            # the line still ends where it ends, so line numbers stay true; its bytes are no longer the file's.
            carry, clipped = carry[:MAX_LINE_BYTES], True
        if piece:
            chunk = _chunk(number, piece, masks)
            yield _placed(chunk, offset, len(piece), clipped)
            number, offset = number + len(chunk.templates), offset + len(piece)
    if carry:
        yield _placed(_chunk(number, carry + b"\n", masks), offset, len(carry), clipped)


def _placed(chunk: _Chunk, offset: int, size: int, clipped: bool) -> _Chunk:
    chunk.offset, chunk.size, chunk.clipped = offset, size, clipped
    return chunk


def _reread(stream: IO[bytes], start: int, chunk: _Chunk) -> bytes:
    """The raw bytes of a chunk of the failing log, read again from where the first pass found them."""
    stream.seek(start + chunk.offset)
    raw = stream.read(chunk.size)
    return raw if raw.endswith(b"\n") else raw + b"\n"  # the last line of a log without a final newline


def _chunk(first: int, raw: bytes, masks: MaskSet) -> _Chunk:
    templates = mask(raw, masks.first).split(b"\n")
    templates.pop()  # after the last b"\n"
    steps: list[tuple[int, str]] = []
    at = raw.find(STEP_MARK)
    while at >= 0:
        start = raw.rfind(b"\n", 0, at) + 1
        end = raw.find(b"\n", at)
        text = clean_text(raw[start:end]).lstrip()
        if text.startswith(_GROUP + "Run "):
            steps.append((raw.count(b"\n", 0, start), text[len(_GROUP) :][:120].rstrip()))
        at = raw.find(STEP_MARK, end)
    return _Chunk(first, raw, templates, steps)


def _pieces(chunk: _Chunk, step: str | None) -> Iterator[tuple[str | None, int, int]]:
    """(step, first index, end index) of the chunk's runs of lines within one step."""
    begin = 0
    for index, name in chunk.steps:
        if index > begin:
            yield step, begin, index
        step, begin = name, index
    if begin < len(chunk.templates):
        yield step, begin, len(chunk.templates)


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


def scan_failing(stream: IO[bytes], masks: MaskSet) -> FailingScan:
    """First pass over the failing log: its distinct first-look templates per step (capped), and its lines'
    hashes by chunk while there are at most MAX_KEPT_LINES of them."""
    scan = FailingScan()
    step: str | None = None
    kept = lines = 0
    for chunk in _chunks(stream, masks, None):
        hashes = array("q", map(hash, chunk.templates))
        pieces = []
        for piece_step, begin, end in _pieces(chunk, step):
            step = piece_step
            pieces.append((step, begin, end))
            seen = scan.found.setdefault(_step_key(step, masks), set())
            if kept < MAX_TEMPLATES:
                before = len(seen)
                seen.update(hashes[begin:end])
                kept += len(seen) - before
        lines += len(hashes)
        if scan.chunks is not None and lines <= MAX_KEPT_LINES and not chunk.clipped:
            scan.chunks.append((_Chunk(chunk.first, b"", [], [], chunk.offset, chunk.size), hashes, pieces))
        else:
            scan.chunks = None  # too long to keep: the third pass reads the log again
    return scan


def build_index(
    stream: IO[bytes],
    failing: dict[bytes | None, set[int]],
    masks: MaskSet,
    limit: int = MAX_BASELINE_BYTES,
) -> BaselineIndex:
    """`failing`: FailingScan.found, the failing log's first-look templates per step."""
    """Second pass, over the passing log. Raises NoBaseline when it is empty, binary or bigger than `limit`."""
    index = BaselineIndex()
    step: str | None = None
    kept = 0
    source = _Prefixed(_sniff(stream), stream)
    for chunk in _chunks(source, masks, limit):
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
            hashes = list(map(hash, chunk.templates[begin:end]))
            if wanted.issuperset(hashes):  # the usual case: every line here is in the failing log too
                index.seen[key].update(hashes)
                continue
            index.seen[key].update(wanted.intersection(hashes))
            if kept >= MAX_TEMPLATES:
                index.capped = True
                continue
            other = list(compress(range(begin, end), map(not_, map(wanted.__contains__, hashes))))
            if other:
                second = index.second[key]
                before = len(second)
                second.update(map(hash, _second_look(chunk, other, masks)))
                kept += len(second) - before
    if not index.lines:
        raise NoBaseline("the passing log is empty")
    return index


def _new_in_piece(
    chunk: _Chunk,
    hashes: Iterator[int],
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
    other = list(compress(range(begin, end), map(not_, map(seen.__contains__, hashes))))
    if not other:
        return []
    looks = _second_look(chunk, other, masks)
    return [i for i, t in zip(other, looks, strict=True) if hash(t) not in second]


def compare(stream: IO[bytes], scan: FailingScan, index: BaselineIndex, masks: MaskSet) -> Comparison:
    """Third pass, over the failing log: its lines that the passing log did not print. With the hashes the
    first pass kept, only the chunks holding a line to look at twice (or a new line) are read again."""
    result = Comparison()
    fail_steps: dict[bytes | None, str] = {}
    start = stream.tell()
    for chunk, hashes, pieces in scan.chunks or ():
        result.lines += len(hashes)
        for step, begin, end in pieces:
            key = _step_key(step, masks)
            if step is not None:
                fail_steps.setdefault(key, step)
            if not chunk.raw and not _all_seen(hashes[begin:end], index.seen.get(key)):
                chunk.raw = _reread(stream, start, chunk)
            new = (
                _new_in_piece(chunk, iter(hashes[begin:end]), (begin, end), key, index=index, masks=masks)
                if chunk.raw
                else []
            )
            if new:
                _record(result, chunk, step, new)
        chunk.raw = b""
    if scan.chunks is None:
        current: str | None = None
        for chunk in _chunks(stream, masks, None):
            result.lines += len(chunk.templates)
            for piece_step, begin, end in _pieces(chunk, current):
                current = piece_step
                key = _step_key(current, masks)
                if current is not None:
                    fail_steps.setdefault(key, current)
                looked = map(hash, chunk.templates[begin:end])
                new = _new_in_piece(chunk, looked, (begin, end), key, index=index, masks=masks)
                if new:
                    _record(result, chunk, current, new)
    _check_same_job(result, fail_steps, index)
    return result


def _all_seen(hashes: array[int], seen: set[int] | None) -> bool:
    return seen is not None and seen.issuperset(hashes)


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
