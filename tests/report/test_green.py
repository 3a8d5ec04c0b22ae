"""The report's parts about the last green run: top blocker new since green, new blocks, commit range."""

from __future__ import annotations

from dataclasses import replace

from nexus_action.classify.model import BaselineSummary, NewBlock
from nexus_action.report import decode_block, read_state
from nexus_action.report.model import GreenRun, Snapshot
from tests.report.cases import REPO, SHA1, SHA3, clippy_job, run_sequence, snapshot

GREEN = GreenRun(
    run_id=990,
    head_sha=SHA3,
    url=f"https://github.com/{REPO}/actions/runs/990",
    created_at="2026-11-19T08:00:00Z",
    branch="main",
    workflow="ci.yml",
    jobs={"clippy": 8800},
)


def compared_snapshot(new: bool, summary: BaselineSummary) -> Snapshot:
    job = clippy_job()
    c = job.classification
    assert c.top_blocker is not None
    top = replace(c.top_blocker, new_since_baseline=new)
    c = replace(c, top_blocker=top, blockers=(top, *c.blockers[1:]), baseline=summary)
    return replace(snapshot(1001, (replace(job, classification=c),)), green=GREEN)


BLOCKS = tuple(NewBlock(231 + 20 * i, 233 + 20 * i, "Run cargo clippy", f"error: new thing {i}") for i in range(12))
USED = BaselineSummary(used=True, lines=4000, new_lines=36, steps_compared=5, new_blocks=BLOCKS[:10])


def test_top_blocker_new_since_green_links_that_run_and_the_commit_range() -> None:
    md = run_sequence([compared_snapshot(True, USED)])[-1].comment_md
    assert f"🆕 New since the [last green run](<https://github.com/{REPO}/actions/runs/990>)." in md
    assert f"https://github.com/{REPO}/compare/{SHA3}...{SHA1}" in md
    assert md.index("#### Transition") < md.index("compare/") < md.index("#### Top blocker")
    assert "<details><summary>New since green (10 blocks, 36 of 4000 log lines)</summary>" in md
    assert "error: new thing 9" in md
    assert "error: new thing 10" not in md


def test_a_top_blocker_green_printed_too_says_so() -> None:
    md = run_sequence([compared_snapshot(False, USED)])[-1].comment_md
    assert "printed this line too" in md
    assert "🆕 New since" not in md


def test_a_skipped_comparison_gives_its_reason_and_no_section() -> None:
    skipped = BaselineSummary(used=False, note="no successful run of this workflow on main")
    md = run_sequence([compared_snapshot(True, skipped)])[-1].comment_md
    assert "_Not compared with the last green run: no successful run of this workflow on main._" in md
    assert "New since green" not in md


def test_the_green_run_is_kept_in_the_hidden_state() -> None:
    report = run_sequence([compared_snapshot(True, USED)])[-1]
    state, _ = decode_block(report.comment_md, "state")
    assert state is not None
    latest = state["runs"][-1]
    assert latest["green_run"]["run_id"] == 990
    assert latest["jobs"][0]["detail"]["classification"]["baseline"]["new_lines"] == 36
    assert GreenRun.from_dict(latest["green_run"]) == GREEN
    assert read_state(report.comment_md)[0].latest.green == GREEN  # type: ignore[union-attr]


def test_no_comparison_changes_nothing() -> None:
    md = run_sequence([snapshot(1001, (clippy_job(),))])[-1].comment_md
    assert "green" not in md.split("<!-- nexus:state")[0].lower()
