"""ISO 8601 times as GitHub writes them (`2026-11-01T10:00:00Z`): one formatter and one parser for the package.

Times travel through the hidden state as strings; these two functions are the only places that turn them
into datetimes and back, so every module reads and writes the same form.
"""

from __future__ import annotations

from datetime import datetime, timezone


def format_iso(moment: datetime) -> str:
    """`2026-11-01T10:00:00Z`: whole seconds, `Z` for UTC."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime | None:
    """ISO 8601 -> aware UTC datetime (a time without a zone is taken as UTC); None when unreadable."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
