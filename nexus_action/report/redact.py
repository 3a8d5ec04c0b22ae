"""Redaction and neutralisation of every string that came from a log, branch, PR title or job name.

Interface fixed for the report and webhook layers; the full pattern set lands with issue 4.
"""

from __future__ import annotations

from collections.abc import Sequence


def sanitize(text: str, secrets: Sequence[str] = ()) -> str:
    """Redact secrets, make @mentions / #refs / HTML comments / markers inert, drop control characters."""
    raise NotImplementedError("redaction lands with issue 4")
