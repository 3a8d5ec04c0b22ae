"""Bounded cost on every input: memory and the number of lines read stay bounded, whatever the log's shape.

No timings here (they belong to benchmarks/throughput.py): these pin the bounds that keep the cost flat.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from nexus_action.classify import _lines, _signals, classify_log
from nexus_action.classify.blockers import KEEP_CANDIDATES
from nexus_action.classify.engine import MAX_FAILING_SECTIONS, Signals, error_line_test, feed_line
from nexus_action.classify.gate import build_gate
from nexus_action.classify.rules import load_rules
from nexus_action.logs.normalise import LogLine

STAMP = b"2024-05-01T12:00:00.0000000Z "


def peak_bytes_of_classify(path: Path) -> tuple[int, int | None]:
    """Peak of Python's allocations while classifying `path` (rules loaded before), and the top blocker's line."""
    classify_log(path, use_grep=False)  # loads and compiles the rules: not what is measured
    tracemalloc.start()
    try:
        result = classify_log(path, use_grep=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result.top_blocker.log_line if result.top_blocker else None


def test_a_log_that_is_one_5mb_line_classifies_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "progress.log"
    # A dump on one line (minified JSON, a bundle), with an error in its head, which is what is kept of it.
    path.write_bytes(STAMP + b"error: disk quota exceeded; " + b'{"step": "download", "errors": 0}, ' * 150_000)
    assert path.stat().st_size > 5_000_000
    peak, top = peak_bytes_of_classify(path)
    assert top == 1
    assert peak < 4_000_000  # a chunk buffer and the 64 KiB head of the line, not the line


def test_a_log_with_an_error_looking_word_on_every_line_reads_few_of_them(tmp_path: Path) -> None:
    lines = [STAMP + b"Found 0 errors in %d files (checked 212 source files)\n" % n for n in range(80_000)]
    tail = STAMP + b"error[E0599]: no method named `frob` found\n" + STAMP + b"  --> src/lib.rs:42:5\n"
    path = tmp_path / "dense.log"
    path.write_bytes(b"".join(lines) + tail)
    assert path.stat().st_size > 5_000_000
    ruleset = load_rules()
    read = _lines(path, ruleset.needles, None, error_line_test(build_gate(ruleset.log_rules)), use_grep=False)
    # The first and last lines of the dense run in each chunk (a few chunks here), and their context.
    assert 256 < sum(1 for _ in read) < 1_000  # of 80,002
    peak, top = peak_bytes_of_classify(path)
    assert top == 80_001  # the real error at the end still wins
    assert peak < 8_000_000


def test_every_line_a_blocker_keeps_the_candidates_bounded(tmp_path: Path) -> None:
    lines = [b"error[E0308]: mismatched types in item_%d\n  --> src/m%d.rs:%d:5\n" % (n, n, n) for n in range(20_000)]
    path = tmp_path / "errors.log"
    path.write_bytes(b"".join(lines))
    signals = _signals(path, load_rules(), None, {}, use_grep=False)
    assert 0 < len(signals.blockers.candidates) <= 2 * KEEP_CANDIDATES


def test_a_failing_exit_on_every_line_keeps_one_failing_section() -> None:
    gate = build_gate(load_rules().log_rules)
    signals = Signals()
    for number in range(1, 5001):
        feed_line(signals, gate, LogLine(number, "Process completed with exit code 1.", "Run make", "error"))
    assert signals.failing_sections == [(1, 5000)]


def test_disjoint_failing_sections_are_capped() -> None:
    gate = build_gate(load_rules().log_rules)
    signals = Signals()
    for number in range(1, 2001, 2):
        feed_line(signals, gate, LogLine(number, 'The command "make" exited with 0.', "Run make"))
        feed_line(signals, gate, LogLine(number + 1, "Process completed with exit code 2.", "Run make", "error"))
    assert len(signals.failing_sections) == MAX_FAILING_SECTIONS
    assert signals.failing_sections[-1] == (2000, 2000)  # the latest are kept
