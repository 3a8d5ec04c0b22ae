"""One deadline for all the network time of a run, and a transport that keeps to it.

Per-request timeouts bound each silence, not a whole answer: a server that drips a byte every few seconds
never trips a 15 s read timeout, and rate-limit waits and retries each stay under their own cap while adding
up to minutes. So a run gets one `Deadline` (setting `deadline`, default 120 s), shared by the GitHub client
and the webhook sender: every request, retry, wait and body read checks it, and once it has passed they raise
`DeadlinePassed`, which the client reports as NEXUS-DEADLINE so the remaining channels are skipped and the
step summary is still written. Each request (an API answer or a log download) also has its own, shorter limit
(`Deadline.part`, a quarter of the run's), so one dripping answer cannot eat the time the other channels need.

The clock is injected (`time.monotonic` in the CLI) and is the only measure of time spent: a test that injects
a sleep which does not really sleep passes a clock that its sleep moves forward.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse
from urllib3.exceptions import ProtocolError, ReadTimeoutError

DEFAULT_SECONDS = 120.0
# A single request or download gets at most this share of the run's deadline (never more than what is left).
REQUEST_SHARE = 0.25
READ_CHUNK = 64 * 1024


class DeadlinePassed(Exception):
    """The run's network deadline (or one download's share of it) has passed: stop, do not wait or retry.

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


def read_within(raw: Any, deadline: Deadline, *, limit: int, read_timeout: float) -> bytes:
    """Read a streamed body (urllib3's HTTPResponse) until its end, `limit` bytes, or the deadline.

    Each read takes what has arrived (`read1`) with the socket's timeout cut to the time left, so a body
    that drips in one byte at a time stops at the deadline instead of when the server pleases.
    """
    out = bytearray()
    while len(out) < limit:
        left = deadline.remaining()
        if left <= 0:
            raise DeadlinePassed(f"{deadline.which} passed while reading the answer ({len(out):,} bytes read)")
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        if sock is not None:
            sock.settimeout(max(0.001, min(read_timeout, left)))
        try:
            chunk = _read1(raw, min(READ_CHUNK, limit - len(out)))
        except (ReadTimeoutError, TimeoutError) as exc:
            if deadline.passed:
                raise DeadlinePassed(f"{deadline.which} passed while reading the answer") from None
            raise requests.Timeout(f"read timed out: {exc}") from None
        except ProtocolError as exc:
            raise requests.ConnectionError(f"connection broken while reading: {exc}") from None
        if not chunk:
            break
        out.extend(chunk)
    return bytes(out)


def _read1(raw: Any, amount: int) -> bytes:
    """What has arrived, up to `amount` bytes, decompressed (requests asks urllib3 not to decode, then decodes
    while reading, as here). Stand-ins for urllib3's response (vcrpy's replays) hold decoded bodies already."""
    if isinstance(raw, HTTPResponse):
        return raw.read1(amount, decode_content=True)
    return bytes(raw.read1(amount))


def _read_timeout(timeout: Any) -> float:
    if isinstance(timeout, tuple):
        return float(timeout[1] or 60.0)
    return float(timeout or 60.0)


class BoundedAdapter(HTTPAdapter):
    """requests' HTTPAdapter under a Deadline: no request starts after it, timeouts never reach past it, and a
    body is read within it and within one request's share of it (see `read_within`). Retries stay urllib3's,
    under the Retry object given. A streamed body (stream=True) is the caller's to read within a deadline."""

    def __init__(self, deadline: Deadline, *, max_bytes: int = 64 * 1024 * 1024, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline
        self.max_bytes = max_bytes

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kw: Any) -> Any:  # type: ignore[override]
        self.deadline.check(f"{request.method} {_path(request.url)}")
        bounded = self.deadline.timeout(timeout)
        response = super().send(request, stream=True, timeout=bounded, **kw)
        if stream:
            return response
        # The body's own share starts when its headers are in: retries and their waits before it are bounded by
        # the run's deadline alone.
        limit = self.deadline.part()
        try:
            body = read_within(response.raw, limit, limit=self.max_bytes, read_timeout=_read_timeout(bounded))
        except BaseException:
            response.close()
            raise
        # What requests itself does once it has read a body (Response.content): later reads see these bytes.
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]
        response.raw.release_conn()
        return response


def _path(url: str | None) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url or "").path or "/"
