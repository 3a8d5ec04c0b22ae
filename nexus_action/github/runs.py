"""Gather what a run left behind: failed jobs, their logs (or annotations), the PR and its changed files.

Per-job problems (a log that is not downloadable yet) are data in the result, never a crash: the job is
still reported, classified from its check-run annotations and failing step name instead.
"""

from __future__ import annotations

import fnmatch
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nexus_action.classify.model import Classification
from nexus_action.github.answer import (
    as_object,
    field_int,
    field_list,
    field_obj,
    field_opt_int,
    field_str,
    objects,
)
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
    log: Path | None  # the downloaded log, in the evidence's scratch folder
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
    # Holds the downloaded logs; removed by close(), or when the evidence is garbage-collected.
    scratch: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        """Remove the downloaded logs."""
        if self.scratch is not None:
            self.scratch.cleanup()


def read_job(data: Any) -> dict[str, Any]:
    """One job of the jobs list, checked: a numeric id, text where text belongs, steps as a list of objects."""
    job = as_object(data, "a job")
    field_int(job, "id")
    for key in ("name", "status", "conclusion", "html_url", "check_run_url"):
        field_str(job, key)
    for step in objects(field_list(job, "steps"), "the job's steps"):
        field_str(step, "name")
        field_str(step, "conclusion")
        field_opt_int(step, "number")
    return job


def read_jobs_page(data: Any) -> list[dict[str, Any]]:
    """A page of GET .../runs/{run_id}/jobs: `{"total_count": n, "jobs": [...]}`."""
    return [read_job(job) for job in field_list(as_object(data, "the jobs list"), "jobs", required=True)]


def _failing_step(job: Mapping[str, Any]) -> tuple[str | None, int | None]:
    for step in job.get("steps") or ():
        if step.get("conclusion") in FAILED_CONCLUSIONS:
            return field_str(step, "name"), field_opt_int(step, "number")
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
    for page in api.pages(path, {"filter": "latest"}, read=read_jobs_page, max_pages=MAX_JOB_PAGES):
        for job in page:
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
    path = f"/repos/{ctx.repository}/check-runs/{check_run_id}/annotations"
    return api.get(path, {"per_page": MAX_ANNOTATIONS}, read=read_annotations)


def read_annotations(data: Any) -> tuple[str, ...]:
    """Check-run annotations as `##[error]path:line: message` lines."""
    lines = []
    for item in objects(data, "the annotations"):
        level = "error" if item.get("annotation_level") == "failure" else "warning"
        path, line = field_str(item, "path"), field_opt_int(item, "start_line")
        where = f"{path}:{line}: " if path else ""
        lines.append(f"##[{level}]{where}{field_str(item, 'message')}".strip())
    return tuple(lines)


def gather_job(api: RestApi, ctx: RunContext, job: Mapping[str, Any], folder: Path) -> JobEvidence:
    """Download the job's log into a file in `folder`; when GitHub has none yet (404 while running), fall back
    to annotations.

    Calls: GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs (302 -> short-lived URL)
    """
    step, number = _failing_step(job)
    job_id = field_int(job, "id")  # checked by read_job
    url = field_str(job, "html_url") or None  # no `#step:` fragment: report.render.log_line_url adds it, once
    base = JobEvidence(job_id, field_str(job, "name") or str(job_id), url, step, number, None)
    dest = folder / f"job-{job_id}.log"
    try:
        api.download_to(f"/repos/{ctx.repository}/actions/jobs/{job_id}/logs", dest)
        return replace(base, log=dest)
    except GitHubCallError as err:
        # 404 while the job is queued or running, or an expired log: data for the report, not a crash.
        problem = CallFailure(err.failure.operation, err.failure.status, "log-unavailable", err.failure.reason)
        dest.unlink(missing_ok=True)
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
    pulls = api.get(f"/repos/{ctx.repository}/commits/{ctx.head_sha}/pulls", read=read_pulls)
    candidates = [(number, sha) for number, state, sha in pulls if state == "open"]
    # Prefer the PR whose head is exactly this commit: a commit can sit in several PRs.
    exact = [number for number, sha in candidates if sha == ctx.head_sha]
    chosen = exact or [number for number, _ in candidates]
    return chosen[0] if chosen else None


def read_pulls(data: Any) -> list[tuple[int, str, str]]:
    """(number, state, head sha) of each pull request listed."""
    return [
        (field_int(p, "number"), field_str(p, "state"), field_str(field_obj(p, "head"), "sha"))
        for p in objects(data, "the list of pull requests")
    ]


def changed_files(api: RestApi, ctx: RunContext, pr_number: int) -> list[str]:
    """Paths the PR touches, bounded to MAX_FILE_PAGES pages.

    Calls: GET /repos/{owner}/{repo}/pulls/{pull_number}/files
    """
    paths: list[str] = []
    path = f"/repos/{ctx.repository}/pulls/{pr_number}/files"
    for page in api.pages(path, read=read_files, max_pages=MAX_FILE_PAGES):
        paths.extend(page)
    return paths


def read_files(data: Any) -> list[str]:
    """The `filename` of each changed file listed."""
    return [name for name in (field_str(f, "filename") for f in objects(data, "the list of files")) if name]


def pr_evidence(api: RestApi, ctx: RunContext) -> RunEvidence:
    """Evidence holding only the run's PR (or the problem that kept us from finding it)."""
    evidence = RunEvidence(pr_number=None)
    try:
        evidence.pr_number = resolve_pr(api, ctx)
    except GitHubCallError as err:
        evidence.problems.append(err.failure)
    return evidence


def gather_run(
    api: RestApi,
    ctx: RunContext,
    *,
    ignore_jobs: Iterable[str] = (),
    log_dir: Path | None = None,
    given_logs: Mapping[str, Path] | None = None,
    runner_name: str = "",
) -> RunEvidence:
    """Everything the report needs from GitHub. Failures to read are recorded, never raised: a job list that
    cannot be read leaves `listed` False and says why in `list_failure` (given logs are still reported).

    Logs are downloaded into a new scratch folder inside `log_dir` (the system's temp folder when None).

    `given_logs` (job name -> log file): last-step mode, where this job's own log is not downloadable yet. The
    run's other failed jobs are listed too (each matrix leg by its full name), and each given log is matched to
    its listed job: by name, else the running job on this runner (`runner_name`, $RUNNER_NAME), else the one
    running matrix leg of that job id. A given log that matches nothing is reported under its own name.
    """
    evidence = pr_evidence(api, ctx)
    given = dict(given_logs or {})
    try:
        failed = list_failed_jobs(api, ctx, ignore_jobs)
    except GitHubCallError as err:
        evidence.list_failure = err.failure
        evidence.problems.append(err.failure)
        failed = []
    evidence.listed = ctx.run_id is not None and evidence.list_failure is None
    if log_dir is not None and failed:
        log_dir.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.TemporaryDirectory(prefix="nexus-logs-", dir=log_dir) if failed else None
    evidence.scratch = scratch
    mine = own_jobs(failed, given, runner_name)
    for job in failed:
        name = mine.get(int(job["id"]))
        if name is not None:
            step, number = _failing_step(job)
            url = job.get("html_url")
            evidence.jobs.append(
                JobEvidence(
                    int(job["id"]),
                    str(job.get("name") or name),
                    url if isinstance(url, str) else None,
                    step,
                    number,
                    usable_log(given[name]),
                )
            )
            continue
        folder = Path(scratch.name) if scratch is not None else Path(tempfile.gettempdir())
        gathered = gather_job(api, ctx, job, folder)
        evidence.jobs.append(gathered)
        if gathered.problem:
            evidence.problems.append(gathered.problem)
    for name in sorted(set(given) - set(mine.values())):
        evidence.jobs.append(JobEvidence(0, name, None, None, None, usable_log(given[name])))
    if evidence.pr_number is not None and evidence.jobs:
        try:
            evidence.changed_files = changed_files(api, ctx, evidence.pr_number)
        except GitHubCallError as err:
            evidence.problems.append(err.failure)
    return evidence


def usable_log(path: Path) -> Path | None:
    """A given log file; None when it is missing or empty (a step before the `tee` failed)."""
    try:
        return path if path.is_file() and path.stat().st_size > 0 else None
    except OSError:
        return None


def own_jobs(listed: list[dict[str, Any]], given: Mapping[str, Path], runner_name: str) -> dict[int, str]:
    """Which listed job each given log belongs to (job id -> given name)."""
    found: dict[int, str] = {}
    for name in given:
        running = [j for j in listed if j.get("status") != "completed" and int(j["id"]) not in found]
        exact = [j for j in listed if j.get("name") == name and int(j["id"]) not in found]
        here = [j for j in running if runner_name and j.get("runner_name") == runner_name]
        legs = [j for j in running if str(j.get("name") or "").startswith(f"{name} (")]
        chosen = exact or here or (legs if len(legs) == 1 else [])
        if chosen:
            found[int(chosen[0]["id"])] = name
    return found


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
                job_id=job.job_id or None,
                step=job.step or (classification.top_blocker.step if classification.top_blocker else None),
                step_number=job.step_number,
                log_available=job.log is not None,
            )
        )
    return tuple(jobs)
