"""Snapshots for the webhook tests: small, typical, oversized and hostile. Built in code, no I/O."""

from __future__ import annotations

import pytest

from nexus_action.classify.model import Blocker, Classification
from nexus_action.report.model import FailedJob, Snapshot

# Built from pieces so this file holds nothing a secret scanner flags.
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
WEBHOOK = "https://hooks.slack.com/services/" + "T0AAAAAAA/B0BBBBBBB/" + "c" * 24


def job(
    name: str,
    text: str,
    *,
    domain: str = "rust",
    kind: str = "lint",
    failure_type: str = "rust_clippy",
    file: str | None = "src/lib.rs",
    line: int | None = 12,
    log_line: int = 340,
    job_id: int = 1001,
    confidence: float = 0.9,
) -> FailedJob:
    blocker = Blocker(log_line=log_line, text=text, file=file, line=line, column=5, step="cargo clippy")
    return FailedJob(
        name=name,
        classification=Classification(
            domain=domain,
            agent={"rust": "Rex", "frontend": "Blaze"}.get(domain, "Atlas"),
            kind=kind,
            failure_type=failure_type,
            confidence=confidence,
            top_blocker=blocker,
            blockers=(blocker,),
        ),
        url=f"https://github.com/octo-org/web-app/actions/runs/9001/job/{job_id}",
        job_id=job_id,
        step="cargo clippy",
        step_number=4,
    )


def snapshot(*jobs: FailedJob, pr: int | None = 42, **kw: object) -> Snapshot:
    fields: dict[str, object] = {
        "repository": "octo-org/web-app",
        "run_id": 9001,
        "run_attempt": 2,
        "head_sha": "a" * 40,
        "branch": "feature/login",
        "created_at": "2026-11-21T23:00:00Z",
        "jobs": tuple(jobs),
        "pr_number": pr,
        "run_url": "https://github.com/octo-org/web-app/actions/runs/9001",
        "workflow": "CI",
        # What the run said: with no failed job, the run went green (a failed run says failure).
        "conclusion": "failure" if jobs else "success",
    }
    fields.update(kw)
    return Snapshot(**fields)  # type: ignore[arg-type]


def small() -> Snapshot:
    return snapshot(job("clippy", "error: this `if` has identical blocks"))


def typical() -> Snapshot:
    return snapshot(
        job("clippy", "error: this `if` has identical blocks", job_id=1),
        job(
            "frontend / tsc",
            "src/app.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
            domain="frontend",
            kind="typecheck",
            failure_type="tsc",
            file="src/app.ts",
            line=3,
            job_id=2,
            confidence=0.8,
        ),
        job(
            "tests (3.12)",
            "FAILED tests/test_api.py::test_login - AssertionError: assert 401 == 200",
            domain="python",
            kind="test",
            failure_type="pytest",
            file="tests/test_api.py",
            line=None,
            job_id=3,
            confidence=0.7,
        ),
        job(
            "docker", "ERROR: failed to solve: process did not complete", domain="infra", kind="docker_build", job_id=4
        ),
        pr=None,
        branch="main",
    )


def oversized() -> Snapshot:
    """500 failed jobs, each with a 10 kB blocker: far past every receiver's limit before shortening."""
    big = ("error[E0308]: mismatched types expected `u32`, found `&str` <tag> & *bold* " * 150)[:10_000]
    return snapshot(*(job(f"matrix job {i} / {'x' * 60}", big, job_id=10_000 + i) for i in range(500)))


def hostile() -> Snapshot:
    """Names and text that try to ping, link, format or leak."""
    text = (
        f"<!channel> <@U123> @octocat fixes #12 *bold* _it_ ~s~ `tick` ```fence``` [x](https://evil.example) "
        f"token={TOKEN} posting to {WEBHOOK} <script>alert(1)</script> & done"
    )
    return snapshot(
        job("*[click](https://evil.example)* <!here> `job`", text, job_id=7),
        workflow="CI <!everyone>",
        branch="feat/*x*_y_~z~",
    )


SNAPSHOTS = {"small": small, "typical": typical, "oversized": oversized, "hostile": hostile}


@pytest.fixture(params=sorted(SNAPSHOTS))
def any_snapshot(request: pytest.FixtureRequest) -> Snapshot:
    return SNAPSHOTS[request.param]()
