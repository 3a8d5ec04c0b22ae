"""Blockers are blocks: a head line plus the detail lines that belong to it, found by the log's own structure.

A reader needs the few lines that explain an error line: the assertion's expected/received, the compiler's
caret line, the traceback's frames. They follow the head and belong to it when they are indented deeper than
the head, or carry a detail marker of their own (pytest's `E ` lines, rustc's `-->`, `|` and `^^^` lines, stack
frames, diff lines), or follow a head that ends with ':' (it announces them). One blank line does not end a
block when the next line is indented deeper than the head (mocha, xcpretty and rustc space their details out).
A block holds at most BLOCK_CAP lines; it ends at the first line that does not belong, at a gap in the lines
the scanner kept, or at a change of step.

A banner or wrapper head (`role: banner` / `role: wrapper` rules: "=== FAILURES ===", "N failing", "* What went
wrong:") announces detail rather than being it: its block also takes the plain lines right after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nexus_action.classify.model import Blocker
from nexus_action.classify.rules import Rule
from nexus_action.logs.normalise import LogLine

BLOCK_CAP = 15
EXCERPT_LINE_CHARS = 240
# Lines that are detail wherever they stand: pytest `E   ...`/`>   ...`, rustc/clang `-->`, `|` and caret lines,
# stack frames (Java/JS `at ...`, Python `File "..."`, Ruby `path:N:in`), source gutters (`4 |`), diff and
# expected/received lines.
_DETAIL = re.compile(
    r"^\s*(?:E |> |-->|\||\^|~+\^?|= (?:note|help)\b|at \S|File \"|Caused by:|\.\.\. \d+ more|"
    r"[-+]{1,3} |[-+]\S|Expected\b|Received\b|expected\b|actual\b|but (?:was|got)\b|╰─>|│|×)"
    r"|^\S+:\d+:in [`'‘]|^\s*\d+\s+\|"
)
_NOISE = re.compile(r"^travis_(?:time|fold)|^##\[|^\[command\]|^The command \".*\" exited with|^Post job cleanup")


@dataclass(frozen=True)
class Candidate:
    """A blocker in the making: its rank (rule priority plus bonuses), the blocker, and the rule behind it."""

    priority: int
    blocker: Blocker
    rule: Rule

    @property
    def sort_key(self) -> tuple[int, int]:
        return (-self.priority, self.blocker.log_line)


def indent_of(text: str) -> int:
    return len(text) - len(text.lstrip(" \t"))


@dataclass
class Block:
    """One head line and the detail lines gathered below it so far."""

    head: int
    indent: int
    step: str | None
    lines: list[str]
    announces: bool  # the head introduces what follows (a banner, or a line ending in ':')
    end: int = 0
    seen: int = 0  # the last line offered that the block took (a detail line or a blank one)
    blanks: int = 0  # blank lines since the last detail line, taken while we see whether the block goes on
    open: bool = True
    # The first detail line below the head: where the reader starts when a banner head is only context.
    first_detail: int | None = None

    def __post_init__(self) -> None:
        self.end = self.seen = self.head

    @property
    def span(self) -> tuple[int, int]:
        return (self.head, self.end)

    def offer(self, line: LogLine) -> None:
        """Take `line` into the block if it belongs; close the block at the first line that does not."""
        if not self.open:
            return
        if line.number != self.seen + 1 or line.step != self.step or line.in_header or len(self.lines) >= BLOCK_CAP:
            self.open = False
            return
        text = line.text
        if not text.strip():
            # A banner may stand apart from what it announces by two blank lines; details by one.
            self.blanks += 1
            self.seen = line.number
            self.open = self.blanks <= (2 if self.announces and self.first_detail is None else 1)
            return
        if line.annotation is not None or _NOISE.search(text):
            self.open = False
            return
        deeper = indent_of(text) > self.indent
        announced = self.announces and (self.first_detail is None or not self.blanks)
        if not (deeper or announced or (_DETAIL.match(text) and not self.blanks)):
            self.open = False
            return
        self.lines.extend([""] * self.blanks)
        self.lines.append(text[:EXCERPT_LINE_CHARS])
        self.end = self.seen = line.number
        self.blanks = 0
        if self.first_detail is None:
            self.first_detail = line.number


@dataclass
class BlockTracker:
    """The blocks of the candidates seen so far (bounded: the caller forgets those it no longer keeps)."""

    blocks: dict[int, Block] = field(default_factory=dict)
    open: list[Block] = field(default_factory=list)

    def feed(self, line: LogLine) -> None:
        if not self.open:
            return
        for block in self.open:
            block.offer(line)
        self.open = [b for b in self.open if b.open]

    def start(self, line: LogLine, *, banner: bool) -> None:
        if line.number in self.blocks:
            return
        text = line.text.rstrip()
        block = Block(
            head=line.number,
            indent=indent_of(text),
            step=line.step,
            lines=[text[:EXCERPT_LINE_CHARS]],
            announces=banner or text.endswith(":"),
        )
        self.blocks[line.number] = block
        self.open.append(block)

    def keep_only(self, heads: set[int]) -> None:
        self.blocks = {n: b for n, b in self.blocks.items() if n in heads}
        self.open = [b for b in self.open if b.head in heads]

    def get(self, head: int) -> Block | None:
        return self.blocks.get(head)


def excerpt_of(block: Block | None, head_text: str) -> str:
    """The block's lines as one string (classify's last step redacts it with the blocker's other texts)."""
    lines = block.lines if block is not None else [head_text]
    return "\n".join(line.rstrip() for line in lines)
