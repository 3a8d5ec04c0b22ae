"""Reading GitHub's answers: the one checked reader every response body goes through.

GitHub (or a proxy in front of it) can answer a success status with a body that is not what the endpoint
documents: an HTML error page on a 201, an empty 200, JSON cut short, `"id": "x"`, a missing `id`. None of
that may crash a run. `decode` turns the raw body into JSON data, and the `field_*` helpers read one typed
field each; both raise `BadAnswer`, which the client (`GitHubApi`) turns into a `CallFailure` of kind
`bad-answer` (NEXUS-GITHUB-BAD-ANSWER), so the delivery chain moves on as for any other failed call.

Pure: no network, no PyGithub, so readers such as `Post.from_api` stay importable without the client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# GitHub's ids are 64-bit; anything beyond is not an id (and a 5,000-digit number is an attack, not data).
MAX_ID = 2**63 - 1
# JSON nesting deeper than this is refused before Python's parser recurses into it.
MAX_DEPTH = 200
SHOWN = 60


class BadAnswer(ValueError):
    """A response body that is not what the endpoint documents (not JSON, or a field of the wrong type)."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def too_deep(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (json.loads would recurse that deep)."""
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def decode(raw: str | bytes | None) -> Any:
    """The JSON value of a response body; None for an empty body (the reader decides whether that will do).
    Undecodable or over-nested bodies raise BadAnswer."""
    if raw is None or not raw.strip():
        return None
    if too_deep(raw):
        raise BadAnswer(f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        head = raw[:40].decode("utf-8", "replace") if isinstance(raw, bytes) else raw[:40]
        raise BadAnswer(f"the body is not JSON (it starts {_shown(head.strip())})") from None


def as_object(data: Any, what: str = "the body") -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadAnswer(f"{what} is {_kind(data)}, not a JSON object")
    return data


def as_list(data: Any, what: str = "the body") -> list[Any]:
    if not isinstance(data, list):
        raise BadAnswer(f"{what} is {_kind(data)}, not a JSON list")
    return data


def objects(data: Any, what: str = "the body") -> list[dict[str, Any]]:
    """A JSON list whose every item is an object (a list of comments, issues, jobs ...)."""
    items = as_list(data, what)
    for index, item in enumerate(items):
        as_object(item, f"item {index} of {what}")
    return items


def field_int(obj: Mapping[str, Any], key: str) -> int:
    """A required whole-number field such as `id` (booleans and numbers beyond 64 bits are refused)."""
    value = obj.get(key)
    if value is None:
        raise BadAnswer(f"field {key!r} is missing")
    return _whole(key, value)


def field_opt_int(obj: Mapping[str, Any], key: str) -> int | None:
    """An optional whole-number field: None when absent or null, BadAnswer when of another type."""
    value = obj.get(key)
    return None if value is None else _whole(key, value)


def _whole(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise BadAnswer(f"field {key!r} is {_shown(value)}, not a whole number up to 2^63")
    return value


def field_str(obj: Mapping[str, Any], key: str, default: str = "") -> str:
    """An optional text field: `default` when absent or null, BadAnswer when of another type."""
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadAnswer(f"field {key!r} is {_kind(value)}, not text")
    return value


def field_obj(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    """An optional nested object (`user`, `head` ...): {} when absent or null."""
    value = obj.get(key)
    return {} if value is None else as_object(value, f"field {key!r}")


def field_list(obj: Mapping[str, Any], key: str, *, required: bool = False) -> list[Any]:
    """A list field (`steps` ...): [] when absent or null, unless `required` (then BadAnswer: a jobs list
    without its `jobs` is not "no jobs")."""
    value = obj.get(key)
    if value is None and required:
        raise BadAnswer(f"field {key!r} is missing")
    return [] if value is None else as_list(value, f"field {key!r}")


def ignore(data: Any) -> None:
    """For answers whose body we do not use (DELETE's 204, a label created): nothing to check."""
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "empty (or null)"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)
