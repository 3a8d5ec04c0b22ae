"""Chunks of whole lines that know where their bytes lie in the file, and the two needle finders."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus_action.logs.normalise import LogLine, scan_lines, searched_needles
from nexus_action.logs.search import (
    MAX_LINE_BYTES,
    Buffer,
    Chunker,
    OffsetFinder,
    RegexFinder,
    Spans,
    chunk_offset_of,
    thinned,
)
from tests.streams import OneWay

LOGS = Path(__file__).parent.parent / "data" / "logs"
NEEDLES = (b"error", b"fail", b"fatal", b"##[", b"exited with", b"err!")
BOM = b"\xef\xbb\xbf"


def chunks(data: bytes, chunk_size: int, *, seekable: bool) -> list[tuple[bytes, Spans]]:
    stream = io.BytesIO(data) if seekable else io.BufferedReader(OneWay(data))
    return [(bytes(buf), spans) for buf, spans in Chunker(stream, chunk_size)]  # type: ignore[arg-type]


def tricky_log() -> bytes:
    long_line = b"x" * (MAX_LINE_BYTES + 5000) + b" error beyond the cut"
    return (
        BOM
        + b"first error\r\n"
        + b"plain\n"
        + long_line
        + b"\n"
        + b"after the long line: fatal\n"
        + b"\x00nul byte err! here\n"
        + b"progress 1%\r50%\rERROR at 100%\n"
        + b"no newline at the end: failure"
    )


@pytest.mark.parametrize("seekable", [True, False])
@pytest.mark.parametrize("chunk_size", [1, 7, 64, 4096, 1 << 20])
def test_every_chunk_byte_maps_to_the_same_byte_of_the_file(seekable: bool, chunk_size: int) -> None:
    data = tricky_log()
    got = chunks(data, chunk_size, seekable=seekable)
    for n, (buf, spans) in enumerate(got):
        assert buf.endswith(b"\n")
        last = n == len(got) - 1  # its newline is the one added to the unterminated last line
        for i in range(len(buf) - 1 if last else len(buf)):
            at = chunk_offset_of_inverse(spans, len(buf), i)
            assert data[at] == buf[i], (chunk_size, i)
    assert b"".join(buf for buf, _ in got).count(b"\n") == data.count(b"\n") + 1


def chunk_offset_of_inverse(spans: Spans, size: int, i: int) -> int:
    """The file offset of chunk byte i, found through chunk_offset_of (the function the finder relies on)."""
    for chunk_start, file_start in spans:
        at = file_start + i - chunk_start
        if i >= chunk_start and chunk_offset_of(spans, size, at, 1) == i:
            return at
    raise AssertionError(f"byte {i} maps to no file offset")


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 4096, 1 << 20])
def test_both_ways_of_reading_give_the_same_lines(chunk_size: int) -> None:
    data = tricky_log()
    lines = {
        seekable: b"".join(buf for buf, _ in chunks(data, chunk_size, seekable=seekable)).split(b"\n")
        for seekable in (True, False)
    }
    assert lines[True] == lines[False]
    assert lines[True][0] == b"first error\r"  # the BOM is gone
    if chunk_size < MAX_LINE_BYTES:  # a line longer than that, read in several pieces, is cut
        assert len(lines[True][2]) == MAX_LINE_BYTES
    assert lines[True][3] == b"after the long line: fatal"  # and still counts as one line


def reference_hits(data: bytes, needles: list[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """What grep -n -b -o -i reports, computed in Python: every needle's matches, in file order."""
    low = data.lower()
    found = sorted({(m.start(), m.group()) for n in needles for m in re.finditer(re.escape(n), low)})
    for offset, matched in found:
        yield data.count(b"\n", 0, offset) + 1, offset, data[offset : offset + len(matched)]


def scan_both(data: bytes, chunk_size: int, **options: object) -> tuple[list[LogLine], list[LogLine]]:
    def run(hits: Iterator[tuple[int, int, bytes]] | None) -> list[LogLine]:
        stream = io.BytesIO(data)
        return list(scan_lines(stream, NEEDLES, chunk_size=chunk_size, hits=hits, **options))  # type: ignore[arg-type]

    return run(None), run(reference_hits(data, searched_needles(NEEDLES)))


@pytest.mark.parametrize("chunk_size", [7, 4096, 1 << 20])
def test_hits_found_elsewhere_give_the_same_lines_as_searching_here(chunk_size: int) -> None:
    for path in sorted(LOGS.glob("*.log")):
        searched, given = scan_both(path.read_bytes(), chunk_size)
        assert given == searched, path.name
    searched, given = scan_both(tricky_log(), chunk_size)
    assert given == searched
    numbers = [line.number for line in searched if line.trigger]
    assert {1, 4, 5, 6, 7} <= set(numbers)
    if chunk_size < MAX_LINE_BYTES:
        assert 3 not in numbers  # "error" past the cut of the long line is not read, whoever found it


def test_a_travis_marker_alone_counts_only_in_a_travis_log() -> None:
    # Travis' markers count only in a log that starts like Travis' (in its first 1000 lines).
    plain = b"ok\n" * 1000 + b"something travis_time:start:1 said\nerror: boom\n"
    searched, given = scan_both(plain, 4096, before=0, after=0, end_context=0, deep_before=0)
    assert given == searched
    assert [line.number for line in given] == [1002]
    travis = b"travis_fold:start:x\r\x1b[0Kinstall\ntravis_time:start:1\r\x1b[0K$ make\nerror: boom\n"
    searched, given = scan_both(travis, 4096, before=0, after=0, end_context=0, deep_before=0)
    assert given == searched
    assert [line.step for line in given if line.number == 3] == ["$ make"]


def test_a_chunk_of_a_file_is_one_reused_buffer() -> None:
    seen: list[Buffer] = [buf for buf, _ in Chunker(io.BytesIO(b"a\nb\n" * 10), 4)]
    assert len({id(buf) for buf in seen}) == 1  # no new megabyte per chunk


# Lines for dense chunks: several needles, any case, lines holding two needles, and plain lines between.
DENSE_LINES = (b"plain", b"", b"error", b"an ERROR and a fail", b"Fatal", b"##[error]x", b"exited with 1", b"err!")


def dense_chunk(rng: random.Random) -> bytes:
    """A chunk whose density of needle lines changes along it (dense runs, sparse stretches)."""
    lines: list[bytes] = []
    for _ in range(rng.randint(0, 12)):
        needle_share = rng.choice([0.0, 0.1, 0.9, 1.0])
        for _ in range(rng.randint(0, 60)):
            lines.append(rng.choice(DENSE_LINES[2:]) if rng.random() < needle_share else rng.choice(DENSE_LINES[:2]))
    return b"".join(line + b"\n" for line in lines)


def trigger_starts(buf: bytes) -> list[int]:
    starts, pos = [], 0
    for line in buf.split(b"\n")[:-1]:
        if any(n in line.lower() for n in NEEDLES):
            starts.append(pos)
        pos += len(line) + 1
    return starts


def test_thinned_keeps_the_first_and_the_last_half() -> None:
    assert thinned([1, 2, 3], 4) == [1, 2, 3]
    assert thinned(list(range(10)), 4) == [0, 1, 8, 9]


@pytest.mark.parametrize("limit", [2, 4, 10, 64])
def test_a_dense_chunk_gives_its_first_and_last_trigger_lines_in_both_finders(limit: int) -> None:
    for seed in range(150):
        buf = dense_chunk(random.Random(seed))
        expected = thinned(trigger_starts(buf), limit)
        searched = RegexFinder(NEEDLES, b"travis_time:start").starts(buf, ((0, 0),), use_extra=False, limit=limit)
        assert list(searched) == expected, seed
        hits = reference_hits(buf, searched_needles(NEEDLES))
        given = OffsetFinder(hits, NEEDLES, b"travis_time:start").starts(buf, ((0, 0),), use_extra=False, limit=limit)
        assert list(given) == expected, seed


@pytest.mark.parametrize("chunk_size", [64, 4096])
def test_a_trigger_limit_keeps_both_searches_in_agreement(chunk_size: int) -> None:
    for seed in range(20):
        data = dense_chunk(random.Random(seed))
        searched, given = scan_both(data, chunk_size, trigger_limit=4)
        assert given == searched, seed
