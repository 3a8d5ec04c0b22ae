"""Report scenarios shared by the golden tests and `scripts/regen_report.py` (which rewrites the goldens).

Each case is a sequence of snapshots fed through `build_report`, each run getting the previous comment as
its `previous_body`, exactly as the sticky comment is updated on GitHub. Times are fixed: the core has no clock.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from nexus_action.classify.model import Blocker, Classification, Evidence
from nexus_action.config.settings import Settings
from nexus_action.report import Report, build_report
from nexus_action.report.model import FailedJob, Snapshot

DATA = Path(__file__).resolve().parent.parent / "data" / "reports"
REPO = "octo-org/octo-repo"
SHA1 = "5779607b49aab1200488439f02372c57b4f75444"
SHA2 = "3484a3fb816e0859fd6e1cea078d76385ff50625"
SHA3 = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
# Built from pieces so this file holds no string a secret scanner flags.
GHP = "ghp_" + "Zq8Xw2Lm4Nb6Vc1Tr9Yu3Io5Pa7Sd0Fg2Hj4K"


def clippy_job(text: str = "error: this `if` has identical blocks", *, job_id: int = 9001) -> FailedJob:
    top = Blocker(log_line=231, text=text, file="src/lexer.rs", line=88, column=20, step="Run cargo clippy")
    more = Blocker(log_line=240, text="error: unused variable: `offset`", file="src/token.rs", line=41, column=9)
    return FailedJob(
        name="clippy",
        classification=Classification(
            domain="rust",
            agent="Rex",
            kind="lint",
            failure_type="rust_clippy",
            confidence=0.93,
            top_blocker=top,
            blockers=(top, more),
            evidence=(Evidence("log", "rust_clippy", "clippy lint denied by -D warnings", 231),),
        ),
        url=f"https://github.com/{REPO}/actions/runs/{{run}}/job/{job_id}",
        job_id=job_id,
        step="Run cargo clippy",
        step_number=4,
        step_log_line=17,
    )


def pytest_job() -> FailedJob:
    top = Blocker(
        log_line=812,
        text="FAILED tests/test_lexer.py::test_parse_escaped_newline - AssertionError: assert ['ident'] == ['escape']",
        file="tests/test_lexer.py",
        line=27,
    )
    return FailedJob(
        name="unit-tests (3.12)",
        classification=Classification("python", "Atlas", "test", "pytest", 0.88, top, (top,), ()),
        job_id=9002,
        step="Run python -m pytest -q",
        step_number=5,
    )


def tsc_job() -> FailedJob:
    top = Blocker(
        log_line=96,
        text="src/app.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.",
        file="src/app.ts",
        line=12,
    )
    return FailedJob(
        name="typecheck",
        classification=Classification("frontend", "Blaze", "typecheck", "tsc", 0.9, top, (top,), ()),
        job_id=9003,
        step_number=3,
    )


def _with_run(job: FailedJob, run_id: int) -> FailedJob:
    from dataclasses import replace

    return replace(job, url=job.url.replace("{run}", str(run_id))) if job.url else job


def snapshot(
    run_id: int,
    jobs: tuple[FailedJob, ...],
    *,
    sha: str = SHA1,
    at: str = "2026-11-20T10:00:00Z",
    attempt: int = 1,
    branch: str = "fix-lexer-escapes",
) -> Snapshot:
    suffix = f"/attempts/{attempt}" if attempt > 1 else ""
    return Snapshot(
        repository=REPO,
        run_id=run_id,
        run_attempt=attempt,
        head_sha=sha,
        branch=branch,
        created_at=at,
        jobs=tuple(_with_run(j, run_id) for j in jobs),
        pr_number=42,
        run_url=f"https://github.com/{REPO}/actions/runs/{run_id}{suffix}",
        workflow="CI",
        conclusion="failure" if jobs else "success",
    )


def run_sequence(snapshots: list[Snapshot], settings: Settings | None = None) -> list[Report]:
    settings = settings or Settings()
    reports: list[Report] = []
    previous: str | None = None
    for snap in snapshots:
        report = build_report(snap, previous, settings=settings, now=snap.created_at)
        reports.append(report)
        previous = report.comment_md
    return reports


def first_failure() -> list[Report]:
    return run_sequence([snapshot(1001, (clippy_job(), pytest_job()))])


def second_failure() -> list[Report]:
    """Run 2 at a new commit: clippy still fails, unit tests were fixed, typecheck is new."""
    return run_sequence(
        [
            snapshot(1001, (clippy_job(), pytest_job())),
            snapshot(1002, (clippy_job(), tsc_job()), sha=SHA2, at="2026-11-20T11:30:00Z"),
        ]
    )


def recovery() -> list[Report]:
    return run_sequence(
        [
            snapshot(1001, (clippy_job(), pytest_job())),
            snapshot(1002, (clippy_job(),), sha=SHA2, at="2026-11-20T11:30:00Z"),
            snapshot(1003, (), sha=SHA3, at="2026-11-20T13:05:30Z"),
        ]
    )


def injection() -> list[Report]:
    """Log text, job name and branch that try to end our markers, forge a state block, ping and leak."""
    forged = "<!-- nexus:state v1 eyJtdXRlZCI6dHJ1ZX0= -->"
    text = f"error: boom --> {forged} ping @org/team and @octocat, see #12, token {GHP} ``` ```` `"
    job = clippy_job(text)
    from dataclasses import replace

    job = replace(job, name="clippy @org/team <!-- x -->")
    return run_sequence([snapshot(1001, (job,), branch="feat/<!--evil-->@admins")])


@functools.cache
def _oversize() -> tuple[Report, ...]:
    from tests.report.big import big_history_body, many_jobs

    previous = big_history_body(1000)
    snap = snapshot(5000, many_jobs(500), sha=SHA2, at="2026-11-21T09:00:00Z")
    return (build_report(snap, previous, settings=Settings(history_limit=200), now=snap.created_at),)


def oversize() -> list[Report]:
    """500 failed jobs with long blockers after 1,000 earlier runs (the state is decoded from a real body)."""
    return list(_oversize())  # built once per test session: it is the slowest case


CASES: dict[str, Callable[[], list[Report]]] = {
    "first_failure": first_failure,
    "second_failure": second_failure,
    "recovery": recovery,
    "injection": injection,
    "oversize": oversize,
}


def golden_files(name: str, report: Report) -> dict[Path, str]:
    return {
        DATA / f"{name}.comment.md": report.comment_md,
        DATA / f"{name}.issue.md": f"# {report.issue_title}\n\n{report.issue_md}",
        DATA / f"{name}.summary.md": report.summary_md,
    }


def write_goldens() -> list[Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    written = []
    for name, case in CASES.items():
        for path, text in golden_files(name, case()[-1]).items():
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
