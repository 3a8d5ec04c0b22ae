"""Streaming log normalisation: find the lines worth reading in logs of any size with bounded memory.

A job log can be hundreds of megabytes, so lines are never all decoded: each chunk is searched for a few
trigger substrings ("needles", any case; by grep for a big file, see log_search and grep_search); only lines
that hold one, plus a small window of context around them, are decoded and normalised (BOM, GitHub's ISO
timestamp prefix, ANSI colours, CRLF, NUL, invalid UTF-8). Line numbers are 1-based and count b"\\n" only, so
line N is what `sed -n Np` prints; a bare "\\r" (progress bars) stays inside its line, and the text kept is the
last thing a terminal would show.

Step boundaries: `##[group]Run ...` starts a step (GitHub prints the step's script inside that group, so those
lines are flagged `in_header` and never taken for errors); run-log zips name each step file `N_Step name.txt`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, NamedTuple

from nexus_action.logs.search import Buffer, Chunker, OffsetFinder, RegexFinder, lowered

CHUNK_SIZE = 1 << 20
MAX_TEXT_CHARS = 2000
# Lines of context kept above a failing exit line, and the substrings that mark such a line.
DEEP_BEFORE = 40
DEEP_NEEDLES = (b"##[error]", b"exited with", b"exit code", b"werror", b"as errors")
_DEEP = re.compile(b"|".join(re.escape(n) for n in DEEP_NEEDLES))
# At most this many trigger lines of one chunk are read (the first and the last half of them; see
# search.thinned). Real logs stay far below it (the densest of the dev corpus: 200 in 110 KB); a log where
# every line says "0 errors" or passes -Werror would otherwise cost a full read of every line.
TRIGGER_LIMIT = 256
DENSE_RUN_SHARE = 8
# The last lines of every log are read too (check-run annotation text is often all "tail").
END_CONTEXT = 20
# A `##[group]Run` header (script + env) that never sees its `##[endgroup]` stops counting as header here.
MAX_HEADER_LINES = 300

_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[=>()][0-9A-Za-z]?|\x1b\][^\x07]*\x07")
# The same sequences in caret notation (`^[[31m`), as some log exports and viewers write the ESC byte.
_CARET_ANSI = re.compile(r"\^\[\[[0-9;?]*[ -/]*[@-~]|\^\[[=>()][0-9A-Za-z]?|\^\[\][^\x07^]*(?:\x07|\^G)")
_CARET_RED = re.compile(rb"\^\[\[(?:[\d;]*;)?(?:31|91)(?:;[\d;]*)?m")
_COMMAND = re.compile(r"^##\[(?P<cmd>[a-z]+)\](?P<rest>.*)$")
_WORKFLOW_COMMAND = re.compile(r"^::(?P<cmd>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<message>.*)$")
_ZIP_STEP = re.compile(r"^(?:.*/)?(?P<n>\d+)_(?P<name>.+)\.txt$")
# Bidirectional controls (Arabic letter mark, LRM/RLM, the embeddings and overrides, the isolates): invisible,
# they reorder what a reader sees ("Trojan Source"), so a log line cannot show one thing and say another.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")  # a regex, not str.translate: ~9x faster on a non-ASCII line
# Red or bright-red foreground (SGR 31 / 91, alone or among other attributes): tools colour their errors red.
_RED = re.compile(rb"\x1b\[(?:[\d;]*;)?(?:31|91)(?:;[\d;]*)?m")
# Travis starts each command with `travis_time:start:<id>\r\x1b[0K$ <command>`: the command is the step.
TRAVIS_COMMAND = b"travis_time:start"
TRAVIS_SNIFF_LINES = 1000  # Travis' markers start in its first lines; later ones are a tool's output


class LogLine(NamedTuple):
    """One normalised line. `trigger` is False for context lines kept only around a trigger line.

    A NamedTuple, not a frozen dataclass: a big log makes tens of thousands, and this builds ~5x faster.
    """

    number: int
    text: str
    step: str | None = None
    annotation: str | None = None  # error | warning | notice, from ##[error] or ::error
    file: str | None = None  # from `::error file=...,line=...,col=...::`
    line: int | None = None
    column: int | None = None
    in_header: bool = False  # inside a `##[group]Run` header: the step's script, not its output
    trigger: bool = True
    red: bool = False  # the tool printed (part of) this line in red


def clean_text(raw: Buffer) -> str:
    """Decode and normalise one raw line (without its b"\\n")."""
    text = raw.decode("utf-8", "replace").replace("\x00", "")
    if text.endswith("\r"):
        text = text[:-1]
    text = _TIMESTAMP.sub("", text, count=1)
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    text = strip_caret_escapes(text)
    if "\r" in text:
        # Progress bars redraw with bare \r: keep what the terminal finally shows.
        shown = [part for part in text.split("\r") if part.strip()]
        text = _TIMESTAMP.sub("", shown[-1], count=1) if shown else ""
    if not text.isascii():
        text = _BIDI.sub("", text)
    return text[:MAX_TEXT_CHARS]


def strip_caret_escapes(text: str) -> str:
    """Remove ANSI sequences written in caret notation (`^[[31m`, `^[[0K`) as real ANSI is removed."""
    return _CARET_ANSI.sub("", text) if "^[" in text else text


def _parse_props(props: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in props.split(","):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def int_or_none(value: str | None) -> int | None:
    """A string of digits as an int; anything else (None, empty, signs, letters) as None."""
    return int(value) if value and value.isdigit() else None


class StepTracker:
    """Follows `##[group]Run` / `##[endgroup]` markers through the trigger lines, in order."""

    def __init__(self, step: str | None = None) -> None:
        self.step = step
        self.in_header = False
        self.header_start = 0

    def make_line(self, number: int, raw: Buffer, *, trigger: bool, text: str | None = None) -> LogLine:
        """`text`: clean_text(raw) when the caller already decoded it."""
        if text is None:
            text = clean_text(raw)
        annotation = file = None
        line = column = None
        if self.in_header and number - self.header_start > MAX_HEADER_LINES:
            self.in_header = False
        in_header = self.in_header
        stripped = text.lstrip()
        first = stripped[:1]  # one test for the usual line, which starts none of the markers below
        if first == "#" and stripped.startswith("##["):
            match = _COMMAND.match(stripped)
            if match:
                cmd, rest = match["cmd"], match["rest"]
                if cmd == "group":
                    if rest.startswith("Run "):
                        self.step = rest[:120].rstrip()
                        self.in_header = in_header = True
                        self.header_start = number
                elif cmd == "endgroup":
                    self.in_header = False
                elif cmd in ("error", "warning", "notice"):
                    annotation, text = cmd, rest
                    in_header = False
        elif first == ":" and stripped.startswith("::"):
            match = _WORKFLOW_COMMAND.match(stripped)
            if match:
                props = _parse_props(match["props"] or "")
                annotation, text = match["cmd"], match["message"]
                file = props.get("file") or None
                line = int_or_none(props.get("line"))
                column = int_or_none(props.get("col"))
        elif first == "P" and stripped.startswith("Post job cleanup."):
            self.step = "Post job cleanup"
        elif first == "$" and stripped.startswith("$ ") and TRAVIS_COMMAND in raw:
            self.step = stripped[:120].rstrip()
            self.in_header = in_header = False
        red = (b"\x1b[" in raw and _RED.search(raw) is not None) or (
            b"^[[" in raw and _CARET_RED.search(raw) is not None
        )
        # tuple.__new__ straight away: a NamedTuple's own __new__ is a Python call, and this runs per line read
        return _new_line(LogLine, (number, text, self.step, annotation, file, line, column, in_header, trigger, red))


_new_line = tuple.__new__


def scan_lines(
    stream: IO[bytes],
    needles: Iterable[bytes],
    *,
    before: int = 4,
    after: int = 6,
    step: str | None = None,
    first_number: int = 1,
    chunk_size: int = CHUNK_SIZE,
    totals: dict[str, int] | None = None,
    deep_before: int = DEEP_BEFORE,
    end_context: int = END_CONTEXT,
    context_if: Callable[[str], bool] | None = None,
    hits: Iterator[tuple[int, int, bytes]] | None = None,
    trigger_limit: int = TRIGGER_LIMIT,
) -> Iterator[LogLine]:
    """Yield normalised trigger lines (lower-cased text holds a needle) and their context, in log order.

    A failing exit (`##[error]...`, Travis' `The command ... exited with N`) gets `deep_before` lines of
    context instead of `before`: what a tool printed just before it failed is where its error usually is,
    even when that error holds none of the needles. With `context_if`, an ordinary trigger line gets its context
    only when `context_if(its text)` says it is an error line: a log full of "0 errors" stays cheap.
    `hits`: where the needles of `searched_needles(needles)` are in the stream's file, found by a faster searcher
    (line number, file offset, matched bytes; in file order), instead of searching here.
    `trigger_limit`: at most this many trigger lines per chunk, the first and the last of them (bounded cost).
    """
    needles = list(needles)
    finder: RegexFinder | OffsetFinder = (
        RegexFinder(needles, TRAVIS_COMMAND) if hits is None else OffsetFinder(hits, needles, TRAVIS_COMMAND)
    )
    keep = max(before, deep_before, end_context)
    tracker = StepTracker(step)
    number = first_number  # number of the first line of the current chunk
    tail: list[tuple[int, Buffer]] = []  # the last `keep` lines before the current chunk
    # Chosen lines not yet emitted. A later deep trigger may still want lines up to `keep` lines back, so a
    # line is only emitted once it falls behind that horizon: output is in log order whatever the chunking.
    # A trigger line decoded for `context_if` keeps its text, so it is not decoded again.
    pending: dict[int, tuple[Buffer, bool, str | None]] = {}
    pending_after = 0
    travis = False
    for buf, spans in Chunker(stream, chunk_size):
        if not travis and _travis_marker(buf, first_number + TRAVIS_SNIFF_LINES - number):
            # A Travis log: its command lines (`$ cmd`) are step boundaries, so the scanner must see them.
            travis = True
        # After a chunk over its limit, one more such chunk is the same output going on: its first and last
        # few lines are enough (the run's start was read; its end is in the last such chunk, whichever it is).
        limit = max(trigger_limit // DENSE_RUN_SHARE, 2) if finder.overflowed else trigger_limit
        starts = finder.starts(buf, spans, use_extra=travis, limit=limit)
        if isinstance(finder, OffsetFinder) and finder.overflowed:
            # Both finders keep the same lines, so the search can move here at any chunk; the searcher's process
            # waits on its full pipe until the caller ends it.
            finder = RegexFinder(needles, TRAVIS_COMMAND)
            finder.overflowed = True
        wanted: dict[int, bool] = {}  # line start offset -> is a trigger
        decoded: dict[int, str] = {}  # line start offset -> clean_text of that line, when already computed
        if pending_after:
            pending_after = _forward(buf, 0, pending_after, wanted, include_first=True)
        need_tail, pending_after = _mark_context(
            buf,
            starts,
            wanted,
            decoded,
            context_if=context_if,
            reach=(before, deep_before, after),
            pending_after=pending_after,
        )
        if need_tail:
            for n, raw in tail[-need_tail:]:
                pending.setdefault(n, (raw, False, None))
        offset, counted = 0, number
        for start in sorted(wanted):
            found_at = starts.get(start)  # the searcher counted the lines up to a trigger: no need to count again
            if found_at is None:
                counted += buf.count(b"\n", offset, start)
            else:
                counted = found_at + first_number - 1
            offset = start
            end = buf.find(b"\n", start)
            pending[counted] = (buf[start:end], wanted[start], decoded.get(start))
        total = counted - number + buf.count(b"\n", offset)  # newlines counted once per chunk
        if keep:
            tail = (tail + _last_lines(buf, number, keep, total))[-keep:]
        number += total
        horizon = number - keep
        for n in sorted(k for k in pending if k < horizon):
            raw, trigger, known = pending.pop(n)
            yield tracker.make_line(n, raw, trigger=trigger, text=known)
    finder.finish()
    # The end of a log is where a tool that printed no recognisable word usually stopped.
    for n, raw in tail[len(tail) - end_context :] if end_context else ():
        pending.setdefault(n, (raw, False, None))
    for n in sorted(pending):
        raw, trigger, known = pending[n]
        yield tracker.make_line(n, raw, trigger=trigger, text=known)
    if totals is not None:
        totals["lines"] = number - first_number


def _mark_context(
    buf: Buffer,
    starts: Iterable[int],
    wanted: dict[int, bool],
    decoded: dict[int, str],
    *,
    context_if: Callable[[str], bool] | None,
    reach: tuple[int, int, int],
    pending_after: int,
) -> tuple[int, int]:
    """Mark the trigger lines and the context each one wants (`reach`: before, deep_before, after).

    Returns how many lines before the chunk are wanted, and how many after it.
    """
    before, deep_before, after = reach
    need_tail = 0
    walked = (-1, 0)  # the last trigger whose context was marked, and how many lines above it
    for start in starts:
        wanted[start] = True
        want = _context_wanted(buf, start, decoded, context_if=context_if, before=before, deep_before=deep_before)
        if want is not None:
            need_tail = max(need_tail, _backward(buf, start, want, wanted, walked))
            walked = (start, want)
            pending_after = max(pending_after, _forward(buf, start, after, wanted, include_first=False))
    return need_tail, pending_after


def _context_wanted(
    buf: Buffer,
    start: int,
    decoded: dict[int, str],
    *,
    context_if: Callable[[str], bool] | None,
    before: int,
    deep_before: int,
) -> int | None:
    """How many lines of context above the trigger line at `start` to keep (None: no context at all)."""
    end = buf.find(b"\n", start)
    line_low = buf[start:end].lower()
    # A failing exit always gets its context; any other line only when it is an error line.
    failing_exit = b"##[error]" in line_low or b"exited with" in line_low
    if not failing_exit and context_if is not None:
        decoded[start] = text = clean_text(buf[start:end])
        if not context_if(text):
            return None
    return deep_before if _DEEP.search(line_low) else before


def searched_needles(needles: Iterable[bytes]) -> list[bytes]:
    """What a searcher handing `hits` to scan_lines must look for: the needles and Travis' command marker."""
    return lowered([*needles, TRAVIS_COMMAND])


def _travis_marker(buf: Buffer, lines: int) -> bool:
    """Whether one of the first `lines` lines of `buf` holds Travis' fold/timer markers (chunking-independent)."""
    if lines <= 0:
        return False
    for marker in (b"travis_time:", b"travis_fold:"):
        pos = buf.find(marker)
        if pos >= 0 and buf.count(b"\n", 0, pos) < lines:
            return True
    return False


def _backward(buf: Buffer, start: int, count: int, wanted: dict[int, bool], walked: tuple[int, int]) -> int:
    """Mark `count` lines above the line at `start`; returns how many lie before the chunk.

    `walked`: an earlier trigger line (start offset) that already had this many lines above it marked. Reaching
    it with no more lines to mark than it had, the rest is done (and its lines before the chunk were counted):
    a run of failing-exit lines costs one step each, not `deep_before`.
    """
    back, got = start, 0
    while got < count and back > 0:
        back = buf.rfind(b"\n", 0, back - 1) + 1
        wanted.setdefault(back, False)
        got += 1
        if back == walked[0] and count - got <= walked[1]:
            return 0
    return count - got


def _forward(buf: Buffer, start: int, count: int, wanted: dict[int, bool], *, include_first: bool) -> int:
    """Mark `count` lines after the line at `start` (or from it); returns how many fell past the chunk."""
    pos = start
    if not include_first:
        nl = buf.find(b"\n", pos)
        pos = nl + 1
    for i in range(count):
        if pos >= len(buf):
            return count - i
        wanted.setdefault(pos, False)
        pos = buf.find(b"\n", pos) + 1
    return 0


def _last_lines(buf: Buffer, first_number: int, count: int, total: int) -> list[tuple[int, Buffer]]:
    out: list[tuple[int, Buffer]] = []
    end = len(buf) - 1
    for i in range(min(count, total)):
        start = buf.rfind(b"\n", 0, end) + 1
        out.append((first_number + total - 1 - i, buf[start:end]))
        end = start - 1
        if end < 0:
            break
    out.reverse()
    return out


def zip_step_files(archive: zipfile.ZipFile, job: str | None = None) -> list[tuple[str, zipfile.ZipInfo]]:
    """The step files of one job in a run-log zip (`<job>/<n>_<step>.txt`), in step order, with step names.

    A run-log zip holds one folder per job; the folder matching `job` wins, else the first one. A zip of
    loose `<n>_<name>.txt` files (one job's log per file) is read file by file the same way.
    """
    entries = [i for i in archive.infolist() if not i.is_dir() and _ZIP_STEP.match(i.filename)]
    folders = sorted({i.filename.rsplit("/", 1)[0] for i in entries if "/" in i.filename})
    if folders:
        chosen = next((f for f in folders if job and f == job), folders[0])
        entries = [i for i in entries if i.filename.rsplit("/", 1)[0] == chosen]
    steps = []
    for info in entries:
        match = _ZIP_STEP.match(info.filename)
        if match:
            steps.append((int(match["n"]), match["name"], info))
    steps.sort(key=lambda s: s[0])
    return [(name, info) for _, name, info in steps]


def scan_zip(
    archive: zipfile.ZipFile,
    needles: Iterable[bytes],
    *,
    job: str | None = None,
    before: int = 4,
    after: int = 6,
    context_if: Callable[[str], bool] | None = None,
) -> Iterator[LogLine]:
    """Scan a run-log zip's step files in order; line numbers run on across files, as in the job's full log."""
    needle_list = list(needles)
    first = 1
    for name, info in zip_step_files(archive, job):
        with archive.open(info) as raw:
            totals: dict[str, int] = {}
            yield from scan_lines(
                raw,
                needle_list,
                before=before,
                after=after,
                step=name,
                first_number=first,
                totals=totals,
                context_if=context_if,
            )
        first += totals.get("lines", 0)
