"""`/nexus explain`: blocker text stays one intact code span whatever backticks it holds."""

from __future__ import annotations

from nexus_action.commands.explain import explain_job
from tests.report.cases import clippy_job, snapshot


def test_a_double_backtick_in_a_blocker_does_not_break_its_code_span() -> None:
    out = explain_job(snapshot(7, (clippy_job("error: expected `` here"),)), "clippy")
    assert isinstance(out, tuple)
    line = next(x for x in out[1].splitlines() if x.startswith("1. "))
    assert line.endswith(": ```error: expected `` here```")
