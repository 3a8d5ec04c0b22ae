"""The event payload file: read it (GITHUB_EVENT_PATH or --event) and tell which event a saved payload is.

Kept apart from context.py, which stays pure: this is the one place that touches the disk for events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nexus_action.errors import NexusError
from nexus_action.github.answer import MAX_DEPTH, too_deep

# GitHub caps webhook payloads at 25 MB; a bigger "event" file is not one.
MAX_EVENT_BYTES = 25 * 1024 * 1024


def _invalid_file(path: str | Path, why: str) -> NexusError:
    return NexusError(
        "NEXUS-EVENT-INVALID",
        f"event file {str(path)!r} {why}",
        "Pass the JSON webhook payload GitHub delivered.",
    )


def load_event(path: str | Path | None) -> dict[str, Any]:
    """Read the event payload file. A missing, oversized, over-nested or malformed file is a clear
    NEXUS-EVENT-INVALID (never a crash: Python's JSON parser recurses, and refuses integers of over 4,300
    digits with a plain ValueError)."""
    if not path:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            "GITHUB_EVENT_PATH is not set and no --event file was given",
            "Run inside GitHub Actions, or pass --event path/to/event.json.",
        )
    try:
        size = Path(path).stat().st_size
        if size > MAX_EVENT_BYTES:
            raise _invalid_file(path, f"is {size:,} bytes; webhook payloads are at most {MAX_EVENT_BYTES:,}")
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"cannot read event file {str(path)!r}: {exc}",
            "Check GITHUB_EVENT_PATH / --event.",
        ) from None
    if too_deep(text):
        raise _invalid_file(path, f"nests deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _invalid_file(path, f"is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer beyond Python's 4,300-digit limit
        raise _invalid_file(path, f"cannot be read as JSON ({str(exc)[:120]})") from None
    if not isinstance(data, dict):
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"event file {str(path)!r} holds a {type(data).__name__}, not an object",
            "Pass the JSON webhook payload GitHub delivered.",
        )
    return data


# Keys that only one accepted event's payload has at its top level, checked in this order
# (an issue_comment payload also has `issue`; a workflow_job payload has no `workflow_run`).
_EVENT_KEYS = (
    ("workflow_run", "workflow_run"),
    ("workflow_job", "workflow_job"),
    ("check_run", "check_run"),
    ("check_suite", "check_suite"),
    ("comment", "issue_comment"),
    ("pull_request", "pull_request"),
    ("inputs", "workflow_dispatch"),
    ("commits", "push"),
)


def guess_event_name(payload: Mapping[str, Any]) -> str | None:
    """The event a saved payload most likely came from, for `--event file.json` without `--event-name`."""
    for key, event in _EVENT_KEYS:
        if key in payload:
            return event
    if "after" in payload and "ref" in payload:
        return "push"
    return None
