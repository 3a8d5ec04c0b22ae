"""Concurrent writers converge: each race of tests/races.py once per suite run (real processes, so each takes
several seconds on a small machine). `python -m tests.races --repeat 20` runs them repeatedly."""

from __future__ import annotations

import pytest

from tests.races import RACES, run_race


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(RACES))
def test_concurrent_writers_converge(name: str) -> None:
    assert run_race(name) is None
