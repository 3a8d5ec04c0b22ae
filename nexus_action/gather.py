"""Where a report's jobs come from: the `--log` files given, or the run's failed jobs read from GitHub.

Either way the result is the same data: the run's PR, its failed jobs classified, and what could not be read.
Nothing here raises for what GitHub answered: a job list that cannot be read is a problem in the result, so
the report still goes out (saying the run failed and why its jobs are not listed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from nexus_action.classify.model import Classification
from nexus_action.config.settings import Settings
from nexus_action.github.failure import CallFailure
from nexus_action.github.green import GreenFinder
from nexus_action.github.port import RestApi
from nexus_action.github.runs import classify_jobs, gather_run, pr_evidence, usable_log
from nexus_action.report.model import FailedJob, GreenRun
from nexus_action.runner.context import RunContext

Classify = Callable[..., Classification]


@dataclass(frozen=True)
class LogArg:
    """One `--log [JOB=]PATH`: a saved log of the job named JOB (default: the file's stem)."""

    job: str
    path: Path
    refused: str | None = None  # why the file must not be read (it resolves outside the workspace)


def parse_log_args(values: Sequence[str]) -> list[LogArg]:
    """`[JOB=]PATH`; a path that itself holds `=` still works when that file exists."""
    logs = []
    for value in values:
        job, sep, path = value.partition("=")
        if sep and job.strip() and path and not Path(value).exists():
            logs.append(LogArg(job.strip(), Path(path)))
        else:
            logs.append(LogArg(Path(value).stem, Path(value)))
    return logs


@dataclass
class Gathered:
    """What the report is built from."""

    pr_number: int | None
    jobs: tuple[FailedJob, ...] = ()
    listed: bool = False  # the run's job list was read: with no failed job in it, the run is green
    list_error: str | None = None  # why the run's job list could not be read
    problems: list[CallFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    green: GreenRun | None = None  # the last green run the jobs' logs were compared with


def gather_jobs(
    api: RestApi,
    ctx: RunContext,
    settings: Settings,
    logs: Sequence[LogArg],
    classify: Classify,
    *,
    green: GreenFinder | None = None,
    log_dir: Path | None = None,
    runner_name: str | None = None,
) -> Gathered:
    """Jobs from the run on GitHub, each compared with its log in the last green run when `green` finds one (the
    run's logs downloaded to files in a scratch folder inside `log_dir`, removed once classified).

    With `--log` files: as a job's last step (`runner_name` given: on a runner, a live run with a run id), the
    run's other failed jobs are listed too and each file stands for its own job's log (`runs.gather_run`, matched
    by name, runner or matrix leg), so the report shows every failed job of the run; otherwise (a dry run, a
    laptop) only the files are classified and only the PR is looked up."""
    if logs and (runner_name is None or ctx.run_id is None or settings.dry_run):
        evidence = pr_evidence(api, ctx)
        gathered = Gathered(pr_number=evidence.pr_number, problems=list(evidence.problems))
        gathered.jobs = tuple(_classify_given(log, ctx, settings, classify, gathered.notes) for log in logs)
        return gathered
    given = {log.job: log.path for log in logs if log.refused is None}
    notes = [note for log in logs if (note := _unavailable(log))]
    run = gather_run(
        api, ctx, ignore_jobs=settings.ignore_jobs, log_dir=log_dir, given_logs=given, runner_name=runner_name or ""
    )
    gathered = Gathered(pr_number=run.pr_number, listed=run.listed, problems=list(run.problems), notes=notes)
    if run.list_failure is not None:
        failure = run.list_failure
        status = failure.status or "no answer"
        gathered.list_error = f"the run's jobs could not be read: {failure.operation} -> {status} {failure.reason}"
        gathered.notes.append(gathered.list_error)
    if green is not None and green.pr_number is None:
        green.pr_number = run.pr_number  # a fork PR's workflow_run names no PR: its report is found by head SHA
    routing = dict(settings.routing)
    try:
        gathered.jobs = classify_jobs(
            run,
            workflow=ctx.workflow,
            classify=classify,
            routing=routing,
            extra_rules=settings.extra_rules,
            green=green.log_for if green is not None else None,
        )
    finally:
        run.close()
    gathered.green = green.used if green is not None else None
    return gathered


def _classify_given(
    log: LogArg, ctx: RunContext, settings: Settings, classify: Classify, notes: list[str]
) -> FailedJob:
    """Classify one given log; a file that is missing or empty (a step before the `tee` failed) still yields the
    job, classified from its name alone and marked as having no log."""
    note = _unavailable(log)
    usable = note is None
    if note is not None:
        notes.append(note)
        source: Path | BytesIO = BytesIO(f"##[error]{log.job}: failed; its log was not available\n".encode())
    else:
        source = log.path
    c = classify(
        source,
        workflow=ctx.workflow or None,
        job=log.job,
        routing=dict(settings.routing),
        extra_rules=settings.extra_rules,
    )
    step = c.top_blocker.step if c.top_blocker else None
    return FailedJob(name=log.job, classification=c, step=step, log_available=usable)


def _unavailable(log: LogArg) -> str | None:
    """Why a given log cannot be read, said in the report (refused, or missing or empty); None when it can."""
    if log.refused is not None:
        return f"the log of job {log.job} was not available: {log.refused}"
    if usable_log(log.path) is None:
        return f"the log of job {log.job} was not available ({str(log.path)!r} is missing or empty)"
    return None
