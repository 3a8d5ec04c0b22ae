"""One deadline for all the network time of a run.

Per-request timeouts bound each silence, not a whole answer: a server that drips a byte every few seconds
never trips a 15 s read timeout, and rate-limit waits and retries each stay under their own cap while adding
up to minutes. So a run gets one `Deadline` (setting `deadline`, default 120 s), shared by the GitHub client
and the webhook sender: every request, retry, wait and body read checks it, and once it has passed they raise
`DeadlinePassed`, which the client reports as NEXUS-DEADLINE so the remaining channels are skipped and the
step summary is still written. Each request (an API answer or a log download) also has its own, shorter limit
(`Deadline.part`, a quarter of the run's), so one dripping answer cannot eat the time the other channels need.

Pure (no HTTP library): the ledger and the dry run's in-memory GitHub use it too; the transport that keeps to
it is `nexus_action.github.bounded`. The clock is injected (`time.monotonic` in the CLI) and is the only
measure of time spent: a test that injects a sleep which does not really sleep passes a clock that its sleep
moves forward.
"""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_SECONDS = 120.0
# A single request or download gets at most this share of the run's deadline (never more than what is left).
REQUEST_SHARE = 0.25


class DeadlinePassed(Exception):
    """The run's network deadline (or one request's share of it) has passed: stop, do not wait or retry.

    Deliberately not an OSError: requests would wrap that into a ConnectionError and hide what happened.
    """


class Deadline:
    """A point in time all network work of one run must finish by."""

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        what: str = "",
        parent: Deadline | None = None,
    ) -> None:
        self.seconds = max(0.0, float(seconds))
        self.clock = clock
        self.what = what or f"the run's {self.seconds:g} s network deadline"
        self.started = clock()
        self.parent = parent

    def remaining(self) -> float:
        left = self.seconds - (self.clock() - self.started)
        if self.parent is not None:
            left = min(left, self.parent.remaining())
        return max(0.0, left)

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0.0

    @property
    def which(self) -> str:
        """The deadline that is binding: the run's once it has passed, else this one."""
        if self.parent is not None and self.parent.passed:
            return self.parent.which
        return self.what

    def check(self, doing: str) -> None:
        """Raise DeadlinePassed when there is no time left for `doing`."""
        if self.passed:
            raise DeadlinePassed(f"{self.which} has passed; {doing} skipped")

    def sleep(self, seconds: float, sleep_fn: Callable[[float], None]) -> None:
        """Wait `seconds` through `sleep_fn`, unless that would end past the deadline (then raise at once:
        waiting only to fail afterwards would waste the time the remaining channels need)."""
        if seconds > self.remaining():
            raise DeadlinePassed(f"a wait of {seconds:g} s would pass {self.which}; not waited")
        if seconds > 0:
            sleep_fn(seconds)

    def part(self, share: float = REQUEST_SHARE) -> Deadline:
        """A shorter deadline inside this one, starting now (one request's share of it)."""
        seconds = self.seconds * share
        return Deadline(seconds, clock=self.clock, what=f"the {seconds:g} s limit of one request", parent=self)

    def timeout(self, timeout: float | tuple[float, float] | None) -> float | tuple[float, float]:
        """A request timeout no longer than what is left (requests takes a number or a (connect, read) pair)."""
        left = max(0.001, self.remaining())
        if timeout is None:
            return left
        if isinstance(timeout, tuple):
            return (min(timeout[0], left), min(timeout[1], left))
        return min(timeout, left)
