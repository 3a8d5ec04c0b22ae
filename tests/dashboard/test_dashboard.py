"""The dashboard issue over the 40-run sequence (golden), its bounds, de-duplication and sanitising."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

from nexus_action.classify.model import Blocker, Classification
from nexus_action.config.settings import Settings
from nexus_action.dashboard import (
    BODY_BUDGET,
    BODY_LIMIT,
    build_report,
    has_open_failure,
    read_records,
    update_dashboard,
)
from nexus_action.dashboard.model import DashboardReport, record_from_snapshot
from nexus_action.dashboard.render import DASHBOARD_MARKER, duration
from nexus_action.report.model import FailedJob, Snapshot
from nexus_action.report.state import encode_block
from tests.dashboard.sequence import NOW, SEQUENCE, Step, replay, snapshot

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "dashboard"


def failure(run_id: int, t: int, jobs: str = "A", attempt: int = 1, branch: str = "main") -> Step:
    return (run_id, attempt, "CI", branch, None, f"x{run_id}", t, jobs, None)


def test_golden_body_and_state() -> None:
    """Regenerate with `.venv/bin/python scripts/regen_dashboard.py` and review the diff."""
    report = replay(SEQUENCE)
    assert report.body_md == (GOLDEN / "sequence40.dashboard.md").read_text(encoding="utf-8")
    assert report.state == json.loads((GOLDEN / "sequence40.state.json").read_text(encoding="utf-8"))


def test_rows_newest_first_with_what_became_of_each_run() -> None:
    entries = replay(SEQUENCE).entries
    assert [e.record.run_id for e in entries[:5]] == [132, 119, 131, 130, 129]
    assert Counter(e.status for e in entries) == {"green-since": 14, "failing": 6, "passed-on-rerun": 4}
    by_run = {e.record.run_id: e for e in entries}
    assert by_run[129].green_run.key == (129, 2)  # type: ignore[union-attr]
    assert by_run[128].status == "green-since"
    assert by_run[128].green_run.key == (129, 2)  # type: ignore[union-attr]
    assert by_run[105].green_run.run_id == 109  # type: ignore[union-attr]  # Nightly, not CI's green
    assert by_run[117].status == "failing"  # Nightly never went green again
    assert by_run[131].record.target == "PR #13"


def test_body_shows_links_jobs_domain_and_blocker() -> None:
    body = replay(SEQUENCE).body_md
    assert body.startswith(DASHBOARD_MARKER + "\n## CI failure dashboard\n")
    row = next(line for line in body.splitlines() if "[#123 (attempt 3)]" in line)
    assert "(https://github.com/octo/app/actions/runs/123/attempts/3)" in row
    # `-->` is made inert by redaction (a zero-width space), so log text can never close an HTML comment.
    assert "| build | rust | `error[E0308]: mismatched types --\u200b> src/lib.rs:42:9` |" in row
    assert "✅ green since [#124](https://github.com/octo/app/actions/runs/124)" in row
    assert "| Time to fix, mean / p50 | 5h 16m / 2h |" in body
    assert "| Retries per recovery | 0.73 |" in body


def test_the_same_attempt_twice_changes_nothing() -> None:
    doubled = [step for step in SEQUENCE for _ in range(2)]
    assert replay(doubled).body_md == replay(SEQUENCE).body_md


def test_rerun_attempts_show_as_one_row_with_the_latest_failed_attempt() -> None:
    report = replay([failure(7, 0, "A"), failure(7, 1, "AB", attempt=2), failure(7, 2, "B", attempt=3)])
    assert len(report.entries) == 1
    entry = report.entries[0]
    assert (entry.record.attempt, entry.attempts, [j.name for j in entry.record.jobs]) == (3, 3, ["test (ubuntu)"])
    assert len(report.records) == 3  # every attempt still counts for the insights


def test_at_most_30_rows_newest_first() -> None:
    report = replay([failure(1000 + i, i) for i in range(45)])
    assert len(report.entries) == 30
    assert [e.record.run_id for e in report.entries][:2] == [1044, 1043]
    assert report.entries[-1].record.run_id == 1015
    assert len(report.records) == 45
    assert "Latest 30 failed runs" in report.body_md


def noise(*parts: object) -> str:
    """Incompressible text, so the hidden state cannot shrink its way under the budget."""
    return "".join(hashlib.sha256(repr((parts, k)).encode()).hexdigest() for k in range(4))


def huge_run(i: int, *, names: str) -> Snapshot:
    """A 20-job matrix failure with 300-character workflow names and a distinct blocker per job."""
    base = snapshot(failure(5000 + i, i, "ABCDE"))
    jobs = tuple(
        replace(
            j,
            name=noise("job", i, k, j.name)[:120]
            if names == "noise"
            else f"{j.name} (ubuntu-24.04, py3.{k + 9}, shard {k}/4)",
            classification=replace(j.classification, top_blocker=Blocker(1, "error: " + noise("blocker", i, k))),
        )
        for k in range(4)
        for j in base.jobs
    )
    return replace(base, jobs=jobs, workflow="W" * 300)


def feed(runs: list[Snapshot]) -> DashboardReport:
    """The worst single update: a full window of records already kept, then one more run through the body."""
    records = sorted((record_from_snapshot(r) for r in runs[:-1]), key=lambda r: r.order, reverse=True)
    body = build_report(records, title="T" * 300, now=NOW).body_md
    return update_dashboard(body, runs[-1], settings=Settings(dashboard_title="T" * 300), now=NOW)


def test_heavy_matrix_failures_keep_30_rows_under_the_limit() -> None:
    report = feed([huge_run(i, names="matrix") for i in range(160)])
    assert len(report.body_md) <= BODY_BUDGET < BODY_LIMIT
    assert len(report.entries) == 30
    assert "+16 more" in report.body_md
    assert report.insights["failed_jobs"] == 20 * len(report.records)
    assert read_records(report.body_md)[0] == report.records


def test_incompressible_input_still_fits_and_says_what_it_dropped() -> None:
    report = feed([huge_run(i, names="noise") for i in range(160)])
    assert len(report.body_md) <= BODY_BUDGET
    assert len(report.records) < 150
    assert (
        report.warnings[-1]
        == f"dashboard kept the newest {len(report.records)} run attempts to stay under 60000 characters"
    )
    assert read_records(report.body_md)[0] == report.records


def test_log_text_is_sanitised() -> None:
    token = "ghp_" + "a" * 36
    base = snapshot(failure(9, 0))
    job = FailedJob(
        name="deploy @octo/ops",
        classification=Classification(
            domain="infra", kind="deploy", top_blocker=Blocker(3, f"auth failed for {token} -->| <!-- nexus:x")
        ),
    )
    body = update_dashboard(None, replace(base, jobs=(job,)), settings=Settings(), now=NOW).body_md
    assert token not in body
    assert "@octo/ops" not in body
    assert "-->|" not in body
    assert body.count("<!-- nexus:") == 2  # our visible marker and our state block, nothing forged


def test_corrupt_or_foreign_state_starts_fresh_with_a_warning() -> None:
    broken = encode_block("dashboard", {"version": 1, "runs_z": "bm90IHpsaWI="})
    report = update_dashboard(broken, snapshot(SEQUENCE[0]), settings=Settings(), now=NOW)
    assert [r.run_id for r in report.records] == [101]
    assert any("corrupt" in w for w in report.warnings)
    future = encode_block("dashboard", {"version": 99, "runs": []})
    assert any("starting fresh" in w for w in read_records(future)[1])


def test_has_open_failure_tells_the_pipeline_a_green_run_is_a_recovery() -> None:
    body = replay(SEQUENCE).body_md
    green = snapshot((200, 1, "Nightly", "main", None, "s99", 110, "", None))
    assert has_open_failure(body, green, settings=Settings())
    other_branch = replace(green, branch="release/1.x")
    assert not has_open_failure(body, other_branch, settings=Settings())
    assert not has_open_failure(None, green, settings=Settings())


def test_durations() -> None:
    assert [duration(s) for s in (None, 40, 2700, 7200, 18982, 90000, 86400)] == [
        "—",
        "40s",
        "45m",
        "2h",
        "5h 16m",
        "1d 1h",
        "1d",
    ]
