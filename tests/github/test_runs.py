"""Gathering a run on the live stand-in: which jobs count as failed, and the fallbacks when logs are missing."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus_action.config.settings import Settings
from nexus_action.github.client import GitHubApi, connect
from nexus_action.github.runs import RunEvidence, annotation_log, gather_run
from nexus_action.runner.context import RunContext
from tests.fakegithub.scenarios import LOG, REPO, SHA
from tests.fakegithub.server import FakeGitHub

RUN = 77


@pytest.fixture
def app() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    fake.start()
    yield fake
    fake.stop()


CTX = RunContext(event_name="push", repository=REPO, run_id=RUN, head_sha=SHA)


def _api(app: FakeGitHub) -> GitHubApi:
    return connect(
        Settings(github_token="t"), app.base_url, sleep=lambda s: None, clock=lambda: 0.0, random_fn=lambda: 0.0
    )


def gather(app: FakeGitHub, ignore: tuple[str, ...] = ()) -> RunEvidence:
    return gather_run(_api(app), CTX, ignore_jobs=ignore)


def test_which_jobs_are_reported(app: FakeGitHub) -> None:
    app.add_job(RUN, "lint", "failure", log=LOG)
    app.add_job(RUN, "e2e", "timed_out", log=b"timeout\n")
    app.add_job(RUN, "deploy", "cancelled", log=b"cancelled\n")  # fail-fast fallout, not a cause
    app.add_job(RUN, "build", "success", log=b"ok\n")
    app.add_job(RUN, "docs (optional)", "failure", log=b"x\n")
    evidence = gather(app, ignore=("docs*",))
    assert [j.name for j in evidence.jobs] == ["lint", "e2e"]
    assert evidence.jobs[0].log is not None
    assert evidence.jobs[0].log.read_bytes() == LOG
    # The job URL carries no fragment: the report adds `#step:N:line` once (report.render.log_line_url).
    assert "#" not in evidence.jobs[0].url
    assert evidence.jobs[0].step_number == 2


def test_the_running_job_with_a_failed_step_is_reported_from_annotations(app: FakeGitHub) -> None:
    job_id = app.add_job(RUN, "test", "failure", log=None, step="Run pytest")
    job = app.jobs[RUN][0]
    job.update(status="in_progress", conclusion=None)  # the action is this job's last step
    app.add_job(RUN, "reporter", "", log=None)  # running, nothing failed: not reported
    app.annotations[job_id] = [
        {"path": "t/test_x.py", "start_line": 3, "annotation_level": "failure", "message": "assert 1 == 2"}
    ]
    evidence = gather(app)
    [found] = evidence.jobs
    assert found.log is None
    assert found.problem.code == "NEXUS-LOG-UNAVAILABLE"
    assert found.problem.status == 404
    text = annotation_log(found).decode()
    assert "##[group]Run Run pytest" in text
    assert "##[error]t/test_x.py:3: assert 1 == 2" in text


def test_no_annotations_still_names_the_failed_step(app: FakeGitHub) -> None:
    app.add_job(RUN, "build", "failure", log=None, step="Compile")
    evidence = gather(app)
    text = annotation_log(evidence.jobs[0]).decode()
    assert "build: step Compile failed (log not available)" in text


def test_the_log_is_fetched_from_storage_without_the_token(app: FakeGitHub) -> None:
    app.add_job(RUN, "lint", "failure", log=LOG)
    evidence = gather(app)
    assert evidence.jobs[0].log is not None
    assert evidence.jobs[0].log.read_bytes() == LOG
    blob = [p for _, p in app.seen if p.startswith("/_blobs/")]
    assert blob  # fetched from the redirect target, outside the API prefix
    assert not [p for p in app.with_token if p.startswith("/_blobs/")]
    assert any(p.endswith("/logs") for p in app.with_token)


def test_logs_are_streamed_to_files_under_the_given_folder_and_removed_on_close(
    app: FakeGitHub, tmp_path: Path
) -> None:
    app.add_job(RUN, "lint", "failure", log=LOG)
    evidence = gather_run(_api(app), CTX, log_dir=tmp_path / "out")
    log = evidence.jobs[0].log
    assert log is not None
    assert log.is_relative_to(tmp_path / "out")
    assert log.read_bytes() == LOG
    evidence.close()
    assert not log.exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_a_download_keeps_memory_flat_and_stops_at_its_size_cap(app: FakeGitHub, tmp_path: Path) -> None:
    body = b"2024-05-01T12:00:00.0000000Z compiling a line of ordinary build output\n" * 200_000  # 14 MB
    app.add_job(RUN, "build", "failure", log=body)
    api = _api(app)
    job = app.jobs[RUN][0]
    dest = tmp_path / "job.log"
    tracemalloc.start()
    try:
        written = api.download_to(f"/repos/{REPO}/actions/jobs/{job['id']}/logs", dest, max_bytes=10_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == 10_000_000
    assert dest.read_bytes() == body[:10_000_000]  # the head: line numbers stay true
    assert peak < 2_000_000  # a few read buffers, never the body
