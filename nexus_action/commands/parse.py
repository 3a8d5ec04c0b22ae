"""Slash-command grammar: which lines of a PR comment are `/nexus` commands. Pure.

A command is a line that starts with `/nexus` (any case, surrounding whitespace ignored), followed by
whitespace or the end of the line, so `/nexusfoo` is not one. Lines that a reader sees as quoted or as
code are not commands, because people quote and paste earlier commands when they discuss them:
- `>` block quotes (also nested, and quotes inside list items are still text a person quoted);
- fenced code blocks (``` or ~~~, closed by a fence of the same character at least as long);
- indented code blocks (4+ columns, not continuing a paragraph), as CommonMark defines them;
- HTML comments (`<!-- ... -->`), which GitHub does not show: a hidden command would surprise readers.
Several commands in one comment run in the order written, at most `MAX_COMMANDS` of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KNOWN_COMMANDS = ("retry", "fix", "explain", "status", "mute", "unmute", "help", "reset")
# Bounds the GitHub calls one comment can cause (content creation is limited to ~80/min).
MAX_COMMANDS = 10
MAX_ARGS = 3
MAX_ARG_LENGTH = 100
MAX_RAW_LENGTH = 200

_COMMAND = re.compile(r"/nexus(?=\s|$)(.*)", re.IGNORECASE)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")


@dataclass(frozen=True)
class Command:
    """One parsed command. `name` is one of KNOWN_COMMANDS, or "unknown" (then `word` says what was typed)."""

    name: str
    args: tuple[str, ...] = ()
    word: str = ""
    line: int = 0  # 1-based line of the comment
    raw: str = ""

    @property
    def text(self) -> str:
        """The command as a user would type it, for the Commands log."""
        return " ".join(("/nexus", self.word or self.name, *self.args)).strip()


@dataclass(frozen=True)
class ParsedComment:
    commands: tuple[Command, ...]
    dropped: int = 0  # commands past MAX_COMMANDS, reported rather than silently ignored


def _columns(line: str) -> int:
    """Leading indentation in columns, tabs to the next multiple of 4 (CommonMark)."""
    col = 0
    for ch in line:
        if ch == " ":
            col += 1
        elif ch == "\t":
            col += 4 - col % 4
        else:
            break
    return col


def _command_from(text: str, number: int) -> Command | None:
    match = _COMMAND.match(text)
    if not match:
        return None
    words = match.group(1).split()
    raw = text[:MAX_RAW_LENGTH]
    if not words:
        return Command("help", line=number, raw=raw)
    word = words[0][:MAX_ARG_LENGTH]
    args = tuple(w[:MAX_ARG_LENGTH] for w in words[1 : 1 + MAX_ARGS])
    name = word.lower()
    if name in KNOWN_COMMANDS:
        return Command(name, args, word=name, line=number, raw=raw)
    return Command("unknown", args, word=word, line=number, raw=raw)


def parse_commands(body: str) -> ParsedComment:
    """The `/nexus` commands of a comment body, in order. Linear in the body's length."""
    commands: list[Command] = []
    dropped = 0
    fence: str | None = None  # the opening fence while inside a fenced block
    in_html_comment = False
    in_paragraph = False  # an indented line continuing a paragraph is text, not code
    for number, line in enumerate(body.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if fence is not None:
            close = _FENCE.match(line)
            if close and close.group(1).startswith(fence) and not close.group(2).strip():
                fence = None
            continue
        if in_html_comment:
            in_html_comment = "-->" not in line
            continue
        stripped = line.strip()
        opening = _FENCE.match(line)
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            fence, in_paragraph = opening.group(1), False
            continue
        if not stripped:
            in_paragraph = False
            continue
        if _columns(line) >= 4 and not in_paragraph:
            continue  # indented code block
        if stripped.startswith("<!--"):
            in_html_comment = "-->" not in stripped[4:]
            in_paragraph = False
            continue
        if stripped.startswith(">"):
            in_paragraph = False
            continue
        in_paragraph = True
        command = _command_from(stripped, number)
        if command is None:
            continue
        if len(commands) >= MAX_COMMANDS:
            dropped += 1
        else:
            commands.append(command)
    return ParsedComment(tuple(commands), dropped)
