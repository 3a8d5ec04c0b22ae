"""Gather what a run left behind: failed jobs, their logs (or annotations), the PR and its changed files.

Per-job problems (a log that is not downloadable yet) are data in the result, never a crash: the job is
still reported, classified from its check-run annotations and failing step name instead.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from nexus_action.classify.model import Classification
from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.green import GreenLog, classify_against_green
from nexus_action.github.port import RestApi
from nexus_action.report.model import FailedJob
from nexus_action.runner.context import RunContext

# A failed job's conclusion; "cancelled" is left out: it is usually fail-fast fallout, not a cause.
FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "startup_failure"})
MAX_JOB_PAGES = 10
# 3 pages x 100 files is plenty as a routing signal, and bounds the calls on huge PRs.
MAX_FILE_PAGES = 3
MAX_ANNOTATIONS = 50  # GitHub keeps at most 50 per job anyway

Classifier = Callable[..., Classification]


@dataclass(frozen=True)
class JobEvidence:
    """One failed job and what could be read about it."""

    job_id: int
    name: str
    url: str | None
    step: str | None
    step_number: int | None
    log: bytes | None
    annotations: tuple[str, ...] = ()
    problem: CallFailure | None = None  # why the log is missing (NEXUS-LOG-UNAVAILABLE)


@dataclass
class RunEvidence:
    pr_number: int | None
    jobs: list[JobEvidence] = field(default_factory=list)
    changed_files: list[str] = field(default_factory=list)
    problems: list[CallFailure] = field(default_factory=list)
    listed: bool = False  # the run's job list was read (so "no failed job" is a fact, not a gap)
    list_failure: CallFailure | None = None  # why it could not be read


def _failing_step(job: Mapping[str, Any]) -> tuple[str | None, int | None]:
    for step in job.get("steps") or ():
        if isinstance(step, dict) and step.get("conclusion") in FAILED_CONCLUSIONS:
            number = step.get("number")
            return str(step.get("name") or ""), number if isinstance(number, int) else None
    return None, None


def _has_failed(job: Mapping[str, Any]) -> bool:
    if job.get("status") == "completed":
        return job.get("conclusion") in FAILED_CONCLUSIONS
    # Still running with a failed step: the action runs as the last step of a failing job (`if: failure()`).
    # Its log is not downloadable yet (404), so it is reported from its annotations and step name.
    return _failing_step(job)[0] is not None


def list_failed_jobs(api: RestApi, ctx: RunContext, ignore_jobs: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Jobs of the latest attempt that failed (or are failing), minus ignored ones.

    Calls: GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs
    """
    if ctx.run_id is None:
        return []
    patterns = tuple(ignore_jobs)
    found: list[dict[str, Any]] = []
    path = f"/repos/{ctx.repository}/actions/runs/{ctx.run_id}/jobs"
    for page in api.pages(path, {"filter": "latest"}, max_pages=MAX_JOB_PAGES):
        jobs = page.get("jobs") if isinstance(page, dict) else None
        if not isinstance(jobs, list) or not all(isinstance(job, dict) for job in jobs):
            # An answer we cannot read is not "no failed jobs": a run must never be called green on it.
            reason = "the answer is not a list of jobs"
            raise GitHubCallError(CallFailure(f"GET {path}", 200, "invalid", reason))
        for job in jobs:
            if not _has_failed(job):
                continue
            if any(fnmatch.fnmatchcase(str(job.get("name") or ""), p) for p in patterns):
                continue
            found.append(job)
    return found


def job_annotations(api: RestApi, ctx: RunContext, job: Mapping[str, Any]) -> tuple[str, ...]:
    """The job's check-run annotations as `##[error]path:line: message` lines (capped by GitHub at 50).

    Calls: GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations
    """
    check_run_id = str(job.get("check_run_url") or "").rstrip("/").rsplit("/", 1)[-1] or str(job.get("id"))
    data = api.get(f"/repos/{ctx.repository}/check-runs/{check_run_id}/annotations", {"per_page": MAX_ANNOTATIONS})
    lines = []
    for item in data if isinstance(data, list) else ():
        level = "error" if item.get("annotation_level") == "failure" else "warning"
        where = f"{item.get('path')}:{item.get('start_line')}: " if item.get("path") else ""
        lines.append(f"##[{level}]{where}{item.get('message') or ''}".strip())
    return tuple(lines)


def gather_job(api: RestApi, ctx: RunContext, job: Mapping[str, Any]) -> JobEvidence:
    """Download the job's log; when GitHub has none yet (404 while running), fall back to annotations.

    Calls: GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs (302 -> short-lived URL)
    """
    step, number = _failing_step(job)
    job_id = int(job["id"])
    url = job.get("html_url")  # no `#step:` fragment: report.render.log_line_url adds it, once
    base = JobEvidence(
        job_id, str(job.get("name") or job_id), url if isinstance(url, str) else None, step, number, None
    )
    try:
        return replace(base, log=api.download(f"/repos/{ctx.repository}/actions/jobs/{job_id}/logs"))
    except GitHubCallError as err:
        # 404 while the job is queued or running, or an expired log: data for the report, not a crash.
        problem = CallFailure(err.failure.operation, err.failure.status, "log-unavailable", err.failure.reason)
    try:
        annotations = job_annotations(api, ctx, job)
    except GitHubCallError:
        annotations = ()
    return replace(base, annotations=annotations, problem=problem)


def resolve_pr(api: RestApi, ctx: RunContext) -> int | None:
    """The PR of this run: from the payload, else by head SHA (fork PRs under workflow_run come empty).

    Calls: GET /repos/{owner}/{repo}/commits/{sha}/pulls
    """
    if ctx.pr_number is not None:
        return ctx.pr_number
    if not ctx.head_sha or ctx.event_name == "schedule":
        return None
    pulls = api.get(f"/repos/{ctx.repository}/commits/{ctx.head_sha}/pulls")
    items = pulls if isinstance(pulls, list) else []
    candidates = [p for p in items if isinstance(p, dict) and p.get("state") == "open"]
    # Prefer the PR whose head is exactly this commit: a commit can sit in several PRs.
    exact = [p for p in candidates if (p.get("head") or {}).get("sha") == ctx.head_sha]
    chosen = exact or candidates
    return int(chosen[0]["number"]) if chosen else None


def changed_files(api: RestApi, ctx: RunContext, pr_number: int) -> list[str]:
    """Paths the PR touches, bounded to MAX_FILE_PAGES pages.

    Calls: GET /repos/{owner}/{repo}/pulls/{pull_number}/files
    """
    paths: list[str] = []
    for page in api.pages(f"/repos/{ctx.repository}/pulls/{pr_number}/files", max_pages=MAX_FILE_PAGES):
        paths.extend(str(f.get("filename")) for f in page if isinstance(f, dict) and f.get("filename"))
    return paths


def pr_evidence(api: RestApi, ctx: RunContext) -> RunEvidence:
    """Evidence holding only the run's PR (or the problem that kept us from finding it)."""
    evidence = RunEvidence(pr_number=None)
    try:
        evidence.pr_number = resolve_pr(api, ctx)
    except GitHubCallError as err:
        evidence.problems.append(err.failure)
    return evidence


def gather_run(api: RestApi, ctx: RunContext, *, ignore_jobs: Iterable[str] = ()) -> RunEvidence:
    """Everything the report needs from GitHub. Failures to read are recorded, never raised: a job list that
    cannot be read leaves `listed` False and says why in `list_failure`."""
    evidence = pr_evidence(api, ctx)
    try:
        failed = list_failed_jobs(api, ctx, ignore_jobs)
    except GitHubCallError as err:
        evidence.list_failure = err.failure
        evidence.problems.append(err.failure)
        return evidence
    evidence.listed = ctx.run_id is not None
    for job in failed:
        gathered = gather_job(api, ctx, job)
        evidence.jobs.append(gathered)
        if gathered.problem:
            evidence.problems.append(gathered.problem)
    if evidence.pr_number is not None and evidence.jobs:
        try:
            evidence.changed_files = changed_files(api, ctx, evidence.pr_number)
        except GitHubCallError as err:
            evidence.problems.append(err.failure)
    return evidence


def annotation_log(job: JobEvidence) -> bytes:
    """A stand-in log built from what GitHub still tells us when the real log is not downloadable."""
    lines = [f"##[group]Run {job.step}"] if job.step else []
    lines += list(job.annotations) or [f"##[error]{job.name}: step {job.step or '?'} failed (log not available)"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def classify_jobs(
    evidence: RunEvidence,
    *,
    workflow: str,
    classify: Classifier,
    routing: Mapping[str, str] | None = None,
    extra_rules: Iterable[Mapping[str, Any]] = (),
    green: Callable[[str], GreenLog] | None = None,
) -> tuple[FailedJob, ...]:
    """Classify each gathered job: from its log, or from annotations + step name when the log is missing.

    `green(job name)`: that job's log in the last green run (GreenFinder.log_for), to compare the log with.
    """
    jobs = []
    for job in evidence.jobs:
        source = job.log if job.log is not None else annotation_log(job)
        classification = classify_against_green(
            classify,
            source,
            green(job.name) if green is not None and job.log is not None else None,
            workflow=workflow,
            job=job.name,
            step=job.step,
            changed_files=evidence.changed_files,
            routing=routing,
            extra_rules=extra_rules,
        )
        jobs.append(
            FailedJob(
                name=job.name,
                classification=classification,
                url=job.url,
                job_id=job.job_id,
                step=job.step,
                step_number=job.step_number,
                log_available=job.log is not None,
            )
        )
    return tuple(jobs)
