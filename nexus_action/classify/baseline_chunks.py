"""Reading a log for the comparison with the last green run: whole lines, a chunk at a time, masked.

A chunk is masked whole (templates.py), split into its lines' first-look templates and deduplicated (a set of
them: bytes cache their hash, so each line is hashed once, in C), with the lines where steps start. A stream
that seeks cheaply is read again from the start of the line a chunk cut in two; another carries that line over.
A line longer than MAX_LINE_BYTES keeps only its first and last halves of that, whatever the reads.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Protocol, cast

from nexus_action.classify.templates import MaskSet, mask
from nexus_action.logs.normalise import clean_text

# Small enough that a chunk's buffers come from the heap again and again (a megabyte is mapped afresh and
# faulted in at each read, which costs more than the reading) and stay in cache while masked, split and hashed.
CHUNK_SIZE = 1 << 17
# Of a line longer than this, only the first and the last half of this are kept. At least CHUNK_SIZE: a line
# that long never fits in one read, so every one is cut the same way, whatever the reads.
MAX_LINE_BYTES = 1 << 22
BINARY_SNIFF = 8192
MAX_NUL_SHARE = 0.01
STEP_MARK = b"##[group]Run "
_GROUP = "##[group]"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class NoBaseline(Exception):
    """The passing log cannot serve as a baseline; the message is the note shown to the user."""


@dataclass
class Chunk:
    first: int  # number of the chunk's first line
    raw: bytes  # whole lines, each ending in b"\n", up to `end`; then maybe the head of a line cut in two
    templates: list[bytes]  # first-look templates of the whole lines
    distinct: set[bytes]  # the distinct ones among them (empty when not asked for)
    steps: list[tuple[int, str]]  # (index of the line that starts a step, step name), in order
    offset: int = 0  # where `raw` starts in the stream, and how many of the stream's bytes its lines hold
    size: int = 0
    clipped: bool = False  # a line too long was cut on the way: offsets are no longer the stream's
    split: list[bytes] | None = None  # the raw lines, once a line needs its raw text (split once per chunk)

    def raw_lines(self) -> list[bytes]:
        if self.split is None:
            self.split = self.raw.split(b"\n")
        return self.split


# Streams that seek back cheaply: a chunk is read again from the start of the line it cut in two, instead of
# copying the chunk to carry that line over (a zip member's seek decompresses again from the start: not those).
CHEAP_SEEK = (io.BufferedReader, io.BufferedRandom, io.BytesIO, io.FileIO)


class _CutLine:
    """The line that a read cut in two, carried over to the next reads: all of it up to MAX_LINE_BYTES, then only
    its first and last halves of that (memory stays bounded for any line; the line still ends where it ends, so
    line numbers stay true; its bytes are no longer the file's)."""

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        self.head: bytes | None = None  # set once the line is longer than MAX_LINE_BYTES
        self.parts: list[bytes] = []  # what follows the head: at least its last half of MAX_LINE_BYTES
        self.kept = 0  # bytes in parts
        self.size = 0  # bytes of the line so far

    def __bool__(self) -> bool:
        return self.size > 0

    def add(self, data: bytes) -> None:
        half = MAX_LINE_BYTES // 2
        self.parts.append(data)
        self.kept += len(data)
        self.size += len(data)
        if self.size <= MAX_LINE_BYTES:
            return
        if self.head is None:
            joined = b"".join(self.parts)
            self.head, self.parts, self.kept = joined[:half], [joined[half:]], len(joined) - half
        while len(self.parts) > 1 and self.kept - len(self.parts[0]) >= half:
            self.kept -= len(self.parts.pop(0))

    def take(self, rest: bytes) -> tuple[bytes, bool]:
        """The whole line, with `rest` (its last bytes) added, and whether it was clipped; then starts anew."""
        half = MAX_LINE_BYTES // 2
        joined = b"".join([*self.parts, rest])
        clipped = self.size + len(rest) > MAX_LINE_BYTES
        if clipped:
            head = joined[:half] if self.head is None else self.head
            joined = head + joined[len(joined) - half :]
        self._start()
        return joined, clipped


def chunks(stream: Readable, masks: MaskSet, limit: int | None) -> Iterator[Chunk]:
    """The stream's whole lines, a chunk at a time, masked. A stream that seeks cheaply is read again from the
    start of the line a chunk cut in two (no copy of the chunk); another carries that line over."""
    rewind = isinstance(stream, CHEAP_SEEK) and stream.seekable()
    number, read, offset, clipped = 1, 0, 0, False
    carry = _CutLine()
    while True:
        block = stream.read(CHUNK_SIZE)
        if not block:
            break
        read += len(block)
        if limit is not None and read > limit:
            raise NoBaseline(f"the passing log is bigger than {limit >> 20} MiB")
        cut = block.rfind(b"\n") + 1
        if not cut:
            carry.add(block)
            continue
        raw, end = block, cut
        if carry:
            first = block.index(b"\n")
            line, cut_short = carry.take(block[:first])
            clipped = clipped or cut_short
            raw, end = line + block[first:], len(line) + cut - first
        if cut < len(block):
            if rewind:
                cast("IO[bytes]", stream).seek(cut - len(block), io.SEEK_CUR)
                read -= len(block) - cut
            else:
                carry.add(block[cut:])
        chunk = _chunk(number, raw, end, masks)
        yield _placed(chunk, offset, end, clipped)
        number, offset = number + len(chunk.templates), offset + end
    if carry:
        line, cut_short = carry.take(b"")
        clipped = clipped or cut_short
        yield _placed(_chunk(number, line + b"\n", len(line) + 1, masks), offset, len(line), clipped)


def _placed(chunk: Chunk, offset: int, size: int, clipped: bool) -> Chunk:
    chunk.offset, chunk.size, chunk.clipped = offset, size, clipped
    return chunk


def read_again(stream: IO[bytes], at: int, size: int, first: int, masks: MaskSet) -> Chunk:
    """A chunk read again from where it was found (`size` bytes at `at`), masked again; its steps not looked for."""
    stream.seek(at)
    raw = stream.read(size)
    if not raw.endswith(b"\n"):
        raw += b"\n"  # the last line of a log without a final newline
    return _chunk(first, raw, len(raw), masks, steps=False)


def _chunk(first: int, raw: bytes, end: int, masks: MaskSet, *, steps: bool = True) -> Chunk:
    """The lines of raw[:end], masked, with their distinct templates and where steps start (`steps=False`:
    neither). The whole of `raw` is masked: cheaper than copying the lines out."""
    templates = mask(raw, masks.first).split(b"\n")
    templates.pop()  # after the last b"\n": the head of a line cut in two, or nothing
    distinct = set(templates) if steps else set()
    found: list[tuple[int, str]] = []
    # Masks only delete bytes, and none of the step mark's: a line that has the mark raw has it in its template
    # too, and the chunk's few distinct templates are quicker to search than its raw bytes.
    at = raw.find(STEP_MARK, 0, end) if any(STEP_MARK in t for t in distinct) else -1
    index = counted = 0  # lines before `counted`, counted from the last step found (not from 0 each time)
    while at >= 0:
        start = raw.rfind(b"\n", 0, at) + 1
        stop = raw.find(b"\n", at)
        text = clean_text(raw[start:stop]).lstrip()
        if text.startswith(_GROUP + "Run "):
            index, counted = index + raw.count(b"\n", counted, start), start
            found.append((index, text[len(_GROUP) :][:120].rstrip()))
        at = raw.find(STEP_MARK, stop, end)
    return Chunk(first, raw, templates, distinct, found)


def pieces(chunk: Chunk, step: str | None) -> Iterator[tuple[str | None, int, int]]:
    """(step, first index, end index) of the chunk's runs of lines within one step."""
    begin = 0
    for index, name in chunk.steps:
        if index > begin:
            yield step, begin, index
        step, begin = name, index
    if begin < len(chunk.templates):
        yield step, begin, len(chunk.templates)


def lines_of(chunk: Chunk, begin: int, end: int) -> list[bytes]:
    templates = chunk.templates
    return templates if begin == 0 and end == len(templates) else templates[begin:end]


def distinct_of(chunk: Chunk, begin: int, end: int) -> set[bytes]:
    return chunk.distinct if begin == 0 and end == len(chunk.templates) else set(chunk.templates[begin:end])


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
            cut = len(self.head) if size < 0 else size  # never more than asked: lines are cut by reads' sizes
            out, self.head = self.head[:cut], self.head[cut:]
            return out
        return self.rest.read(size)


def sniffed(stream: IO[bytes]) -> Readable:
    """The stream from its start, its head checked: a stream that seeks cheaply is sought back to its start."""
    if isinstance(stream, CHEAP_SEEK) and stream.seekable():
        at = stream.tell()
        _sniff(stream)
        stream.seek(at)
        return stream
    return _Prefixed(_sniff(stream), stream)
