"""The last green run: the same workflow's most recent successful run on the branch this one is measured
against, and the log of the same job in it, to compare a failed job's log with (classify's `baseline`).

The branch is the PR's base branch (what the PR will merge into), or the run's own branch for push-like
runs. The same job is the job with the same name: GitHub's job names carry the matrix values
(`test (3.12, ubuntu-latest)`), so the same name is the same matrix leg.

API calls: the run and its jobs are looked up once per workflow (2 calls), unless the PR's earlier report
used a green run that still fits (read from its hidden state: `cached`); each failed job then costs one more
call, its log. Skipped, with the reason, when the comparison is off, when there is no green run or no such
job in it, when the green run is older than `max_age_days`, or when the run's deadline is near.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from nexus_action.classify.model import BaselineSummary, Classification
from nexus_action.github.answer import as_object, field_list, objects
from nexus_action.github.failure import GitHubCallError
from nexus_action.github.port import RestApi
from nexus_action.isotime import parse_iso
from nexus_action.report.model import GreenRun
from nexus_action.runner.context import RunContext

MIN_SECONDS_LEFT = 60.0  # below this, downloading one more log could push the report past the deadline
MAX_JOB_PAGES = 3
# Events whose runs are measured against their own branch (there is no PR base to merge into).
OWN_BRANCH_EVENTS = frozenset({"push", "schedule", "workflow_dispatch", "merge_group"})


@dataclass(frozen=True)
class GreenLog:
    """What the comparison of one failed job gets: the green run and its log of the job, or why not."""

    run: GreenRun | None
    log: Path | None = None  # a temporary file, removed once the comparison has read it
    skipped: str | None = None


def green_branch(ctx: RunContext) -> str | None:
    """The PR's base branch; the run's own branch for push-like runs; else the default branch."""
    if ctx.base_branch:
        return ctx.base_branch
    run = ctx.payload.get("workflow_run") if ctx.event_name == "workflow_run" else None
    pulls = run.get("pull_requests") if isinstance(run, Mapping) else None
    if isinstance(pulls, list) and pulls and isinstance(pulls[0], Mapping):
        base = pulls[0].get("base")
        if isinstance(base, Mapping) and isinstance(base.get("ref"), str) and base["ref"]:
            return str(base["ref"])  # empty for fork PRs: GitHub leaves pull_requests out of their runs
    if ctx.event_name in OWN_BRANCH_EVENTS or (ctx.event_name == "workflow_run" and ctx.pr_number is None):
        return ctx.head_branch or None
    repository = ctx.payload.get("repository")
    default = repository.get("default_branch") if isinstance(repository, Mapping) else None
    return ctx.default_branch or (default if isinstance(default, str) and default else None)


def workflow_of(ctx: RunContext, workflow_ref: str = "") -> str | None:
    """The workflow's id (workflow_run payloads carry it), else its file name from GITHUB_WORKFLOW_REF
    (`owner/repo/.github/workflows/ci.yml@refs/heads/main`): the REST API takes either."""
    run = ctx.payload.get("workflow_run") if ctx.event_name == "workflow_run" else None
    if isinstance(run, Mapping) and isinstance(run.get("workflow_id"), int):
        return str(run["workflow_id"])
    path = workflow_ref.split("@", 1)[0]
    name = path.rsplit("/", 1)[-1]
    return name if name.endswith((".yml", ".yaml")) else None


class GreenFinder:
    """Finds the last green run once, then hands out its log of each failed job.

    `now`: this processing's time (ISO 8601 UTC; the finder has no clock). `seconds_left`: how long the
    run may still take (None: no deadline). `cached(pr_number)`: the green runs the PR's earlier reports used,
    newest first (read from its hidden state only when a job is first compared, so a run with nothing to
    compare reads nothing); the newest one looked up for this workflow and branch is used when it is young
    enough, otherwise the green run is looked up again. `pr_number`: the run's PR, when gathering found it.
    """

    def __init__(
        self,
        api: RestApi,
        ctx: RunContext,
        *,
        workflow: str | None,
        now: str,
        enabled: bool = True,
        max_age_days: int = 14,
        cached: Callable[[int], Sequence[GreenRun]] | None = None,
        seconds_left: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.api, self.ctx, self.workflow, self.now = api, ctx, workflow, now
        self.enabled, self.max_age_days, self.seconds_left = enabled, max_age_days, seconds_left
        self.branch = green_branch(ctx)
        self.cached = cached
        self.pr_number = ctx.pr_number
        self._looked_up = False
        self._run: GreenRun | None = None
        self._skipped: str | None = None

    def _too_old(self, created_at: str) -> bool:
        created, now = parse_iso(created_at), parse_iso(self.now)
        return created is None or now is None or now - created > timedelta(days=self.max_age_days)

    def _no_time(self) -> str | None:
        left = self.seconds_left()
        if left is not None and left < MIN_SECONDS_LEFT:
            return f"the run's deadline is near ({max(left, 0):.0f} s left)"
        return None

    @property
    def used(self) -> GreenRun | None:
        """The green run found so far, without looking it up (None when no job asked for its log)."""
        return self._run

    def run(self) -> tuple[GreenRun | None, str | None]:
        """The green run (None with the reason when there is none to use). At most 2 API calls, once.

        Calls: GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs,
        GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs
        """
        if not self._looked_up:
            self._looked_up = True
            self._run, self._skipped = self._look_up()
        return self._run, self._skipped

    def _look_up(self) -> tuple[GreenRun | None, str | None]:
        # Off, or nothing to look up by (a local run without GITHUB_WORKFLOW_REF): no comparison, and no note
        # under every report saying so.
        if not self.enabled or self.workflow is None or self.branch is None:
            return None, None
        no_time = self._no_time()
        if no_time:
            return None, no_time
        cached = self._from_earlier_report()
        if cached is not None:
            return cached, None
        repo = self.ctx.repository
        try:
            runs = self.api.get(
                f"/repos/{repo}/actions/workflows/{self.workflow}/runs",
                {"branch": self.branch, "status": "success", "per_page": 1, "exclude_pull_requests": "true"},
                read=_read_runs,
            )
        except GitHubCallError as err:
            return None, f"the last green run could not be looked up ({err.failure.reason})"
        found = runs[0] if runs else None
        if found is None or not isinstance(found.get("id"), int):
            return None, f"no successful run of this workflow on {self.branch}"
        created = str(found.get("created_at") or "")
        run = GreenRun(
            int(found["id"]),
            str(found.get("head_sha") or ""),
            str(found.get("html_url") or ""),
            created,
            self.branch,
            self.workflow,
        )
        if self._too_old(created):
            return None, self._old(run)
        try:
            jobs = self._jobs(run.run_id)
        except GitHubCallError as err:
            return None, f"the jobs of the last green run could not be listed ({err.failure.reason})"
        return GreenRun(run.run_id, run.head_sha, run.url, run.created_at, run.branch, run.workflow, jobs), None

    def _from_earlier_report(self) -> GreenRun | None:
        """The green run the PR's report was last compared with, when it fits this run as a lookup would find it:
        the same workflow and branch, not older than `max_age_days`, with its successful jobs. Another workflow's
        (one comment holds every workflow's runs), another branch's (the PR was retargeted) or a stale one is not
        used: by then the branch may have a newer green run."""
        if self.cached is None or self.pr_number is None:
            return None
        for run in self.cached(self.pr_number):
            if (run.workflow, run.branch) == (self.workflow, self.branch):
                return None if self._too_old(run.created_at) or not run.jobs else run
        return None

    def _old(self, run: GreenRun) -> str:
        return f"the last green run on {run.branch} ({run.created_at[:10]}) is older than {self.max_age_days} days"

    def _jobs(self, run_id: int) -> dict[str, int]:
        found: dict[str, int] = {}
        path = f"/repos/{self.ctx.repository}/actions/runs/{run_id}/jobs"
        for page in self.api.pages(path, {"filter": "latest"}, read=_read_jobs, max_pages=MAX_JOB_PAGES):
            for job in page:
                if job.get("conclusion") == "success" and isinstance(job.get("id"), int):
                    found.setdefault(str(job.get("name") or ""), int(job["id"]))
        return found

    def log_for(self, job_name: str) -> GreenLog:
        """The green run's log of the job with this name (matrix values included). One API call.

        Calls: GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs (302 -> short-lived URL)
        """
        run, skipped = self.run()
        if run is None:
            return GreenLog(None, skipped=skipped)
        job_id = run.jobs.get(job_name)
        if job_id is None:
            return GreenLog(run, skipped=f"the last green run has no successful job named {job_name!r}")
        no_time = self._no_time()
        if no_time:
            return GreenLog(run, skipped=no_time)
        # Streamed to disk like the failed jobs' logs: a green log can be as large as the failing one.
        fd, name = tempfile.mkstemp(prefix="nexus-green-", suffix=".log")
        os.close(fd)
        dest = Path(name)
        try:
            self.api.download_to(f"/repos/{self.ctx.repository}/actions/jobs/{job_id}/logs", dest)
        except GitHubCallError as err:
            dest.unlink(missing_ok=True)
            status = f"HTTP {err.failure.status}" if err.failure.status else err.failure.reason
            return GreenLog(run, skipped=f"the green run's log of {job_name!r} is gone or unreadable ({status})")
        return GreenLog(run, log=dest)


def classify_against_green(
    classify: Callable[..., Classification], log: Path | bytes, green: GreenLog | None, **kwargs: Any
) -> Classification:
    """Classify one failed job's log (a downloaded file, or bytes), compared with its green log when there is
    one; otherwise the plain classification, carrying why it was not compared (shown in the report)."""
    source = log if isinstance(log, Path) else BytesIO(log)
    if green is not None and green.log is not None:
        try:
            return classify(source, baseline=green.log, **kwargs)
        finally:
            green.log.unlink(missing_ok=True)
    result = classify(source, **kwargs)
    if green is None or green.skipped is None:
        return result
    return replace(result, baseline=BaselineSummary(used=False, note=green.skipped))


def _read_runs(data: Any) -> list[dict[str, Any]]:
    """GET .../workflows/{id}/runs: `{"total_count": n, "workflow_runs": [...]}`."""
    return objects(field_list(as_object(data, "the runs list"), "workflow_runs", required=True), "workflow_runs")


def _read_jobs(data: Any) -> list[dict[str, Any]]:
    """A page of GET .../runs/{run_id}/jobs: `{"total_count": n, "jobs": [...]}`."""
    return objects(field_list(as_object(data, "the jobs list"), "jobs", required=True), "jobs")
