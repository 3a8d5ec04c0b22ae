"""The event payload file: read it (GITHUB_EVENT_PATH or --event) and tell which event a saved payload is.

Kept apart from context.py, which stays pure: this is the one place that touches the disk for events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nexus_action.errors import NexusError


def load_event(path: str | Path | None) -> dict[str, Any]:
    """Read the event payload file. A missing or malformed file is a clear NEXUS-EVENT-INVALID."""
    if not path:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            "GITHUB_EVENT_PATH is not set and no --event file was given",
            "Run inside GitHub Actions, or pass --event path/to/event.json.",
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"cannot read event file {str(path)!r}: {exc}",
            "Check GITHUB_EVENT_PATH / --event.",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"event file {str(path)!r} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            "Pass the JSON webhook payload GitHub delivered.",
        ) from None
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
