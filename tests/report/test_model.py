"""Snapshot.failed: what the run concluded decides, not whether a job list happened to be readable."""

from __future__ import annotations

import pytest

from nexus_action.report.model import Snapshot


def _snap(conclusion: str, reason: str | None = None) -> Snapshot:
    return Snapshot(
        "o/r", 1, 1, "a" * 40, "main", "2026-11-20T10:00:00Z", conclusion=conclusion, unlisted_reason=reason
    )


@pytest.mark.parametrize("conclusion", ["failure", "timed_out", "startup_failure", "cancelled", ""])
def test_a_run_that_did_not_conclude_success_is_failed_with_or_without_a_reason(conclusion: str) -> None:
    assert _snap(conclusion).failed
    assert _snap(conclusion, "the run's jobs could not be read").failed


def test_only_success_with_no_failed_job_is_green() -> None:
    assert not _snap("success").failed


def test_a_state_read_back_keeps_a_failure_with_no_job() -> None:
    stored = _snap("failure").to_dict()
    assert Snapshot.from_dict(stored).failed
