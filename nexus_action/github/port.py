"""The REST door the delivery chain, the gatherers and the dashboard talk through.

Two things open it: `client.GitHubApi` (the real GitHub, through PyGithub) and `recording.RecordingGitHub`
(a dry run's GitHub in memory). Code that only needs the door types against this protocol, so a dry run walks
the very same chain as a live run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from nexus_action.github.ledger import CallLedger


class RestApi(Protocol):
    @property
    def ledger(self) -> CallLedger: ...

    @property
    def api_calls(self) -> int: ...

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any: ...

    def pages(self, path: str, params: dict[str, Any] | None = None, *, max_pages: int = 10) -> Iterator[Any]: ...

    def send(self, verb: str, path: str, body: dict[str, Any] | None = None) -> Any: ...

    def download(self, path: str) -> bytes: ...
