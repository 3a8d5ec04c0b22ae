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
from typing import IO, TypeVar

# A line longer than this is cut: bounded memory even for a log without newlines.
MAX_LINE_BYTES = 1 << 16
BOM = b"\xef\xbb\xbf"
# Where each contiguous run of a chunk's bytes starts: (offset in the chunk, offset in the file).
Spans = tuple[tuple[int, int], ...]
# A chunk, or a line cut from one: a file's chunks are one reused bytearray, other streams' are bytes.
Buffer = bytes | bytearray
_T = TypeVar("_T")


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


def _offset_in(spans: Spans, size: int, file_offset: int, length: int) -> int | None:
    """chunk_offset_of, with the common one-span chunk worked out inline (it runs once per grep hit)."""
    if len(spans) > 1:
        return chunk_offset_of(spans, size, file_offset, length)
    chunk_start, file_start = spans[0]
    pos = chunk_start + file_offset - file_start
    return pos if chunk_start <= pos and pos + length <= size else None


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
        self.overflowed = False  # the last chunk held more trigger lines than its limit

    def starts(self, buf: Buffer, spans: Spans, *, use_extra: bool, limit: int) -> dict[int, int | None]:
        """Start offset of each line holding a needle -> its line number when known (here: never).

        Over `limit` such lines: only the first and the last `limit // 2` (see `thinned`), found without
        visiting the lines between them.
        """
        low = buf.lower()
        found: set[int] = set()
        dense = False
        for pattern in self.with_extra if use_extra else self.plain:
            head, stopped = _lines_from(pattern, buf, low, 0, limit + 1)
            found.update(head)
            if stopped is not None:
                dense = True
                found.update(_last_lines_of(pattern, buf, low, stopped, limit // 2, seen=len(head)))
        ordered = sorted(found)
        self.overflowed = dense or len(ordered) > limit
        if self.overflowed:
            ordered = thinned(ordered, limit)
        return dict.fromkeys(ordered)

    def finish(self) -> None:
        """Nothing to check: the search ran here."""


def thinned(ordered: list[_T], limit: int) -> list[_T]:
    """The first and the last `limit // 2` of more than `limit` trigger lines (in log order).

    A chunk where most lines hold a needle ("0 errors", `-Werror` on every compile line) would otherwise cost a
    full read of each; the lines kept are where a run of such output starts and where it ends (a failing tool
    stops right after its error). Both searches keep the same lines, so they still agree.
    """
    if len(ordered) <= limit:
        return ordered
    half = limit // 2
    return ordered[:half] + ordered[len(ordered) - half :]


def _lines_from(
    pattern: re.Pattern[bytes], buf: Buffer, low: Buffer, pos: int, most: int
) -> tuple[list[int], int | None]:
    """Starts of the lines at or after `pos` where `pattern` matches, up to `most` of them; and, when it stopped
    early, the offset of the line start it stopped at."""
    out: list[int] = []
    found = pattern.search(low, pos)
    while found is not None:
        start = buf.rfind(b"\n", 0, found.start()) + 1
        if len(out) == most:
            return out, start
        out.append(start)
        nxt = buf.find(b"\n", found.start())
        found = pattern.search(low, nxt + 1) if nxt >= 0 else None
    return out, None


def _last_lines_of(
    pattern: re.Pattern[bytes], buf: Buffer, low: Buffer, after: int, count: int, *, seen: int
) -> list[int]:
    """The starts of the last `count` lines at or after `after` where `pattern` matches.

    Searches ever larger windows at the end of the chunk, so a dense chunk costs about `count` matches, not all.
    A line starting before a window is complete only if `count` lines start inside it, so those are what counts.
    """
    # First guess: the window that would hold `count` lines at the density of the `seen` lines before `after`.
    size = max(after * count // max(seen, 1) * 5 // 4, 1)
    while True:
        window = max(after, len(buf) - size)
        lines, _ = _lines_from(pattern, buf, low, window, len(buf))
        inside = [start for start in lines if start >= window]
        if len(inside) >= count or window == after:
            return lines[max(0, len(lines) - count) :]
        size *= 4


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
        # The last chunk held more trigger lines than its limit: reading every hit of such a chunk costs more than
        # searching it here (grep -o writes a record per hit), so the caller may stop reading them.
        self.overflowed = False

    def starts(self, buf: Buffer, spans: Spans, *, use_extra: bool, limit: int) -> dict[int, int | None]:
        """Start offset of each line holding a needle -> its line number; over `limit`, as `thinned` says.

        Every hit of the chunk is read (grep wrote them), but only the kept lines are placed in the chunk.
        """
        end = file_end_of(spans, len(buf))
        lines: list[tuple[int, int]] = []  # (line number, chunk offset of its first hit) per trigger line
        last_number = -1
        while self.pending is not None and self.pending[1] < end:
            number, file_offset, matched = self.pending
            self.pending = next(self.hits, None)
            if number == last_number:
                continue  # another needle on a line already taken
            pos = _offset_in(spans, len(buf), file_offset, len(matched))
            if pos is None:
                continue  # in the dropped tail of an over-long line (or the BOM): the chunk never held it
            if not use_extra and matched.lower() == self.extra and not self._holds_needle(buf, pos):
                continue
            lines.append((number, pos))
            last_number = number
        self.overflowed = len(lines) > limit
        return {buf.rfind(b"\n", 0, pos) + 1: number for number, pos in thinned(lines, limit)}

    def _holds_needle(self, buf: Buffer, pos: int) -> bool:
        line = buf[buf.rfind(b"\n", 0, pos) + 1 : buf.find(b"\n", pos)].lower()
        return any(needle in line for needle in self.needles)

    def finish(self) -> None:
        """Read the hits to their end, so that the searcher's own failure (raised by the iterator) surfaces."""
        for _ in self.hits:
            pass
