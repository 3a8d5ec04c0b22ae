"""The main job: context -> guards -> classify -> report -> deliver -> outputs.

This is an edge: it reads files, the clock and the runner's environment, then hands plain data to the pure
core (`classify`, `report`). With --dry-run nothing leaves the machine: the report, the outputs, the webhook
payloads and the plan of GitHub requests are written to the --out folder instead.

Choices where the issue is silent:
- No --event file: a minimal payload is made from the flags (`--pr` gives a pull_request event, else
  workflow_dispatch), so a laptop run needs nothing but `--repo` and `--log`.
- A dry run of a failed run needs at least one --log (it cannot download logs); a missing --log file is a
  NEXUS-INPUT-INVALID error rather than a silently empty report.
- The step summary is written on every path, including "the guards said no" (with the reason).
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from nexus_action.classify.model import Classification
from nexus_action.config.settings import WEBHOOK_FORMATS, Settings
from nexus_action.errors import NexusError
from nexus_action.isotime import format_iso
from nexus_action.report.model import FailedJob, Snapshot
from nexus_action.runner.context import RunContext

Classify = Callable[..., Classification]


@dataclass(frozen=True)
class LogArg:
    job: str
    path: Path


def utc_now() -> str:
    return format_iso(datetime.now(timezone.utc))


def parse_log_args(values: Sequence[str]) -> list[LogArg]:
    """`[JOB=]PATH`: the job name defaults to the file stem; a path that itself holds `=` still works."""
    logs = []
    for value in values:
        job, sep, path = value.partition("=")
        if sep and job.strip() and path and not Path(value).exists():
            logs.append(LogArg(job.strip(), Path(path)))
        else:
            logs.append(LogArg(Path(value).stem, Path(value)))
    for log in logs:
        if not log.path.is_file():
            raise NexusError(
                "NEXUS-INPUT-INVALID",
                f"--log {str(log.path)!r} is not a readable file",
                "Pass --log [JOB_NAME=]PATH with the path of a saved job log.",
            )
    return logs


def build_context(args: argparse.Namespace, env: Mapping[str, str]) -> RunContext:
    """RunContext from the event file (or one made from flags); flags override what the event says."""
    from nexus_action.runner.load import RunFlags, report_context

    return report_context(RunFlags.of(args), env)


def classify_logs(logs: Sequence[LogArg], ctx: RunContext, settings: Settings, classify: Classify) -> list[FailedJob]:
    jobs = []
    for log in logs:
        c = classify(
            log.path,
            workflow=ctx.workflow or None,
            job=log.job,
            routing=dict(settings.routing),
            extra_rules=settings.extra_rules,
        )
        step = c.top_blocker.step if c.top_blocker else None
        jobs.append(FailedJob(name=log.job, classification=c, step=step))
    return jobs


def build_snapshot(ctx: RunContext, jobs: Sequence[FailedJob], *, created_at: str, fix_request: str | None) -> Snapshot:
    green = not jobs and ctx.run_conclusion == "success"
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
    )


def action_outputs(report: Any, out_dir: Path, delivered_via: str) -> dict[str, str]:
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


def write_out_file(path: Path, text: str) -> None:
    """Write one file of the --out folder (the folder is made on first use)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise NexusError(
            "NEXUS-INPUT-INVALID", f"cannot write {str(path)!r}: {exc.strerror or exc}", "Check --out."
        ) from None


def _read_previous(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NexusError("NEXUS-INPUT-INVALID", f"cannot read --previous {path!r}: {exc}") from None


def write_json(path: Path, data: Any) -> None:
    write_out_file(path, json.dumps(data, indent=2) + "\n")


def write_rendered(out_dir: Path, report: Any, summary_md: str) -> None:
    """What every run leaves in --out, dry or live: comment.md, issue.md (with its title) and summary.md."""
    write_out_file(out_dir / "comment.md", report.comment_md)
    write_out_file(out_dir / "issue.md", f"# {report.issue_title}\n\n{report.issue_md}")
    write_out_file(out_dir / "summary.md", summary_md)


def write_report_files(out_dir: Path, report: Any, plan: list[dict[str, Any]], payloads: dict[str, Any]) -> None:
    write_rendered(out_dir, report, report.summary_md)
    if report.issue_history_comment_md:
        write_out_file(out_dir / "issue-history-comment.md", report.issue_history_comment_md)
    write_json(out_dir / "plan.json", {"dry_run": True, "requests": plan})
    for fmt, body in payloads.items():
        write_out_file(out_dir / "payloads" / f"{fmt}.json", json.dumps(body, indent=2, ensure_ascii=False) + "\n")


def _payloads(report: Any, settings: Settings) -> dict[str, dict[str, Any]]:
    """Webhook bodies in every format (the configured one is the one a live run would send)."""
    from nexus_action.notify.payloads import build_payload
    from nexus_action.report.render import transition_lines

    snap = report.state.latest
    secrets = settings.secret_values()
    lines = transition_lines(report.transition)
    return {fmt: build_payload(fmt, snap, secrets=secrets, transition_lines=lines) for fmt in WEBHOOK_FORMATS}


def _deliver_live(ctx: RunContext, settings: Settings, jobs: Sequence[FailedJob], **kw: Any) -> int:
    """Live delivery (issue 5): gather, find our comment, render with its body, comment -> issue -> webhook.

    Writes the step summary, the outputs and the --out folder itself (the report is rendered inside the
    chain, from the body of our own sticky comment). See `nexus_action.github.live.run_live`.
    """
    from nexus_action.github.live import run_live

    return run_live(ctx, settings, jobs=jobs, **kw)


def _skip_run(reason: str, rule: str, out_dir: Path, runner: Any, out: TextIO) -> int:
    """The guards said no: exit 0, write nothing to GitHub, say why in the step summary."""
    note = f"NEXUS AutoFix did nothing for this run: {reason} (rule `{rule}`).\n"
    write_out_file(out_dir / "summary.md", note)
    runner.append_summary(note)
    runner.set_outputs({"delivered-via": "skipped", "skip-reason": reason, "report-path": str(out_dir)})
    out.write(note)
    return 0


_STATE_BLOCK = re.compile(r"<!-- nexus:(\w+) v(\d+) ([A-Za-z0-9+/=]+) -->")


def fold_state(markdown: str) -> str:
    """The hidden state is for machines; on a terminal show that it is there and how big, not the base64."""
    return _STATE_BLOCK.sub(
        lambda m: f"<!-- nexus:{m[1]} v{m[2]} ({len(m[3]):,} characters of base64 JSON) -->", markdown
    )


def overview(report: Any, outputs: Mapping[str, str], out_dir: Path) -> str:
    """What `make demo` shows: each job's classification, the comment, the issue, and the webhook payloads."""
    snap = report.state.latest
    lines = ["== Classification", ""]
    for job in snap.jobs if snap else ():
        c = job.classification
        top = c.top_blocker
        where = (
            f"{top.file}:{top.line}" if top and top.file and top.line else f"log line {top.log_line}" if top else "-"
        )
        lines.append(
            f"{job.name}: {c.domain} / {c.kind} ({c.failure_type}) -> {c.agent}, confidence {c.confidence:.2f}"
        )
        lines.append(f"  top blocker at {where}: {top.text if top else 'none found'}")
    lines += ["", "== Action outputs", ""]
    lines += [f"{name}: {value}" for name, value in outputs.items() if value]
    lines += ["", "== PR comment (comment.md)", "", fold_state(report.comment_md).rstrip()]
    lines += ["", f"== Fallback issue (issue.md): {report.issue_title}", ""]
    issue = fold_state(report.issue_md).splitlines()
    lines += [*issue[:12], f"... ({len(issue)} lines in all)" if len(issue) > 12 else ""]
    lines += ["", "== Webhook payloads", ""]
    for path in sorted((out_dir / "payloads").glob("*.json")):
        lines.append(f"{path}  ({path.stat().st_size:,} bytes)")
    lines.append("")
    return "\n".join(lines) + "\n"


def _print(out: TextIO, what: str, report: Any, notes: Sequence[str]) -> None:
    shown = {"comment": report.comment_md, "issue": report.issue_md, "summary": report.summary_md}
    if what in shown:
        out.write(shown[what])
    for note in notes:
        out.write(f"note: {note}\n")


def run_report(
    args: argparse.Namespace,
    env: Mapping[str, str],
    settings: Settings,
    out: TextIO,
    *,
    clock: Callable[[], str] = utc_now,
    classify: Classify | None = None,
) -> int:
    from nexus_action.guards import filter_jobs, fix_request_id, should_process
    from nexus_action.report import build_report
    from nexus_action.report.plan import plan_requests
    from nexus_action.runner.io import RunnerIO, report_dir

    if args.dry_run:
        settings = replace(settings, dry_run=True)
    out_dir = report_dir(args.out, settings.out_dir, env)
    runner = RunnerIO(env, out, out_dir=out_dir)
    for secret in settings.secret_values():
        runner.add_mask(secret)
    ctx = build_context(args, env)
    previous = _read_previous(args.previous)
    # Live, whether a report exists is only known once our comment is listed: let a green run through, the
    # delivery chain posts nothing when there is no earlier report (issue 5).
    decision = should_process(ctx, settings, report_exists=previous is not None or not settings.dry_run)
    if not decision.process:
        return _skip_run(decision.reason, decision.rule, out_dir, runner, out)
    logs = parse_log_args(args.log)
    kept = filter_jobs([log.job for log in logs], settings)
    logs = [log for log in logs if log.job in kept.kept]
    if not logs and ctx.run_conclusion != "success" and settings.dry_run:
        raise NexusError(
            "NEXUS-INPUT-INVALID",
            "a dry run of a failed run needs at least one --log (nothing is downloaded)",
            "Pass --log [JOB_NAME=]PATH, once per failed job.",
        )
    if classify is None:
        from nexus_action.classify import classify_log

        classify = classify_log
    now = clock()
    jobs = classify_logs(logs, ctx, settings, classify)
    if not settings.dry_run:
        return _deliver_live(
            ctx,
            settings,
            jobs,
            classify=classify,
            now=now,
            fix_request=fix_request_id(ctx),
            out_dir=out_dir,
            runner=runner,
            out=out,
        )
    snapshot = build_snapshot(ctx, jobs, created_at=now, fix_request=fix_request_id(ctx))
    report = build_report(snapshot, previous, settings=settings, now=now)
    payloads = _payloads(report, settings)
    plan = plan_requests(
        report,
        report.state.latest or snapshot,
        settings=settings,
        has_previous=previous is not None,
        webhook_body=payloads.get(settings.alert_webhook_format),
    )
    outputs = action_outputs(report, out_dir, "dry-run")
    write_report_files(out_dir, report, plan, payloads)
    notes = [*report.warnings, *(f"job {name} left out by AUTOFIX_IGNORE_JOBS" for name in kept.ignored)]
    if settings.dashboard_enabled and snapshot.pr_number is None:
        # push / schedule / no-PR runs also update the CI failure dashboard (issue 9): dashboard.md in --out.
        from nexus_action.dashboard.live import dry_run_dashboard

        dashboard = dry_run_dashboard(previous, snapshot, settings=settings, now=now, out_dir=out_dir)
        notes += [w for w in dashboard.warnings if not w.startswith("no nexus:dashboard block")]
    extra = [n for n in notes if n not in report.summary_md]
    if settings.dry_run:
        extra.append(f"Dry run: nothing was written to GitHub or webhooks; the plan is in {out_dir / 'plan.json'}.")
    runner.append_summary(report.summary_md + "".join(f"\n> {n}\n" for n in extra))
    runner.set_outputs(outputs)
    write_json(out_dir / "outputs.json", outputs)
    if args.print_what == "overview":
        out.write(overview(report, outputs, out_dir))
    _print(out, args.print_what, report, notes)
    out.write(f"NEXUS AutoFix dry run: report written to {out_dir}/ (comment.md, issue.md, summary.md, ")
    out.write("outputs.json, plan.json, payloads/)\n")
    return 0
