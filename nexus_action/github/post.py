"""A comment or issue as GitHub returned it: plain data, so that code which only reads posts (the slash
commands' dry-run plan, the dashboard) does not import PyGithub and requests with the client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Post:
    """A comment or issue as GitHub returned it (only the fields we use)."""

    id: int
    number: int | None
    author: str
    body: str
    created_at: str
    url: str
    state: str = "open"
    title: str = ""  # issues only

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Post:
        return cls(
            id=int(data["id"]),
            number=data.get("number") if isinstance(data.get("number"), int) else None,
            author=str((data.get("user") or {}).get("login") or ""),
            body=str(data.get("body") or ""),
            created_at=str(data.get("created_at") or ""),
            url=str(data.get("html_url") or ""),
            state=str(data.get("state") or "open"),
            title=str(data.get("title") or ""),
        )


def oldest_first(posts: list[Post]) -> list[Post]:
    # ids grow with time on GitHub; created_at has one-second resolution, so ids break ties.
    return sorted(posts, key=lambda p: (p.created_at, p.id))
