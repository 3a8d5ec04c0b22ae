"""The comparison made by a forked worker while the failing log is classified (classify/baseline_worker.py)."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

from nexus_action.classify import baseline_apply, baseline_worker, classify_log
from tests.classify.test_baseline import FAILING, PASSING


@pytest.fixture
def logs(tmp_path: Path) -> tuple[Path, Path]:
    failing, passing = tmp_path / "fail.log", tmp_path / "pass.log"
    failing.write_bytes(FAILING)
    passing.write_bytes(PASSING)
    return failing, passing


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    started: list[object] = []

    class Counted(baseline_worker._Worker):
        def __init__(self, *args: object) -> None:
            started.append(self)
            super().__init__(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(baseline_worker, "_Worker", Counted)
    return started


def test_the_worker_gives_the_result_made_in_process(
    logs: tuple[Path, Path], workers: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    failing, passing = logs
    forked = classify_log(failing, baseline=passing).to_dict()
    assert len(workers) == 1
    monkeypatch.setattr(baseline_worker, "USE_WORKER", False)
    assert classify_log(failing, baseline=passing).to_dict() == forked
    assert len(workers) == 1
    assert forked["baseline"]["used"] is True  # type: ignore[index]
    assert forked["baseline"]["new_lines"] == 5  # type: ignore[index]


def test_a_worker_that_dies_is_made_up_for_in_process(
    logs: tuple[Path, Path], workers: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    failing, passing = logs
    expected = classify_log(io.BytesIO(FAILING), baseline=io.BytesIO(PASSING)).to_dict()
    monkeypatch.setattr(baseline_worker, "_work", lambda compare, conn: os._exit(3))
    assert classify_log(failing, baseline=passing).to_dict() == expected
    assert len(workers) == 1


def test_an_error_in_the_comparison_is_raised_to_the_caller(
    logs: tuple[Path, Path], workers: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(log: object, baseline: object) -> None:
        raise RuntimeError("comparison broke")

    monkeypatch.setattr(baseline_apply, "_compare", broken)
    with pytest.raises(RuntimeError, match="comparison broke"):
        classify_log(logs[0], baseline=logs[1])
    assert len(workers) == 1


def test_no_worker_for_streams_or_a_threaded_process(logs: tuple[Path, Path], workers: list[object]) -> None:
    failing, passing = logs
    classify_log(io.BytesIO(FAILING), baseline=passing)
    classify_log(failing, baseline=io.BytesIO(PASSING))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        classify_log(failing, baseline=passing)
    finally:
        stop.set()
        other.join()
    assert workers == []
