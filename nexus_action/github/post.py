"""A comment or issue as GitHub returned it: plain data, so that code which only reads posts (the slash
commands' dry-run plan, the dashboard) does not import PyGithub and requests with the client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nexus_action.github.answer import as_object, field_int, field_obj, field_opt_int, field_str, objects


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
    def from_api(cls, data: Any) -> Post:
        """Read one comment or issue; BadAnswer when it is not one (no numeric `id`, a field of another type)."""
        obj = as_object(data, "the comment or issue")
        return cls(
            id=field_int(obj, "id"),
            number=field_opt_int(obj, "number"),
            author=field_str(field_obj(obj, "user"), "login"),
            body=field_str(obj, "body"),
            created_at=field_str(obj, "created_at"),
            url=field_str(obj, "html_url"),
            state=field_str(obj, "state") or "open",
            title=field_str(obj, "title"),
        )

    @classmethod
    def list_from_api(cls, data: Any) -> list[Post]:
        """A page of comments or issues (a JSON list of objects)."""
        return [cls.from_api(item) for item in objects(data, "the list of comments or issues")]


def oldest_first(posts: list[Post]) -> list[Post]:
    # ids grow with time on GitHub; created_at has one-second resolution, so ids break ties.
    return sorted(posts, key=lambda p: (p.created_at, p.id))
