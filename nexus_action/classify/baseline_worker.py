"""The comparison with the last green run, made by a forked worker while the failing log is classified.

The comparison reads both logs whole, in Python (mask, split, hash: one core's work), and the classification
needs its result only at the end, to re-rank the blockers; the classification's own reading is mostly a grep's.
Where there is a second core the two overlap: on the 200 MB benchmark pair (2 cores), classify with a baseline
took 1.35 s in one process and 0.90 s with the worker, for the same CPU time.

Only where forking is safe and cheap: Linux, a process running one thread (a fork of a threaded process can
deadlock in the child), and both logs named by path (a forked child would share an open file's offset with this
process: it opens its own). Anywhere else, and whenever the worker fails or dies, the comparison is made in this
process: the same code, so the same result, and its error (if any) raised here.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from nexus_action.classify.baseline import Comparison

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

USE_WORKER = True
Compare = Callable[[], Comparison]


class PendingComparison(Protocol):
    def result(self) -> Comparison: ...


class Ready:
    """A comparison made in this process."""

    def __init__(self, comparison: Comparison) -> None:
        self.comparison = comparison

    def result(self) -> Comparison:
        return self.comparison


class _Worker:
    def __init__(self, compare: Compare, stack: ExitStack) -> None:
        import multiprocessing  # only when a worker is started: the classifier's import stays light

        context = multiprocessing.get_context("fork")
        for stream in (sys.stdout, sys.stderr):  # else the child writes what this process buffered once more
            stream.flush()
        self.compare = compare
        self.conn, child = context.Pipe(duplex=False)
        self.process = context.Process(target=_work, args=(compare, child), daemon=True)
        self.process.start()
        child.close()
        stack.callback(self.close)  # the classification failed: the worker is not waited for

    def result(self) -> Comparison:
        try:
            made, comparison = self.conn.recv()
        except (EOFError, OSError):  # the worker died (killed, out of memory)
            made, comparison = False, None
        finally:
            self.close()
        if made and isinstance(comparison, Comparison):
            return comparison
        return self.compare()

    def close(self) -> None:
        if self.conn.closed:
            return
        self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def _work(compare: Compare, conn: Connection) -> None:
    try:
        conn.send((True, compare()))
    except Exception:  # made again in the parent, which raises it where the caller sees it
        conn.send((False, None))
    finally:
        conn.close()


def can_fork(log: str | Path | IO[bytes], baseline: str | Path | IO[bytes]) -> bool:
    return (
        USE_WORKER
        and sys.platform == "linux"
        and threading.active_count() == 1
        and isinstance(log, str | Path)
        and isinstance(baseline, str | Path)
    )


def start(
    compare: Compare, log: str | Path | IO[bytes], baseline: str | Path | IO[bytes], stack: ExitStack
) -> PendingComparison:
    """The comparison `compare` makes, started in a worker where that is safe, else made now."""
    if can_fork(log, baseline):
        return _Worker(compare, stack)
    return Ready(compare())
