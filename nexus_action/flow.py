"""The main job, top to bottom: context -> guards -> gather -> classify -> build report -> deliver -> write.

A dry run and a live run go through this one function. They differ only in the parts handed in:
- the channel set (`channels.live_channels`: the real GitHub and webhook; `channels.dry_run_channels`: a GitHub
  held in memory that answers from `--previous` and records what would have been sent, for `plan.json`);
- the source of jobs (`gather.gather_jobs`: the `--log` files when given, else the run's jobs on GitHub).
Whatever GitHub answers, the full report ends up in the step summary and the `--out` folder, with a Delivery
section saying which channel carried it, or why none did.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from nexus_action.channels import Channels, dry_run_channels, live_channels
from nexus_action.classify.model import Classification
from nexus_action.config.settings import WEBHOOK_FORMATS, Settings, require_token
from nexus_action.delivery import DeliveryOutcome, deliver_report
from nexus_action.errors import NexusError
from nexus_action.gather import Gathered, LogArg, gather_jobs, parse_log_args
from nexus_action.github.earlier import EarlierListing, EarlierReport
from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.green import GreenFinder, workflow_of
from nexus_action.guards import filter_jobs, fix_request_id, should_process
from nexus_action.isotime import format_iso, parse_iso
from nexus_action.logs.paths import outside_logs
from nexus_action.report import Report, build_report
from nexus_action.report.model import Snapshot
from nexus_action.runner.context import RunContext
from nexus_action.runner.io import RunnerIO, report_dir
from nexus_action.runner.load import RunFlags, report_context
from nexus_action.runner.out_folder import OutFolder, overview

Classify = Callable[..., Classification]
FAILED_RUN = frozenset({"failure", "timed_out", "startup_failure"})


@dataclass(frozen=True)
class ReportRequest:
    """What `nexus-autofix report` was asked to do."""

    flags: RunFlags = field(default_factory=RunFlags)
    logs: tuple[str, ...] = ()  # `--log [JOB=]PATH` values
    previous: str | None = None  # path of an earlier body (or GitHub's comment JSON) for a dry run
    out: str | None = None
    dry_run: bool = False
    print_what: str = "none"

    @classmethod
    def of(cls, parsed: Any) -> ReportRequest:
        return cls(
            flags=RunFlags.of(parsed),
            logs=tuple(getattr(parsed, "log", None) or ()),
            previous=getattr(parsed, "previous", None),
            out=getattr(parsed, "out", None),
            dry_run=bool(getattr(parsed, "dry_run", False)),
            print_what=getattr(parsed, "print_what", None) or "none",
        )


def utc_now() -> str:
    return format_iso(datetime.now(timezone.utc))


def run_report(
    request: ReportRequest,
    env: Mapping[str, str],
    settings: Settings,
    out: TextIO,
    *,
    clock: Callable[[], str] = utc_now,
    classify: Classify | None = None,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """Run the main job once; returns the exit code (NexusError for what the user must fix)."""
    if request.dry_run:
        settings = replace(settings, dry_run=True)
    folder = OutFolder(report_dir(request.out, settings.out_dir, env))
    runner = RunnerIO(env, out, out_dir=folder.path)
    for secret in settings.secret_values():
        runner.add_mask(secret)
    folder.redactor = runner.redactor
    ctx = report_context(request.flags, env)
    previous = _read_previous(request.previous)
    # Live, whether a report exists is only known once our comment is listed: let a green run through; the
    # chain posts nothing for it when there is no earlier report.
    decision = should_process(ctx, settings, report_exists=previous is not None or not settings.dry_run)
    if not decision.process:
        return _skip_run(decision.reason, decision.rule, folder, runner, out)
    logs, ignored = _kept_logs(request.logs, settings)
    # Before any log is read: one symlinked out of the workspace must not reach a comment. It is reported like a
    # log that was never written (the job is still listed), with the error that says why, and the run goes on.
    refused = outside_logs((log.path for log in logs), env, allow_outside=settings.allow_outside_logs)
    for error in refused.values():
        runner.annotate("error", f"{error.code}: {error.message}")
    logs = [
        replace(log, refused=f"{refused[log.path].code}: {refused[log.path].message}") if log.path in refused else log
        for log in logs
    ]
    if settings.dry_run:
        channels = dry_run_channels(settings, ctx, previous)
    else:
        channels = live_channels(settings, ctx, sleep=sleep or time.sleep)  # looked up now: tests swap it
    now = clock()
    # The PR's report, read when a job is first compared: the green run it used saves looking it up again, and
    # delivery starts from that listing of the comments (in a dry run, the recording GitHub's `--previous`).
    earlier = EarlierReport(channels.api, ctx.repository, bot_login=settings.bot_login)
    green = GreenFinder(
        channels.api,
        ctx,
        workflow=workflow_of(ctx, env.get("GITHUB_WORKFLOW_REF", "")),
        now=now,
        enabled=settings.compare_with_green,
        max_age_days=settings.green_max_age_days,
        cached=earlier.green_runs,
    )
    gathered = gather_jobs(
        channels.api,
        ctx,
        settings,
        logs,
        classify or _classifier(),
        green=green,
        log_dir=folder.path,
        # On a runner (a job's last step) the run's other failed jobs are listed too; RUNNER_NAME says which is ours.
        runner_name=env.get("RUNNER_NAME", "") if env.get("GITHUB_ACTIONS") == "true" else None,
    )
    if gathered.pr_number is not None and ctx.pr_number is None:
        ctx = replace(ctx, pr_numbers=(gathered.pr_number,))
    snapshot = build_snapshot(ctx, gathered, created_at=now, fix_request=fix_request_id(ctx))
    listed = earlier.listing_for(snapshot.pr_number)
    outcome = _deliver(channels, ctx, snapshot, listed, settings=settings, now=now, folder=folder, runner=runner)
    notes = [*gathered.notes, *(f"job {name} left out by AUTOFIX_IGNORE_JOBS" for name in ignored)]
    # What could not be read from GitHub (the PR lookup, a log, the changed files) is said, with its code.
    notes += [_problem_line(p) for p in gathered.problems if _problem_line(p) not in notes]
    if gathered.pr_number is None and settings.dashboard_enabled:
        outcome.notes.append(_dashboard(channels, ctx, snapshot, settings=settings, now=now, folder=folder))
    report: Report = outcome.report if isinstance(outcome.report, Report) else _render(snapshot, None, settings, now)
    if settings.dry_run:
        outputs = action_outputs(report, folder.path, "dry-run")
    else:
        outputs = {**action_outputs(report, folder.path, outcome.delivered_via), **outcome.outputs()}
    _write_report(
        folder, runner, report, outcome=outcome, outputs=outputs, notes=notes, channels=channels, settings=settings
    )
    _print(
        out,
        request.print_what,
        report,
        outputs=outputs,
        notes=notes,
        folder=folder,
        outcome=outcome,
        dry_run=settings.dry_run,
    )
    if not settings.dry_run and not settings.github_token:
        require_token(settings)  # everything is written; now say what the user must fix
    if outcome.failed and settings.fail_on_error and not settings.dry_run:
        reasons = "; ".join(f"{a.channel}: {a.reason}" for a in outcome.attempts) or "no channel accepted it"
        raise NexusError("NEXUS-DELIVERY-FAILED", f"the report was not delivered ({reasons})")
    return 0


def _problem_line(problem: CallFailure) -> str:
    return f"{problem.code}: {problem.operation} -> {problem.status or 'no answer'} {problem.reason}"


def _classifier() -> Classify:
    from nexus_action.classify import classify_log

    return classify_log


def _kept_logs(values: Sequence[str], settings: Settings) -> tuple[list[LogArg], tuple[str, ...]]:
    logs = parse_log_args(values)
    kept = filter_jobs([log.job for log in logs], settings)
    return [log for log in logs if log.job in kept.kept], kept.ignored


def build_snapshot(ctx: RunContext, gathered: Gathered, *, created_at: str, fix_request: str | None) -> Snapshot:
    """This run attempt. Green only when the run says so, or its job list was read and shows no failure."""
    jobs = gathered.jobs
    green = not jobs and (
        ctx.run_conclusion == "success" or (gathered.listed and ctx.run_conclusion is None and not gathered.problems)
    )
    unlisted = None
    if not jobs and not green:
        if gathered.list_error:
            unlisted = gathered.list_error
        elif ctx.run_conclusion in FAILED_RUN:
            unlisted = f"GitHub lists no failed job for a run that concluded {ctx.run_conclusion}"
        else:
            unlisted = "no log was given and no failed job could be read from GitHub"
    return Snapshot(
        repository=ctx.repository,
        run_id=ctx.run_id,
        run_attempt=ctx.run_attempt,
        head_sha=ctx.head_sha,
        branch=ctx.head_branch,
        created_at=created_at,
        jobs=tuple(jobs),
        pr_number=ctx.pr_number,
        run_url=ctx.run_url,
        workflow=ctx.workflow,
        server_url=ctx.server_url,
        conclusion="success" if green else "failure",
        fix_request=fix_request,
        unlisted_reason=unlisted,
        green=gathered.green,
    )


def _render(snapshot: Snapshot, previous: str | None, settings: Settings, now: str) -> Report:
    # build_report orders runs by run id (GitHub numbers runs increasingly): an older run arriving late takes its
    # place in the history instead of replacing the newer report.
    return build_report(snapshot, previous, settings=settings, now=now)


def _deliver(
    channels: Channels,
    ctx: RunContext,
    snapshot: Snapshot,
    listed: EarlierListing | None,
    *,
    settings: Settings,
    now: str,
    folder: OutFolder,
    runner: RunnerIO,
) -> DeliveryOutcome:
    try:
        return deliver_report(
            channels.api,
            repository=ctx.repository,
            pr_number=snapshot.pr_number,
            snapshot=snapshot,
            settings=settings,
            render=lambda previous: _render(snapshot, previous, settings, now),
            alert=channels.alert,
            listed=listed,
        )
    except Exception:
        # Even a bug in delivery must not lose the report: keep it in the summary and --out, then fail loudly.
        kept = _render(snapshot, None, settings, now)
        broken = DeliveryOutcome(report=kept, notes=["delivery stopped on an unexpected error (see the job log)"])
        runner.append_summary(kept.summary_md + "\n" + broken.summary_md())
        folder.write("summary.md", kept.summary_md + "\n" + broken.summary_md())
        folder.write("comment.md", kept.comment_md)
        raise


def _dashboard(
    channels: Channels, ctx: RunContext, snapshot: Snapshot, *, settings: Settings, now: str, folder: OutFolder
) -> str:
    """push / schedule / no-PR runs: merge this run into the CI failure dashboard issue."""
    from nexus_action.dashboard.live import publish_dashboard, write_dashboard_files

    when = parse_iso(now) or datetime.now(timezone.utc)
    try:
        done = publish_dashboard(
            channels.api, ctx.repository, snapshot, settings=settings, now=when, fix_request=snapshot.fix_request
        )
    except GitHubCallError as err:
        failure = err.failure
        return f"dashboard not updated: {failure.operation} -> {failure.status} {failure.reason}"
    if done is None:
        return "dashboard: nothing to record (a green run, and the dashboard shows no failure of this workflow here)"
    write_dashboard_files(done.report, folder.path)
    verb = f"would be {done.action}" if channels.dry_run else done.action
    return f"dashboard issue {verb}: {done.url}"


def action_outputs(report: Report, out_dir: Path, delivered_via: str) -> dict[str, str]:
    """The action outputs: what the report leads with, and where it went."""
    snap = report.state.latest
    top = snap.top_job if snap else None
    c = top.classification if top else None
    blocker = c.top_blocker.text if c and c.top_blocker else ""
    return {
        "domain": c.domain if c else "",
        "agent": c.agent if c else "",
        "kind": c.kind if c else "",
        "failure-type": c.failure_type if c else "",
        "top-blocker": blocker.splitlines()[0] if blocker else "",
        "confidence": f"{c.confidence:.2f}" if c else "",
        "transition": report.transition.change if report.transition else "",
        "delivered-via": delivered_via,
        "comment-url": "",
        "issue-url": "",
        "report-path": str(out_dir),
    }


def _payloads(report: Report, settings: Settings) -> dict[str, dict[str, Any]]:
    """Webhook bodies in every format (the configured one is the one the chain sends)."""
    from nexus_action.notify.payloads import build_payload
    from nexus_action.report.render import transition_lines

    snap = report.state.latest
    if snap is None:
        return {}
    secrets = settings.secret_values()
    lines = transition_lines(report.transition)
    return {fmt: build_payload(fmt, snap, secrets=secrets, transition_lines=lines) for fmt in WEBHOOK_FORMATS}


def _write_report(
    folder: OutFolder,
    runner: RunnerIO,
    report: Report,
    *,
    outcome: DeliveryOutcome,
    outputs: dict[str, str],
    notes: Sequence[str],
    channels: Channels,
    settings: Settings,
) -> None:
    """Step summary, outputs and the --out folder: the full report and how it was (or would be) delivered."""
    extra = [n for n in (*report.warnings, *notes) if n not in report.summary_md]
    if channels.dry_run:
        extra.append(f"Dry run: nothing was written to GitHub or webhooks; the plan is in {folder.path / 'plan.json'}.")
    summary = report.summary_md + "\n" + outcome.summary_md(dry_run=channels.dry_run)
    summary += "".join(f"\n> {n}\n" for n in extra)
    runner.append_summary(summary)
    runner.set_outputs(outputs)
    folder.write("comment.md", report.comment_md)
    folder.write("issue.md", f"# {report.issue_title}\n\n{report.issue_md}")
    folder.write("summary.md", summary)
    if report.issue_history_comment_md:
        folder.write("issue-history-comment.md", report.issue_history_comment_md)
    for fmt, body in _payloads(report, settings).items():
        folder.write_json(f"payloads/{fmt}.json", body)
    delivery: dict[str, Any] = {**outcome.outputs(), "slept_seconds": outcome.slept_seconds}
    delivery.update(attempts=[a.to_dict() for a in outcome.attempts], notes=[*outcome.notes, *notes])
    folder.write_json("delivery.json", delivery)
    if channels.dry_run:
        folder.write_json(
            "plan.json", {"dry_run": True, "would_deliver_via": outcome.delivered_via, "requests": channels.plan()}
        )
    folder.write_json("outputs.json", outputs)


def _print(
    out: TextIO,
    what: str,
    report: Report,
    *,
    outputs: Mapping[str, str],
    notes: Sequence[str],
    folder: OutFolder,
    outcome: DeliveryOutcome,
    dry_run: bool,
) -> None:
    if what == "overview":
        snap = report.state.latest
        jobs = snap.jobs if snap else ()
        out.write(overview(jobs, outputs, report=report, out_dir=folder.path))
    shown = {"comment": report.comment_md, "issue": report.issue_md, "summary": report.summary_md}
    if what in shown:
        out.write(shown[what])
    for note in (*report.warnings, *notes):
        out.write(f"note: {note}\n")
    if dry_run:
        out.write(
            f"NEXUS AutoFix dry run: report written to {folder.path}/ (comment.md, issue.md, summary.md, "
            f"outputs.json, plan.json, payloads/); a live run would deliver via {outcome.delivered_via}\n"
        )
    else:
        out.write(f"NEXUS AutoFix: delivered via {outcome.delivered_via} ({outcome.api_calls} GitHub API calls)\n")


def _read_previous(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NexusError("NEXUS-INPUT-INVALID", f"cannot read --previous {path!r}: {exc}") from None


def _skip_run(reason: str, rule: str, folder: OutFolder, runner: RunnerIO, out: TextIO) -> int:
    """The guards said no: exit 0, write nothing to GitHub, say why in the step summary."""
    note = f"NEXUS AutoFix did nothing for this run: {reason} (rule `{rule}`).\n"
    folder.write("summary.md", note)
    runner.append_summary(note)
    runner.set_outputs({"delivered-via": "skipped", "skip-reason": reason, "report-path": str(folder.path)})
    out.write(note)
    return 0


def write_json(path: Path, data: Any) -> None:
    """One JSON file of the out folder (used by the slash-command dry run too)."""
    OutFolder(path.parent).write(path.name, json.dumps(data, indent=2) + "\n")
