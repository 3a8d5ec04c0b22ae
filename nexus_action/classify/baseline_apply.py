"""Apply a comparison with the last green run to a classification: new lines up, lines green printed too down.

A candidate blocker whose line the passing run printed too is demoted, never dropped: every candidate the
passing run did not print outranks it, and among themselves they keep their order (a test that failed in
green too is still a failure, and is still the top blocker when nothing new explains the failure). A new
line close above a failing exit is promoted a little more; when no candidate is there at all, the first line
of the new block nearest above that exit becomes one (a tool whose error format no rule knows).
GitHub's exit echo (`##[error]Process completed with exit code 1`) is always new and never promoted.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO

from nexus_action.classify import baseline_worker
from nexus_action.classify.baseline import Comparison, build_index, compare, scan_failing
from nexus_action.classify.baseline_chunks import NoBaseline
from nexus_action.classify.baseline_worker import PendingComparison
from nexus_action.classify.blockers import make_candidate
from nexus_action.classify.blocks import Candidate
from nexus_action.classify.engine import Signals
from nexus_action.classify.model import BaselineSummary, Blocker, Classification, NewBlock
from nexus_action.classify.rules import Rule
from nexus_action.classify.templates import builtin_masks
from nexus_action.logs.normalise import LogLine

NEW_BONUS = 100  # more than any rule's priority plus the failing-section bonus: new always outranks seen
NEAR_END_BONUS = 10
NEAR_END_REACH = 40  # lines above a failing exit line that count as "near the failing step's end"
MAX_SHOWN_BLOCKS = 10
# The first line of a new block just above a failing exit, when no rule made a candidate there.
NEW_NEAR_END = Rule(id="baseline.new_near_end", domain="any", matcher="log", weight=0, priority=5)
_ZIP_MAGIC = b"PK\x03\x04"

Log = str | Path | IO[bytes]


@contextmanager
def _opened(source: Log) -> Iterator[IO[bytes]]:
    if isinstance(source, str | Path):
        with Path(source).open("rb") as fh:
            yield fh
    else:
        yield source


def _rereadable(log: Log, stack: ExitStack) -> Log:
    """The failing log is read twice (comparison, then classification): a one-way stream is spooled to disk."""
    if isinstance(log, str | Path):
        return log
    if log.seekable():
        return log
    spool = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 - closed with the caller's stack
    shutil.copyfileobj(log, spool)
    spool.seek(0)
    return spool


def _is_zip(log: Log) -> bool:
    if isinstance(log, str | Path):
        with Path(log).open("rb") as fh:
            return fh.read(4) == _ZIP_MAGIC
    at = log.tell()
    head = log.read(4)
    log.seek(at)
    return head == _ZIP_MAGIC


def compare_logs(log: Log, baseline: Log, stack: ExitStack) -> tuple[Log, Comparison]:
    """Compare the failing `log` with the passing `baseline`, in this process. Returns the failing log to classify
    (re-readable) and the comparison; a baseline that cannot serve gives a comparison with a note, never an
    error."""
    log = _rereadable(log, stack)
    return log, _compare(log, baseline)


def start_comparison(log: Log, baseline: Log, stack: ExitStack) -> tuple[Log, PendingComparison]:
    """compare_logs, made by a worker while the caller classifies the failing log where that is safe
    (classify/baseline_worker.py); the caller asks the pending comparison for its result when it needs it."""
    log = _rereadable(log, stack)
    builtin_masks()  # loaded (and checked) here, once, not in the worker
    return log, baseline_worker.start(lambda: _compare(log, baseline), log, baseline, stack)


def _compare(log: Log, baseline: Log) -> Comparison:
    if _is_zip(log):
        return Comparison(note="the failing log is a run-log zip: compare one job's plain-text log instead")
    masks = builtin_masks()
    with _opened(log) as failing:
        start = None if isinstance(log, str | Path) else failing.tell()
        scan = scan_failing(failing, masks)
        if start is not None:
            failing.seek(start)
    try:
        if isinstance(baseline, str | Path) and os.path.getsize(baseline) == 0:
            raise NoBaseline("the passing log is empty")
        with _opened(baseline) as green:
            index = build_index(green, scan.found, masks)
        scan.found = {}
    except NoBaseline as exc:
        return Comparison(note=str(exc))
    except OSError as exc:
        return Comparison(note=f"the passing log cannot be read: {exc.strerror or exc}")
    with _opened(log) as failing:
        start = None if isinstance(log, str | Path) else failing.tell()
        comparison = compare(failing, scan, index, masks)
        if start is not None:
            failing.seek(start)
    return comparison


def _near_end(line: int, sections: list[tuple[int, int]]) -> bool:
    return any(0 <= end - line <= NEAR_END_REACH for _, end in sections)


def reweigh(signals: Signals, comparison: Comparison) -> None:
    """Re-rank the candidate blockers in place by what the comparison found new."""
    if not comparison.usable:
        return
    candidates = signals.blockers.candidates
    for i, cand in enumerate(candidates):
        if cand.rule.role == "exit_fail" or not comparison.is_new(cand.blocker.log_line):
            continue
        near = _near_end(cand.blocker.log_line, signals.failing_sections)
        candidates[i] = replace(cand, priority=cand.priority + NEW_BONUS + (NEAR_END_BONUS if near else 0))
    for _, end in signals.failing_sections:
        if any(0 <= end - c.blocker.log_line <= NEAR_END_REACH and c.priority >= NEW_BONUS for c in candidates):
            continue
        block = _block_above(comparison, end)
        if block is not None:
            line = LogLine(block.start, block.text, block.step)
            made = make_candidate(line, NEW_NEAR_END, None)
            signals.blockers.add(Candidate(made.priority + NEW_BONUS + NEAR_END_BONUS, made.blocker, made.rule))


def _block_above(comparison: Comparison, end: int) -> NewBlock | None:
    """The new block nearest above the exit line `end` (not the exit line itself), within reach."""
    for block in reversed(comparison.blocks):
        if block.start >= end:
            continue
        if end - block.start > NEAR_END_REACH:
            return None
        return block
    return None


def summarise(result: Classification, comparison: Comparison) -> Classification:
    """The classification with each blocker marked new or not, and the comparison's summary attached."""
    if not comparison.usable:
        return replace(result, baseline=BaselineSummary(used=False, note=comparison.note))

    def marked(b: Blocker) -> Blocker:
        new = comparison.is_new(b.log_line)
        return replace(b, new_since_baseline=new)

    blockers = tuple(marked(b) for b in result.blockers)
    top = marked(result.top_blocker) if result.top_blocker else None
    summary = BaselineSummary(
        used=True,
        lines=comparison.lines,
        new_lines=comparison.new_lines,
        steps_compared=comparison.steps_compared,
        new_blocks=shown_blocks(comparison, [b for b in blockers if b.new_since_baseline]),
    )
    return replace(result, top_blocker=top, blockers=blockers, baseline=summary)


def shown_blocks(comparison: Comparison, new_blockers: list[Blocker]) -> tuple[NewBlock, ...]:
    """Up to MAX_SHOWN_BLOCKS new blocks: those holding a new blocker (in rank order), then the latest ones."""
    chosen: list[NewBlock] = []
    for blocker in new_blockers:
        for block in comparison.blocks:
            if block.start <= blocker.log_line <= block.end and block not in chosen:
                chosen.append(block)
                break
    for block in reversed(comparison.blocks):
        if len(chosen) >= MAX_SHOWN_BLOCKS:
            break
        if block not in chosen:
            chosen.append(block)
    return tuple(chosen[:MAX_SHOWN_BLOCKS])
