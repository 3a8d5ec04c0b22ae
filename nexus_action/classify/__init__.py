"""Classification of failed CI jobs (placeholder until the classifier lands)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from nexus_action.classify.model import Classification


def classify_log(
    log: str | Path | IO[bytes],
    *,
    workflow: str | None = None,
    job: str | None = None,
    step: str | None = None,
    changed_files: Iterable[str] = (),
    routing: Mapping[str, str] | None = None,
    extra_rules: Iterable[Mapping[str, Any]] = (),
) -> Classification:
    """Classify one failed job's log. `log` is a path or a binary stream."""
    raise NotImplementedError("the classifier lands with issue 3")
