"""Let grep find the needles in a big log file: C speed, on a second core, while Python reads the lines around.

Searching every byte of a 200 MB log for the needles is most of the work, and CPython's best (lower-case the
chunk, one regex pass per needle group) runs at a few hundred MB/s; GNU grep searches the same file several
times faster, in its own process. grep only says where the needles are (`-n -b -o`: line number, file offset
and matched text); the scanner reads the file itself, in the same chunks, and decides everything else as
before.

grep is used only when a probe shows it behaves exactly as needed (line numbers and byte offsets, `-a` for NUL
bytes, ASCII case-folding in the C locale, CRLF kept; GNU grep does); otherwise, and whenever it fails, the pure
Python search runs.

grep holds a whole line in memory (a log that is one 2 GB line took 4 GB), so it runs under a shell's
`ulimit -v` of GREP_MEMORY_KB: on a line too long for that it stops with "memory exhausted", and the Python
search, which cuts over-long lines, reads the log instead.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import IO, cast

# Below this a log is searched in Python: starting grep costs about as much as searching a few MiB.
GREP_MIN_BYTES = 4 << 20
# -a: text even with NUL bytes; -n -b -o: the line number and file offset of each match, and the match
# (the line numbers spare the scanner counting newlines); -i -F: any case, the needles as fixed strings, one -e
# each. -F, not an -E alternation: on a log where most lines hold a needle, GNU grep -o -i -E took 25x longer
# than -F (3.7 s against 0.15 s for 20 MB of "0 errors" lines); on ordinary logs the two ran within noise.
# The C locale makes -i fold ASCII only, byte by byte, as bytes.lower() does.
_FLAGS = ("-a", "-n", "-b", "-o", "-i", "-F")
_ENV = {"LC_ALL": "C"}
# Address space granted to grep: its own few MB plus a buffer for lines of up to ~20 MB (it holds a line
# whole, and about twice its size while growing the buffer).
GREP_MEMORY_KB = 64 * 1024
# Runs grep under the memory limit: $0 is the limit in KiB, the rest is grep's command line.
_LIMITED = 'ulimit -v "$0" && exec "$@"'
_PROBE_INPUT = b"ab\nxERR y\r\n\x00 ##[e\n"
_PROBE_OUTPUT = b"2:4:ERR\n3:13:##[\n"
_PROBE_TIMEOUT = 5.0


class GrepFailed(Exception):
    """grep could not search the file, or stopped part way: its hits are not to be trusted."""


@lru_cache(maxsize=1)
def usable_grep() -> str | None:
    """The path of a grep that passes the probe, or None (then the Python search is used)."""
    grep = shutil.which("grep")
    if grep is None or shutil.which("sh") is None:
        return None
    try:
        probe = subprocess.run(
            _command(grep, [b"err", b"##["]),
            input=_PROBE_INPUT,
            capture_output=True,
            env=_ENV,
            timeout=_PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return grep if probe.returncode == 0 and probe.stdout == _PROBE_OUTPUT else None


def worth_grepping(size: int, needles: Iterable[bytes]) -> bool:
    """Whether a file of `size` bytes is big enough, and the needles are plain enough, for grep."""
    needle_list = list(needles)
    return size >= GREP_MIN_BYTES and bool(needle_list) and all(n and b"\n" not in n for n in needle_list)


def _command(grep: str, needles: Iterable[bytes], *paths: str) -> list[str]:
    """grep's command line for the needles (fixed strings), run by a shell that limits its memory first."""
    patterns = [arg for n in needles for arg in ("-e", n.decode("utf-8", "surrogateescape"))]
    sh = shutil.which("sh") or "/bin/sh"
    return [sh, "-c", _LIMITED, str(GREP_MEMORY_KB), grep, *_FLAGS, *patterns, "--", *paths]


@contextmanager
def grep_hits(grep: str, path: Path, needles: Iterable[bytes]) -> Iterator[Iterator[tuple[int, int, bytes]]]:
    """Run grep over `path` for the needles; give its hits (line number, file offset, matched bytes) as they come.

    The iterator raises GrepFailed at its end when grep did not finish cleanly (exit 0: hits, 1: none).
    Leaving the block stops a grep still running.
    """
    try:
        proc = subprocess.Popen(
            _command(grep, needles, str(path)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_ENV,
        )
    except OSError as exc:
        raise GrepFailed(f"cannot start grep: {exc}") from None
    stdout = cast(IO[bytes], proc.stdout)  # stdout=PIPE above
    try:
        yield _read_hits(proc, stdout)
    finally:
        if proc.poll() is None:
            proc.kill()
        stdout.close()
        proc.wait()


def _read_hits(proc: subprocess.Popen[bytes], stdout: IO[bytes]) -> Iterator[tuple[int, int, bytes]]:
    for record in stdout:
        number, _, rest = record.partition(b":")
        offset, sep, matched = rest.partition(b":")
        if not sep or not number.isdigit() or not offset.isdigit():
            raise GrepFailed(f"unexpected grep output {record[:80]!r}")
        yield int(number), int(offset), matched.rstrip(b"\n")
    code = proc.wait()
    if code not in (0, 1):
        raise GrepFailed(f"grep exited with {code}")
