"""`nexus-autofix report` without --dry-run: gather from GitHub, classify, then deliver through the chain.

The live order matters: the previous body is the body of OUR sticky comment, so the report is rendered
inside the chain (after the comment is found), not before. Whatever the chain does, the full report ends
up in the step summary and the --out folder, with a Delivery section naming each failed attempt.

This is an edge: it owns the real clock, sleep and randomness and passes them into the core.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from nexus_action.config.settings import Settings, require_token
from nexus_action.delivery import AlertResult, DeliveryOutcome, deliver_report
from nexus_action.errors import NexusError
from nexus_action.github.client import GitHubApi, GitHubCallError, connect
from nexus_action.github.runs import RunEvidence, classify_jobs, gather_run, pr_evidence
from nexus_action.report.model import FailedJob, Snapshot
from nexus_action.runner.context import RunContext


def _alert(settings: Settings, sleep: Callable[[float], None]) -> Callable[[Snapshot, bool, bool], AlertResult]:
    from nexus_action.notify.alert import send_alert
    from nexus_action.notify.send import WebhookSender

    sender = WebhookSender(
        timeout=10.0,
        retries=settings.http_retries,
        respect_retry_after=settings.respect_retry_after,
        max_wait=settings.max_wait_seconds,
        sleep=sleep,
    )
    sent: set[str] = set()

    def alert(snapshot: Snapshot, comment_ok: bool, issue_ok: bool) -> AlertResult:
        result = send_alert(
            snapshot,
            settings,
            comment_ok=comment_ok,
            issue_ok=issue_ok,
            sender=sender,
            already_sent=sent,
            secrets=settings.secret_values(),
        )
        if result.delivered or not result.sent or result.webhook is None:
            return AlertResult(delivered=result.delivered)
        answer = result.webhook
        return AlertResult(False, (result.line,), answer.status, answer.error_code or "NEXUS-DELIVERY-FAILED")

    return alert


def _gather(
    api: GitHubApi, ctx: RunContext, settings: Settings, given: Sequence[FailedJob], classify: Callable[..., Any]
) -> tuple[RunEvidence, tuple[FailedJob, ...]]:
    """Jobs from --log files when given (only the PR is looked up), else downloaded from the run."""
    if given:
        return pr_evidence(api, ctx), tuple(given)
    evidence = gather_run(api, ctx, ignore_jobs=settings.ignore_jobs)
    jobs = classify_jobs(
        evidence,
        workflow=ctx.workflow,
        classify=classify,
        routing=dict(settings.routing),
        extra_rules=settings.extra_rules,
    )
    return evidence, jobs


def _publish_dashboard(
    api: GitHubApi, ctx: RunContext, snapshot: Snapshot, settings: Settings, *, now: str, fix_request: str | None
) -> str:
    """push / schedule / no-PR runs: merge this run into the CI failure dashboard issue (issue 9)."""
    from datetime import datetime, timezone

    from nexus_action.dashboard.live import publish_dashboard
    from nexus_action.isotime import parse_iso

    try:
        when = parse_iso(now) or datetime.now(timezone.utc)
        done = publish_dashboard(api, ctx.repository, snapshot, settings=settings, now=when, fix_request=fix_request)
    except GitHubCallError as err:
        failure = err.failure
        return f"dashboard not updated: {failure.operation} -> {failure.status} {failure.reason}"
    if done is None:
        return "dashboard: nothing to record (a green run, and the dashboard shows no failure of this workflow here)"
    return f"dashboard issue {done.action}: {done.url}"


def write_outcome(out_dir: Path, report: Any, outcome: DeliveryOutcome, outputs: dict[str, str]) -> None:
    """The --out folder always holds the full report and how it was (or was not) delivered."""
    from nexus_action.pipeline import write_json, write_rendered

    write_rendered(out_dir, report, report.summary_md + "\n" + outcome.summary_md())
    delivery: dict[str, Any] = {**outcome.outputs(), "slept_seconds": outcome.slept_seconds}
    delivery.update(attempts=[a.to_dict() for a in outcome.attempts], notes=outcome.notes)
    write_json(out_dir / "delivery.json", delivery)
    write_json(out_dir / "outputs.json", outputs)


def run_live(
    ctx: RunContext,
    settings: Settings,
    *,
    jobs: Sequence[FailedJob],
    classify: Callable[..., Any],
    now: str,
    fix_request: str | None,
    out_dir: Path,
    runner: Any,
    out: TextIO,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """Gather -> classify -> deliver -> step summary, outputs and --out files. Returns the exit code."""
    from nexus_action.pipeline import action_outputs, build_snapshot
    from nexus_action.report import build_report

    if not settings.github_token:
        # Nothing can be read from or written to GitHub: keep what we have (the --log jobs) in the summary first.
        snapshot = build_snapshot(ctx, jobs, created_at=now, fix_request=fix_request)
        kept = build_report(snapshot, None, settings=settings, now=now, current_head_sha=None)
        nothing = DeliveryOutcome(report=kept, notes=["no GitHub token: nothing was delivered"])
        outputs = {**action_outputs(kept, out_dir, nothing.delivered_via), **nothing.outputs()}
        runner.append_summary(kept.summary_md + "\n" + nothing.summary_md())
        runner.set_outputs(outputs)
        write_outcome(out_dir, kept, nothing, outputs)
        require_token(settings)
    sleep = sleep or time.sleep  # looked up at call time, so tests can swap it
    api = connect(settings, ctx.api_url, sleep=sleep, clock=time.time, random_fn=random.random)
    try:
        evidence, found = _gather(api, ctx, settings, jobs, classify)
    except GitHubCallError as err:
        failure = err.failure
        note = (
            f"NEXUS AutoFix could not read this run's jobs: {failure.operation} -> {failure.status} {failure.reason}\n"
        )
        runner.append_summary(note)
        out.write(note)
        if settings.fail_on_error:
            raise NexusError(failure.code, note.strip()) from None
        return 0
    if evidence.pr_number is not None and ctx.pr_number is None:
        ctx = replace(ctx, pr_numbers=(evidence.pr_number,))
    snapshot = build_snapshot(ctx, found, created_at=now, fix_request=fix_request)
    if not found and not jobs and ctx.run_id is not None and ctx.run_conclusion in (None, "success"):
        snapshot = replace(snapshot, conclusion="success")  # the run's jobs were listed and none failed

    def render(previous: str | None) -> Any:
        # The run's own head SHA says nothing about the PR's current head; without it, build_report orders
        # reports by run id (GitHub numbers runs increasingly), which catches an older run arriving late.
        return build_report(snapshot, previous, settings=settings, now=now, current_head_sha=None)

    try:
        outcome = deliver_report(
            api,
            repository=ctx.repository,
            pr_number=evidence.pr_number,
            snapshot=snapshot,
            settings=settings,
            render=render,
            alert=_alert(settings, sleep) if settings.webhook_configured else None,
        )
    except Exception:
        # Even a bug in delivery must not lose the report: keep it in the summary and --out, then fail loudly.
        kept = render(None)
        broken = DeliveryOutcome(report=kept, notes=["delivery stopped on an unexpected error (see the job log)"])
        runner.append_summary(kept.summary_md + "\n" + broken.summary_md())
        write_outcome(out_dir, kept, broken, broken.outputs())
        raise
    if evidence.pr_number is None and settings.dashboard_enabled:
        outcome.notes.append(_publish_dashboard(api, ctx, snapshot, settings, now=now, fix_request=fix_request))
    report: Any = outcome.report if outcome.report is not None else render(None)
    outputs = {**action_outputs(report, out_dir, outcome.delivered_via), **outcome.outputs()}
    problems = [f"{p.code}: {p.operation} -> {p.status} {p.reason}" for p in evidence.problems]
    runner.append_summary(report.summary_md + "\n" + outcome.summary_md() + "".join(f"\n> {p}\n" for p in problems))
    runner.set_outputs(outputs)
    write_outcome(out_dir, report, outcome, outputs)
    out.write(f"NEXUS AutoFix: delivered via {outcome.delivered_via} ({outcome.api_calls} GitHub API calls)\n")
    if outcome.failed and settings.fail_on_error:
        reasons = "; ".join(f"{a.channel}: {a.reason}" for a in outcome.attempts) or "no channel accepted it"
        raise NexusError("NEXUS-DELIVERY-FAILED", f"the report was not delivered ({reasons})")
    return 0
