"""The comparison with a passing log, against a line-by-line statement of what it must find.

baseline.py reads both logs a chunk at a time, deduplicates each chunk's templates, reads the failing log again
only where a line may be new, and seeks back or carries a cut line over depending on the stream. None of that
may show in the result: for every pair of logs, every chunk size, every stream kind and whether or not the first
pass could keep its hashes, the new lines are those the rule below names, one line at a time.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexus_action.classify import baseline as module
from nexus_action.classify import baseline_chunks as reading
from nexus_action.classify.baseline import BLOCK_GAP, BLOCK_TEXT_CHARS, MIN_SHARED_STEPS, Comparison
from nexus_action.classify.baseline_apply import compare_logs
from nexus_action.classify.baseline_chunks import STEP_MARK
from nexus_action.classify.model import NewBlock
from nexus_action.classify.templates import builtin_masks, mask
from nexus_action.logs.normalise import clean_text
from tests.streams import OneWay

GROUP = "##[group]"
TOKENS = [
    "ok",
    "error:",
    "FAILED",
    " ",
    "\t",
    ":",
    "#",
    "1",
    "42",
    "3.14s",
    "deadbeef1",
    "cafe1234",
    "/tmp/x1/y",
    "/tmp/zz",
    "_temp/abc9",
    "\x1b[31m",
    "\r",
    "é",
    "✓",
    GROUP,
    "##[endgroup]",
    "2024-05-01T12:00:01.0000001Z ",
]
STEPS = ["##[group]Run make test", "##[group]Run make build 2", "##[group]Run actions/checkout@v4", "##[group]Run x"]

line = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=8).map("".join),
    st.tuples(st.sampled_from(TOKENS), st.integers(5, 120)).map(lambda t: t[0] * t[1]),  # long, for the cut
    st.sampled_from(STEPS),
    st.sampled_from(STEPS).map(lambda s: "2024-05-01T12:00:01.0000001Z " + s),
)


# What another run prints instead: another commit SHA, another temporary directory (the second look's masks).
OTHER_RUN = {b"deadbeef1": b"cafe1234", b"cafe1234": b"deadbeef1", b"/tmp/x1/y": b"/tmp/zz", b"/tmp/zz": b"/tmp/x1/y"}


def _other_run(text: str, shift: int) -> bytes:
    """The same line as another run prints it: every digit different, as timestamps and durations are, and (odd
    shifts) its SHAs and temporary paths."""
    data = text.encode()
    if shift % 2:
        data = re.sub(b"|".join(map(re.escape, OTHER_RUN)), lambda m: OTHER_RUN[m.group()], data)
    return bytes((c - 48 + shift) % 10 + 48 if 48 <= c <= 57 else c for c in data)


@st.composite
def log_pair(draw: st.DrawFn) -> tuple[bytes, bytes]:
    pool = draw(st.lists(line, min_size=1, max_size=12))
    failing = draw(st.lists(st.one_of(st.sampled_from(pool), line), max_size=40))
    passing = draw(st.lists(st.one_of(st.sampled_from(pool), line), min_size=1, max_size=40))
    shift = draw(st.integers(0, 9))
    fail_bytes = "\n".join(failing).encode() + (b"\n" if draw(st.booleans()) and failing else b"")
    pass_bytes = b"\n".join(_other_run(text, shift) for text in passing) + (b"\n" if draw(st.booleans()) else b"")
    return fail_bytes, pass_bytes


def _lines(data: bytes) -> list[bytes]:
    """The log's lines, each longer than MAX_LINE_BYTES cut to its first and last halves of that."""
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    half = reading.MAX_LINE_BYTES // 2
    return [p if len(p) <= reading.MAX_LINE_BYTES else p[:half] + p[len(p) - half :] for p in parts]


def _steps(lines: list[bytes]) -> list[str | None]:
    step: str | None = None
    out = []
    for raw in lines:
        if STEP_MARK in raw:
            text = clean_text(raw).lstrip()
            if text.startswith(GROUP + "Run "):
                step = text[len(GROUP) :][:120].rstrip()
        out.append(step)
    return out


def expected(failing: bytes, passing: bytes) -> Comparison:
    """The comparison stated one line at a time: a failing line is old when its step's passing lines had its
    first-look template, or had its second-look template on a line whose first look no failing line of that step
    had; a step the passing log does not have is new throughout."""
    masks = builtin_masks()

    def key(step: str | None) -> bytes | None:
        return None if step is None else mask(step.encode(), masks.full)

    if not passing:
        return Comparison(note="the passing log is empty")
    fail, green = _lines(failing), _lines(passing)
    fail_steps, green_steps = _steps(fail), _steps(green)
    found: dict[bytes | None, set[bytes]] = defaultdict(set)
    for raw, step in zip(fail, fail_steps, strict=True):
        found[key(step)].add(mask(raw, masks.first))
    first: dict[bytes | None, set[bytes]] = defaultdict(set)
    second: dict[bytes | None, set[bytes]] = defaultdict(set)
    for raw, step in zip(green, green_steps, strict=True):
        first[key(step)].add(mask(raw, masks.first))
        if mask(raw, masks.first) not in found[key(step)]:
            second[key(step)].add(mask(raw, masks.full))
    result = Comparison(lines=len(fail))
    for number, (raw, step) in enumerate(zip(fail, fail_steps, strict=True), 1):
        k = key(step)
        if k in first and (mask(raw, masks.first) in first[k] or mask(raw, masks.full) in second[k]):
            continue
        result.new_lines += 1
        result.new_numbers.append(number)
        last = result.blocks[-1] if result.blocks else None
        if last is not None and last.step == step and number - last.end <= BLOCK_GAP:
            result.blocks[-1] = NewBlock(last.start, number, step, last.text)
        else:
            result.blocks.append(NewBlock(number, number, step, clean_text(raw).strip()[:BLOCK_TEXT_CHARS]))
    named = {key(s): s for s in fail_steps if s is not None}
    shared = [k for k in named if k in first]
    result.steps_compared = len(shared)
    if (named or any(green_steps)) and len(shared) <= MIN_SHARED_STEPS * len(named):
        result.note = "the passing log is not from the same job"
    return result


class SeekableOther(OneWay):
    """A stream that can seek but is not one of the kinds the reader seeks back in (it carries the cut line)."""

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.inner.seek(offset, whence)

    def tell(self) -> int:
        return self.inner.tell()


def _stream(kind: str, data: bytes, path: Path) -> object:
    if kind == "path":
        path.write_bytes(data)
        return path
    return {"bytesio": io.BytesIO, "one-way": OneWay, "seekable": SeekableOther}[kind](data)


KINDS = st.sampled_from(["path", "bytesio", "one-way", "seekable"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pair=log_pair(),
    chunk_size=st.sampled_from([1, 2, 7, 64, 300, 1 << 17]),
    kept_hashes=st.sampled_from([0, 30, 10**6]),
    line_cut=st.sampled_from([2, 17, 100, 1 << 22]),
    fail_kind=KINDS,
    pass_kind=KINDS,
)
def test_the_comparison_is_the_line_by_line_rule_whatever_the_reading(
    tmp_path: Path,
    *,
    pair: tuple[bytes, bytes],
    chunk_size: int,
    kept_hashes: int,
    line_cut: int,
    fail_kind: str,
    pass_kind: str,
) -> None:
    failing, passing = pair
    with pytest.MonkeyPatch.context() as patch, ExitStack() as stack:
        patch.setattr(reading, "CHUNK_SIZE", chunk_size)
        patch.setattr(module, "MAX_KEPT_HASHES", kept_hashes)
        patch.setattr(reading, "MAX_LINE_BYTES", max(line_cut, chunk_size))  # never less than a read
        want = expected(failing, passing)
        log = _stream(fail_kind, failing, tmp_path / "fail.log")
        baseline = _stream(pass_kind, passing, tmp_path / "pass.log")
        _, got = compare_logs(log, baseline, stack)  # type: ignore[arg-type]
    assert (got.note is None) == (want.note is None), (got.note, want.note)
    assert got.steps_compared == want.steps_compared
    if want.usable:  # a passing log of another job is not compared further
        assert (got.lines, got.new_lines) == (want.lines, want.new_lines)
        assert list(got.new_numbers) == list(want.new_numbers)
        assert list(got.blocks) == list(want.blocks)
