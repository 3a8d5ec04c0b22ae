"""Finding the lines of a log that hold a needle: whole-line chunks of the file, and two ways to search them.

`Chunker` cuts a byte stream into runs of whole lines with bounded memory, and remembers where each run's
bytes lie in the file (`spans`): the BOM and the tail of an over-long line are dropped, so a chunk is not always
one contiguous slice of the file.

A finder gives the start offsets of the lines in a chunk whose lower-cased text holds a needle:
- `RegexFinder` searches the chunk itself (pure Python, any stream);
- `OffsetFinder` takes the file offsets of the needles from a faster searcher that has read the same file
  (`grep_search`), and only maps them onto the chunk. Both give the same lines.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from typing import IO

# A line longer than this is cut: bounded memory even for a log without newlines.
MAX_LINE_BYTES = 1 << 16
BOM = b"\xef\xbb\xbf"
# Where each contiguous run of a chunk's bytes starts: (offset in the chunk, offset in the file).
Spans = tuple[tuple[int, int], ...]
# A chunk, or a line cut from one: a file's chunks are one reused bytearray, other streams' are bytes.
Buffer = bytes | bytearray


class Chunker:
    """Splits a byte stream into runs of whole lines, each with the spans of the file it came from.

    A file (or BytesIO) is read into one reused buffer, and read again from the start of the line a chunk cut in
    two: a new megabyte object per chunk costs as much as reading it (the allocator hands the memory back to the
    system and faults it in again). Such a chunk is only valid until the next one is asked for. Other streams
    (pipes, zip members, whose seek decompresses again from the start) carry the cut line over to the next read.
    """

    def __init__(self, stream: IO[bytes], chunk_size: int) -> None:
        self.stream = stream
        self.chunk_size = chunk_size
        self.file = stream if isinstance(stream, io.BufferedReader | io.BytesIO | io.FileIO) else None

    def __iter__(self) -> Iterator[tuple[Buffer, Spans]]:
        if self.file is not None and self.file.seekable():
            return self._rewinding(self.file)
        return self._carrying()

    def _rewinding(self, file: io.BufferedReader | io.BytesIO | io.FileIO) -> Iterator[tuple[Buffer, Spans]]:
        buf = bytearray(self.chunk_size)
        at = file.tell()  # file offset of the next read
        if file.read(len(BOM)) == BOM:
            at += len(BOM)
        else:
            file.seek(at)
        while True:
            if len(buf) < self.chunk_size:
                buf.extend(bytes(self.chunk_size - len(buf)))
            size = file.readinto(buf)
            if not size:
                return
            end = buf.rfind(b"\n", 0, size)
            if end < 0:
                line, spans, at = self._long_line(file, buf, size, at)
                yield line, spans
                continue
            file.seek(end + 1 - size, io.SEEK_CUR)  # the cut line is read again, whole, next time
            del buf[end + 1 :]
            yield buf, ((0, at),)
            at += end + 1

    def _long_line(
        self, file: io.BufferedReader | io.BytesIO | io.FileIO, buf: bytearray, size: int, at: int
    ) -> tuple[bytes, Spans, int]:
        """A line with no newline in `buf[:size]` (read from `at`): its first MAX_LINE_BYTES, the spans, and
        the file offset just past its newline, where the stream is left."""
        kept = bytearray(buf[: min(size, MAX_LINE_BYTES)])
        pos = at + size  # file offset of the next unread byte
        while True:
            size = file.readinto(buf)
            if not size:  # the log ends inside the line: it is still a line (sed prints it)
                return bytes(kept) + b"\n", ((0, at),), pos
            newline = buf.find(b"\n", 0, size)
            if len(kept) < MAX_LINE_BYTES:
                kept += buf[: min(newline if newline >= 0 else size, MAX_LINE_BYTES - len(kept))]
            if newline >= 0:
                file.seek(newline + 1 - size, io.SEEK_CUR)
                newline_at = pos + newline
                spans: Spans = ((0, at),) if at + len(kept) == newline_at else ((0, at), (len(kept), newline_at))
                return bytes(kept) + b"\n", spans, newline_at + 1
            pos += size

    def _carrying(self) -> Iterator[tuple[Buffer, Spans]]:
        carry = b""
        carry_spans: Spans = ()
        read_at = 0  # file offset of the next read
        first = True
        skipping = False  # inside an over-long line, dropping bytes until its newline
        while True:
            data = self.stream.read(self.chunk_size)
            if not data:
                break
            at, read_at = read_at, read_at + len(data)
            if first:
                while len(data) < len(BOM) and BOM.startswith(data) and (more := self.stream.read(1)):
                    data += more  # chunks smaller than the BOM
                read_at = at + len(data)
                if data.startswith(BOM):
                    data, at = data[len(BOM) :], at + len(BOM)
                first = False
            if skipping:
                cut = data.find(b"\n")
                if cut < 0:
                    continue
                data, at = data[cut:], at + cut  # keep the newline so the cut line still counts once
                skipping = False
            if carry:
                buf, spans = carry + data, _joined(carry_spans, len(carry), at)
            else:
                buf, spans = data, ((0, at),)
            end = buf.rfind(b"\n")
            if end < 0:
                carry, carry_spans = buf, spans
                if len(carry) > MAX_LINE_BYTES:
                    carry, skipping = carry[:MAX_LINE_BYTES], True
                continue
            carry, carry_spans = buf[end + 1 :], _rebased(spans, end + 1)
            if len(carry) > MAX_LINE_BYTES:
                carry, skipping = carry[:MAX_LINE_BYTES], True
            yield buf[: end + 1], spans
        if carry:
            yield carry + b"\n", carry_spans  # a last line without newline is still a line (sed prints it)


def _joined(spans: Spans, size: int, at: int) -> Spans:
    """The spans of `chunk + data`, where the chunk has `size` bytes and data starts at file offset `at`."""
    last_chunk_offset, last_file_offset = spans[-1]
    if last_file_offset + size - last_chunk_offset == at:
        return spans  # the data goes on where the chunk stopped
    return (*spans, (size, at))


def _rebased(spans: Spans, cut: int) -> Spans:
    """The spans of `chunk[cut:]`."""
    out: list[tuple[int, int]] = []
    for i, (chunk_offset, file_offset) in enumerate(spans):
        following = spans[i + 1][0] if i + 1 < len(spans) else None
        if following is not None and following <= cut:
            continue
        if chunk_offset <= cut:
            out.append((0, file_offset + cut - chunk_offset))
        else:
            out.append((chunk_offset - cut, file_offset))
    return tuple(out)


def chunk_offset_of(spans: Spans, size: int, file_offset: int, length: int) -> int | None:
    """Where `length` bytes at `file_offset` lie in a chunk of `size` bytes, or None when not wholly inside it."""
    for i, (chunk_start, file_start) in enumerate(spans):
        chunk_end = spans[i + 1][0] if i + 1 < len(spans) else size
        if file_start <= file_offset and file_offset + length <= file_start + chunk_end - chunk_start:
            return chunk_start + file_offset - file_start
    return None


def file_end_of(spans: Spans, size: int) -> int:
    """The file offset just past a chunk of `size` bytes."""
    chunk_start, file_start = spans[-1]
    return file_start + size - chunk_start


def lowered(needles: Iterable[bytes]) -> list[bytes]:
    """The needles as every search uses them: lower-cased, each once, sorted, empty ones dropped."""
    return sorted({n.lower() for n in needles if n})


def needle_patterns(needles: Iterable[bytes]) -> tuple[re.Pattern[bytes], ...]:
    """One literal regex per group of needles sharing a prefix (`fail`, `fatal` -> `fa(?:il|tal)`).

    A literal-prefix regex is CPython's fastest multi-needle search (re scans for the prefix in C, faster than
    bytes.find); a plain alternation of different words is ~10x slower, so unrelated needles stay separate passes.
    """
    groups: dict[bytes, list[bytes]] = {}
    for needle in sorted(set(needles)):
        groups.setdefault(needle[:2], []).append(needle)
    patterns = []
    for members in groups.values():
        prefix = _common_prefix(members)
        shortest = min(members, key=len)
        if prefix == shortest:
            # A needle that is the prefix of the others (or alone) finds all of their lines.
            patterns.append(re.compile(re.escape(shortest)))
            continue
        rest = b"|".join(re.escape(m[len(prefix) :]) for m in members)
        patterns.append(re.compile(re.escape(prefix) + b"(?:" + rest + b")"))
    return tuple(patterns)


def _common_prefix(members: list[bytes]) -> bytes:
    first, last = min(members), max(members)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


class RegexFinder:
    """Searches each chunk, lower-cased, for the needles (plus `extra` once `use_extra` says so)."""

    def __init__(self, needles: Iterable[bytes], extra: bytes) -> None:
        self.needles = lowered(needles)
        self.plain = needle_patterns(self.needles)
        self.with_extra = needle_patterns([*self.needles, extra])

    def starts(self, buf: Buffer, spans: Spans, *, use_extra: bool) -> dict[int, int | None]:
        """Start offset of each line holding a needle -> its line number when known (here: never)."""
        low = buf.lower()
        starts: dict[int, int | None] = {}
        for pattern in self.with_extra if use_extra else self.plain:
            found = pattern.search(low)
            while found is not None:
                pos = found.start()
                starts[buf.rfind(b"\n", 0, pos) + 1] = None
                nxt = buf.find(b"\n", pos)
                found = pattern.search(low, nxt + 1) if nxt >= 0 else None
        return starts

    def finish(self) -> None:
        """Nothing to check: the search ran here."""


class OffsetFinder:
    """Maps needle hits found elsewhere in the file onto chunks: (line number, file offset, matched bytes).

    The hits must come from searching the same file, in file order, for the needles and for `extra`,
    case-insensitively (ASCII only, as bytes.lower): a hit of `extra` alone counts only while `use_extra` is on,
    as in RegexFinder. Line numbers count b"\\n" from 1 at the start of the file.
    """

    def __init__(self, hits: Iterator[tuple[int, int, bytes]], needles: Iterable[bytes], extra: bytes) -> None:
        self.hits = hits
        self.needles = lowered(needles)
        self.extra = extra
        self.pending = next(self.hits, None)

    def starts(self, buf: Buffer, spans: Spans, *, use_extra: bool) -> dict[int, int | None]:
        """Start offset of each line holding a needle -> its line number."""
        end = file_end_of(spans, len(buf))
        starts: dict[int, int | None] = {}
        while self.pending is not None and self.pending[1] < end:
            number, file_offset, matched = self.pending
            self.pending = next(self.hits, None)
            pos = chunk_offset_of(spans, len(buf), file_offset, len(matched))
            if pos is None:
                continue  # in the dropped tail of an over-long line (or the BOM): the chunk never held it
            start = buf.rfind(b"\n", 0, pos) + 1
            if not use_extra and matched.lower() == self.extra and not self._holds_needle(buf, start):
                continue
            starts[start] = number
        return starts

    def _holds_needle(self, buf: Buffer, start: int) -> bool:
        line = buf[start : buf.find(b"\n", start)].lower()
        return any(needle in line for needle in self.needles)

    def finish(self) -> None:
        """Read the hits to their end, so that the searcher's own failure (raised by the iterator) surfaces."""
        for _ in self.hits:
            pass
