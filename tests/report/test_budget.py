"""Size budget: bodies stay under 65,536 characters; markers, top blocker and links are never cut."""

from __future__ import annotations

from dataclasses import replace

from nexus_action.classify.model import Blocker
from nexus_action.config.settings import Settings
from nexus_action.report import build_report, decode_block, read_state
from nexus_action.report.budget import BODY_BUDGET
from nexus_action.report.state import REPORT_MARKER
from tests.report.big import big_history_body, many_jobs, ten_thousand_line_text
from tests.report.cases import SHA2, clippy_job, oversize, snapshot


def _assert_whole(body: str) -> None:
    assert len(body) <= BODY_BUDGET
    assert body.startswith(REPORT_MARKER)
    data, warnings = decode_block(body, "state")
    assert data is not None
    assert warnings == []


def test_500_jobs_after_1000_runs_fit_and_keep_the_top_blocker_and_links() -> None:
    report = oversize()[-1]
    for body in (report.comment_md, report.issue_md):
        _assert_whole(body)
        top = report.state.latest.top_job if report.state.latest else None
        assert top is not None
        assert top.classification.top_blocker is not None
        assert top.classification.top_blocker.text in body
        assert "[Workflow run](<https://github.com/octo-org/octo-repo/actions/runs/5000>)" in body
        assert "[Checks tab](" in body
    assert report.state.omitted_jobs > 0
    assert f"{report.state.omitted_jobs} more failed job(s) not listed" in report.comment_md
    assert any("oldest history entries" in w for w in report.warnings)
    # the history chain of what was kept still verifies
    assert read_state(report.comment_md)[1] == []


def test_oldest_history_goes_first() -> None:
    previous = big_history_body(1000)
    report = build_report(
        snapshot(5000, (clippy_job(),), sha=SHA2), previous, settings=Settings(history_limit=200), now="t"
    )
    _assert_whole(report.comment_md)
    kept = report.state.history
    assert 1 < len(kept) <= 200
    assert kept[-1].run_id == 5000  # this run is never dropped
    assert [e.seq for e in kept] == sorted(e.seq for e in kept)
    assert kept[0].run_id > 1000 + 1000 - 200  # only the oldest went
    # with few entries the extra blockers stay
    assert "More blockers in this job" in report.comment_md


def test_ten_thousand_line_blocker_is_capped_once_and_fenced_safely() -> None:
    text = ten_thousand_line_text()
    job = clippy_job()
    c = job.classification
    huge = Blocker(log_line=1, text=text, file="src/lexer.rs", line=88)
    job = replace(
        job, classification=replace(c, top_blocker=huge, blockers=tuple(Blocker(i, f"e{i}") for i in range(10_000)))
    )
    report = build_report(snapshot(1, (job,)), None, settings=Settings(), now="t")
    _assert_whole(report.comment_md)
    assert "00000 error: line 0 of a very long log" in report.comment_md
    top = report.state.latest.jobs[0].classification if report.state.latest else None
    assert top is not None
    assert len(top.blockers) <= 3
    assert top.top_blocker is not None
    assert len(top.top_blocker.text) <= 2_000
    # a ``` inside the blocker did not end the fence: the block opens with four backticks
    assert "````text\n00000 error" in report.comment_md


def test_many_jobs_alone_keep_as_many_as_fit() -> None:
    report = build_report(snapshot(9, many_jobs(500)), None, settings=Settings(), now="t")
    _assert_whole(report.comment_md)
    listed = report.state.latest.jobs if report.state.latest else ()
    assert len(listed) + report.state.omitted_jobs == 500
    assert report.comment_md.count("| [matrix-job-") == len(listed)
