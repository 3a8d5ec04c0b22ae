"""What one GitHub client did: how many requests, how many retries, and every wait (through an injected sleep).

Plain data with no HTTP library behind it, so a dry run's in-memory GitHub keeps the same books.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nexus_action.github.deadline import DEFAULT_SECONDS, Deadline


@dataclass
class CallLedger:
    """Shared by every copy of the Retry object of one client: counts requests and records waits."""

    sleep_fn: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    random_fn: Callable[[], float] = random.random
    deadline: Deadline = field(default_factory=lambda: Deadline(DEFAULT_SECONDS))
    requests: int = 0
    retries: int = 0
    waits: list[float] = field(default_factory=list)
    # Pauses before re-reading a body we wrote (threads.converge): not retries, so apart from `waits`.
    settles: list[float] = field(default_factory=list)

    @property
    def slept(self) -> float:
        return round(sum(self.waits), 3)

    def sleep(self, seconds: float) -> None:
        """Wait through the injected sleep; raises DeadlinePassed (and waits not at all) past the deadline."""
        seconds = max(0.0, seconds)
        self.deadline.sleep(seconds, self.sleep_fn)
        self.waits.append(seconds)

    def settle(self, seconds: float) -> None:
        """The pause before a writer re-reads what it wrote (counted apart from retry waits). Near the deadline
        it is shortened to what is left: a shorter pause only narrows the race window, it never fails the run."""
        seconds = max(0.0, min(seconds, self.deadline.remaining()))
        self.settles.append(seconds)
        if seconds:
            self.sleep_fn(seconds)
