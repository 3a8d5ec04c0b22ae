"""The transport that keeps to a `Deadline`: requests' adapter with bounded timeouts and bounded body reads.

Per-request timeouts bound each silence, not a whole answer: a server that drips a byte every few seconds never
trips a read timeout. So bodies are read here in pieces as they arrive, with the socket's timeout cut to the
time left, and a body also stops at its request's share of the run's deadline (`Deadline.part`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from nexus_action.github.deadline import Deadline, DeadlinePassed

READ_CHUNK = 64 * 1024


def read_within(raw: Any, deadline: Deadline, *, limit: int, read_timeout: float) -> bytes:
    """Read a streamed body (urllib3's HTTPResponse) until its end, `limit` bytes, or the deadline.

    Each read takes what has arrived (`read1`) with the socket's timeout cut to the time left, so a body
    that drips in one byte at a time stops at the deadline instead of when the server pleases.
    """
    out = bytearray()
    stream_within(raw, deadline, out.extend, limit=limit, read_timeout=read_timeout)
    return bytes(out)


def stream_within(
    raw: Any, deadline: Deadline, sink: Callable[[bytes], object], *, limit: int, read_timeout: float
) -> int:
    """As read_within, handing each piece to `sink` as it arrives (a file's write: the body never sits whole in
    memory); returns the bytes handed over."""
    out = 0
    while out < limit:
        left = deadline.remaining()
        if left <= 0:
            raise DeadlinePassed(f"{deadline.which} passed while reading the answer ({out:,} bytes read)")
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        if sock is not None:
            sock.settimeout(max(0.001, min(read_timeout, left)))
        try:
            chunk = _read1(raw, min(READ_CHUNK, limit - out))
        except (ReadTimeoutError, TimeoutError) as exc:
            if deadline.passed:
                raise DeadlinePassed(f"{deadline.which} passed while reading the answer") from None
            raise requests.Timeout(f"read timed out: {exc}") from None
        except ProtocolError as exc:
            raise requests.ConnectionError(f"connection broken while reading: {exc}") from None
        if not chunk:
            break
        sink(chunk)
        out += len(chunk)
    return out


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
    return urlsplit(url or "").path or "/"
