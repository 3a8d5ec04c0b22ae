"""Transport faults the stand-in cannot produce over a real socket without real waiting.

`timeout`: the request reaches the server and is handled (a write may have happened), then the client's
read times out. `reset`: the connection is reset before the request is sent (nothing happened).
Both are raised where urllib3 raises them, so its Retry (our policy) sees exactly what it would see.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from tests.fakegithub.server import FakeGitHub


@contextlib.contextmanager
def transport_faults(app: FakeGitHub) -> Iterator[None]:
    real = HTTPConnectionPool._make_request

    def make_request(pool: HTTPConnectionPool, conn: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        path = urlsplit(url).path.removeprefix(app.prefix)
        fault = app.fault_for(method, path, transport=True)
        if fault is None:
            return real(pool, conn, method, url, *args, **kwargs)
        fault.use()
        if fault.transport == "reset":
            app.seen.append((method, path))
            raise ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
        real(pool, conn, method, url, *args, **kwargs)
        raise ReadTimeoutError(pool, url, "Read timed out. (read timeout=15)")

    with mock.patch.object(HTTPConnectionPool, "_make_request", make_request):
        yield
