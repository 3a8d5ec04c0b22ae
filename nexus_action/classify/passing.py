"""Passing output never wins: lines a test runner marks as passing, and the output of a test that passed.

Runners mark passing tests in their own words: Go `--- PASS: TestX` (and `ok  pkg 0.1s`), pytest `PASSED`,
unittest `test_x (mod.Case) ... ok`, mocha/jest/xcpretty `✓`, TAP `ok 3 - name`. Such a line is never a
blocker, even when the test's name says `error` or `not_found`.

What a passing test printed is not a blocker either. `go test -v` streams a test's `t.Log` lines between its
`=== RUN   TestX` line and the next `=== RUN`/`=== CONT`/`=== PAUSE` line, and reports `--- PASS: TestX` later
(subtests after their parent): when a test passes, the candidates from its stretches of output are dropped.
The markers are not needles (a verbose log has thousands): they are seen in the context the scanner keeps
around an error-looking line, which is where a passing test's `t.Log("... error ...")` line puts them.
Before Go 1.14 the lines came after the `--- PASS` line, indented below it: that is the passing line's block.
A verbose doctest prints `Trying:` ... `Expecting:` ... and `ok` once the example passed: what lies between is
the expected output of a passing example (a traceback there is what the example wanted).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field

from nexus_action.classify.blocks import indent_of
from nexus_action.logs.normalise import LogLine

PASSING_LINE = re.compile(
    r"^\s*--- PASS: \S"
    r"|^ok\s+\S+\s+(?:[\d.]+s|\(cached\))"
    r"|^\S+::\S+ PASSED\b|\sPASSED\s+\[\s*\d+%\]$"
    r"|^\s*\S+ \([\w.]+\) \.\.\. ok$|^\s*test\w* \.\.\. ok$"
    r"|^\s*[✓✔√]\s"
    r"|^\s*ok \d+ (?:- )?\S"
)
_GO_MARKER = re.compile(r"^=== (?P<what>RUN|CONT|PAUSE|NAME)\s+(?P<name>\S+)")
_GO_PASS = re.compile(r"^\s*--- PASS: (?P<name>\S+)")
_DOCTEST_OPEN = re.compile(r"^Trying:\s*$")
_DOCTEST_PASS = re.compile(r"^ok\s*$")
# How the lines that the markers above match begin, once stripped: a line beginning otherwise is none of them
# (a cheap test first, since every line read is fed).
_MARKER_STARTS = ("===", "--- PASS", "Trying:", "ok")
MAX_TRACKED_TESTS = 4096
MAX_STRETCHES = 8  # a test paused and continued more often than this keeps only its latest stretches


@dataclass
class PassingTracker:
    """Follows Go's test markers and doctest's examples; says which lines passing tests own."""

    # test name -> its stretches of output [start, end] (end None while still open)
    stretches: OrderedDict[str, list[list[int | None]]] = field(default_factory=OrderedDict)
    current: str | None = None
    doctest_open: int | None = None
    step: str | None = None

    # the last line of a passing line's block (lines right below it, indented deeper) and that line's indent
    passing_block: tuple[int, int] | None = None

    def owns(self, line: LogLine) -> bool:
        """Whether `line` is a passing line, or part of one's block: never a blocker."""
        text = line.text
        # Every form PASSING_LINE knows holds "PASS" or "ok", or a non-ASCII tick.
        if ("PASS" in text or "ok" in text or not text.isascii()) and PASSING_LINE.search(text) is not None:
            self.passing_block = (line.number, indent_of(text))
            return True
        block = self.passing_block
        if block is None:
            return False
        self.passing_block = None
        if line.number == block[0] + 1 and text.strip() and indent_of(text) > block[1]:
            self.passing_block = (line.number, block[1])
            return True
        return False

    def feed(self, line: LogLine) -> list[tuple[int, int]]:
        """Note one line; returns ranges of lines (exclusive) whose candidates belong to a passing test."""
        if line.step != self.step:
            self.step, self.current, self.doctest_open = line.step, None, None
            self.stretches.clear()
        text = line.text
        if not text.lstrip().startswith(_MARKER_STARTS):
            return []
        marker = _GO_MARKER.match(text)
        if marker:
            self._close(line.number)
            if marker["what"] in ("RUN", "CONT"):
                self.current = marker["name"]
                runs = self.stretches.setdefault(self.current, [])
                runs.append([line.number, None])
                del runs[:-MAX_STRETCHES]
                self.stretches.move_to_end(self.current)
                while len(self.stretches) > MAX_TRACKED_TESTS:
                    self.stretches.popitem(last=False)
            return []
        passed = _GO_PASS.match(text)
        if passed:
            self._close(line.number)
            runs = self.stretches.pop(passed["name"], [])
            return [(r[0], r[1] or line.number) for r in runs if r[0] is not None]
        if _DOCTEST_OPEN.match(text):
            self.doctest_open = line.number
        elif _DOCTEST_PASS.match(text) and self.doctest_open is not None:
            opened, self.doctest_open = self.doctest_open, None
            return [(opened, line.number)]
        return []

    def _close(self, number: int) -> None:
        if self.current is not None:
            runs = self.stretches.get(self.current)
            if runs and runs[-1][1] is None:
                runs[-1][1] = number
            self.current = None
