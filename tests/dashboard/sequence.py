"""The 40 run attempts the dashboard golden tests replay, and the helpers that turn them into Snapshots.

The figures the tests assert were worked out by hand from this table (see test_insights.py for the working).
t is hours after 2026-11-01 00:00 UTC; a run with no jobs is green.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from nexus_action.classify.model import Blocker, Classification, agent_for
from nexus_action.dashboard.model import DashboardReport
from nexus_action.report.model import FailedJob, Snapshot

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
REPO = "octo/app"

# Five failures that recur: A rust compile, B python test (flaky), C frontend lint, D infra docker, E runner timeout.
JOB_TEMPLATES: dict[str, tuple[str, str, str, str, str]] = {
    "A": ("build", "rust", "compile", "rustc", "error[E0308]: mismatched types --> src/lib.rs:42:9"),
    "B": ("test (ubuntu)", "python", "test", "pytest", "FAILED tests/test_api.py::test_timeout - TimeoutError"),
    "C": ("lint", "frontend", "lint", "eslint", "src/app.ts:3:1 error 'x' is defined but never used no-unused-vars"),
    "D": ("docker", "infra", "docker_build", "docker_build", 'failed to solve: "/app/requirements.txt": not found'),
    "E": (
        "e2e",
        "runner",
        "timeout",
        "job_timeout",
        "The job running on runner has exceeded the maximum execution time",
    ),
}

# (run_id, attempt, workflow, branch, pr, sha, t, jobs, fix_request)
Step = tuple[int, int, str, str, "int | None", str, int, str, "str | None"]
SEQUENCE: tuple[Step, ...] = (
    (101, 1, "CI", "main", None, "s01", 0, "A", None),
    (102, 1, "CI", "main", None, "s02", 2, "A", None),
    (103, 1, "CI", "main", None, "s03", 5, "", None),
    (104, 1, "CI", "main", None, "s04", 6, "B", None),
    (104, 2, "CI", "main", None, "s04", 7, "", None),
    (105, 1, "Nightly", "main", None, "s04", 8, "E", None),
    (106, 1, "CI", "main", None, "s05", 10, "C", None),
    (106, 2, "CI", "main", None, "s05", 11, "C", None),
    (107, 1, "CI", "main", None, "s06", 13, "C", "fr-1"),
    (108, 1, "CI", "main", None, "s07", 14, "", "fr-1"),
    (109, 1, "Nightly", "main", None, "s07", 32, "", None),
    (110, 1, "Release", "release/1.x", None, "r01", 33, "D", None),
    (111, 1, "CI", "main", None, "s08", 34, "AB", None),
    (111, 2, "CI", "main", None, "s08", 35, "A", None),
    (112, 1, "CI", "main", None, "s09", 36, "", None),
    (113, 1, "Release", "release/1.x", None, "r02", 38, "D", "fr-2"),
    (114, 1, "Release", "release/1.x", None, "r03", 40, "D", "fr-3"),
    (115, 1, "Release", "release/1.x", None, "r04", 41, "", "fr-3"),
    (116, 1, "CI", "feature/x", 12, "s10", 42, "C", None),
    (116, 2, "CI", "feature/x", 12, "s10", 43, "", None),
    (117, 1, "Nightly", "main", None, "s11", 56, "E", None),
    (118, 1, "Nightly", "main", None, "s12", 80, "E", None),
    (119, 1, "Nightly", "main", None, "s13", 104, "E", None),
    (120, 1, "CI", "main", None, "s14", 60, "B", None),
    (120, 2, "CI", "main", None, "s14", 61, "", None),
    (121, 1, "CI", "main", None, "s15", 62, "A", None),
    (122, 1, "CI", "main", None, "s16", 63, "A", None),
    (123, 1, "CI", "main", None, "s17", 64, "AC", None),
    (123, 2, "CI", "main", None, "s17", 65, "AC", None),
    (123, 3, "CI", "main", None, "s17", 66, "A", None),
    (124, 1, "CI", "main", None, "s18", 70, "", None),
    (125, 1, "CI", "main", None, "s19", 72, "", None),
    (126, 1, "Release", "release/1.x", None, "r05", 73, "DE", None),
    (127, 1, "Release", "release/1.x", None, "r06", 75, "", None),
    (128, 1, "CI", "main", None, "s20", 90, "B", None),
    (129, 1, "CI", "main", None, "s21", 91, "B", None),
    (129, 2, "CI", "main", None, "s21", 92, "", None),
    (130, 1, "CI", "main", None, "s22", 100, "C", "fr-4"),
    (131, 1, "CI", "feature/y", 13, "s30", 101, "A", None),
    (132, 1, "CI", "main", None, "s23", 106, "C", None),
)
NOW = START + timedelta(hours=110)


def failed_job(letter: str, run_id: int) -> FailedJob:
    name, domain, kind, failure_type, text = JOB_TEMPLATES[letter]
    blocker = Blocker(log_line=120, text=text)
    classification = Classification(
        domain=domain,
        agent=agent_for(domain),
        kind=kind,
        failure_type=failure_type,
        confidence=0.9 if letter == "A" else 0.8,
        top_blocker=blocker,
        blockers=(blocker,),
    )
    url = f"https://github.com/{REPO}/actions/runs/{run_id}/job/{run_id * 10}#step:4:120"
    return FailedJob(name=name, classification=classification, url=url, job_id=run_id * 10, step="Run tests")


def snapshot(step: Step) -> Snapshot:
    run_id, attempt, workflow, branch, pr, sha, t, jobs, _ = step
    suffix = f"/attempts/{attempt}" if attempt > 1 else ""
    return Snapshot(
        repository=REPO,
        run_id=run_id,
        run_attempt=attempt,
        head_sha=sha.ljust(40, "0"),
        branch=branch,
        created_at=(START + timedelta(hours=t)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        jobs=tuple(failed_job(letter, run_id) for letter in jobs),
        pr_number=pr,
        run_url=f"https://github.com/{REPO}/actions/runs/{run_id}{suffix}",
        workflow=workflow,
        conclusion="failure" if jobs else "success",
    )


def replay(steps: tuple[Step, ...] | list[Step], settings: object = None, body: str | None = None) -> DashboardReport:
    """Feed each step to update_dashboard as the pipeline would, carrying the issue body from run to run."""
    from nexus_action.config.settings import Settings
    from nexus_action.dashboard import update_dashboard

    chosen = settings if isinstance(settings, Settings) else Settings(dashboard_enabled=True)
    report = None
    for step in steps:
        report = update_dashboard(body, snapshot(step), settings=chosen, now=NOW, fix_request=step[8])
        body = report.body_md
    assert report is not None
    return report
