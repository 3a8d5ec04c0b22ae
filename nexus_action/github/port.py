"""The REST door the delivery chain, the gatherers and the dashboard talk through.

Two things open it: `client.GitHubApi` (the real GitHub, through PyGithub) and `recording.RecordingGitHub`
(a dry run's GitHub in memory). Code that only needs the door types against this protocol, so a dry run walks
the very same chain as a live run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

from nexus_action.github.ledger import CallLedger

T = TypeVar("T")


class RestApi(Protocol):
    @property
    def ledger(self) -> CallLedger: ...

    @property
    def api_calls(self) -> int: ...

    # `read` is the checked reader of the answer's body (`nexus_action.github.answer`): it raises BadAnswer for
    # a body of the wrong shape, which the door turns into a `bad-answer` CallFailure.
    def get(self, path: str, params: dict[str, Any] | None = None, *, read: Callable[[Any], T]) -> T: ...

    def pages(
        self, path: str, params: dict[str, Any] | None = None, *, read: Callable[[Any], T], max_pages: int = 10
    ) -> Iterator[T]: ...

    def send(self, verb: str, path: str, body: dict[str, Any] | None = None, *, read: Callable[[Any], T]) -> T: ...

    def download(self, path: str) -> bytes: ...

    def download_to(self, path: str, dest: Path, *, max_bytes: int = ...) -> int:
        """`download` streamed into the file `dest`; the bytes written (at most `max_bytes`)."""
