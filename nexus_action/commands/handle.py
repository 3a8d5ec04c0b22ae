"""Slash commands from issue_comment events: gate, acknowledge, act, record. The CLI entry is `run_command`.

One comment is handled as: parse -> sender check -> 👀 -> read the sticky report's state -> permission ->
run the commands -> record them in the report's Commands section (creating the report comment when there is
none yet, so counts persist) -> one reply comment only for help / explain / unknown commands -> 🚀 or 😕.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from nexus_action.commands.claims import Verdict, fix_verdict, retry_verdict
from nexus_action.commands.execute import Claimer, CommandResult, Outcome, Requester, execute, log_result
from nexus_action.commands.fix_request import DEDUPE_WINDOW, TEMPLATE_FOLDER
from nexus_action.commands.gate import GateDecision, check_sender, effective_permission
from nexus_action.commands.ledger import Ledger, from_report_state
from nexus_action.commands.parse import ParsedComment, parse_commands
from nexus_action.commands.plan import CommentOps, Render
from nexus_action.config.settings import Settings
from nexus_action.errors import NexusError
from nexus_action.isotime import format_iso
from nexus_action.report.derive import derive, read_doc, read_state
from nexus_action.report.document import Claim, StateDoc, merge
from nexus_action.report.redact import sanitize
from nexus_action.report.state import ReportState
from nexus_action.runner.context import CommentInfo, RunContext


@dataclass(frozen=True)
class Handled:
    """What happened to one comment, for outputs, the step summary and tests."""

    status: str  # ok | refused | failed | ignored | duplicate
    reason: str = ""
    results: tuple[CommandResult, ...] = ()
    outcome: Outcome | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def outputs(self) -> dict[str, object]:
        fixes = self.outcome.fix_requests if self.outcome else ()
        return {
            "command-status": self.status,
            "commands": json.dumps(
                [{"command": r.command.text, "status": r.status, "message": r.message} for r in self.results]
            ),
            "fix-request": json.dumps(fixes[-1]) if fixes else "",
            "fix-agent": str(fixes[-1]["agent"]) if fixes else "",
            "retried-runs": json.dumps(list(self.outcome.retried_runs) if self.outcome else []),
        }


def _refuse_all(parsed: ParsedComment, ledger: Ledger, login: str, reason: str, now: datetime) -> Outcome:
    results = tuple(CommandResult(cmd, "refused", reason) for cmd in parsed.commands)
    for r in results:
        ledger = log_result(ledger, r, login, now)
    return Outcome(results, ledger)


class RepoTemplates(Mapping[str, str]):
    """Repo overrides of the prompt templates, read only when a fix request needs one (one read per agent).

    The checked-out workspace wins; else the file on the default branch (never the PR's code, whose author
    could otherwise rewrite the prompt another agent acts on).
    """

    def __init__(self, ops: CommentOps, workspace: Path | None) -> None:
        self.ops = ops
        self.workspace = workspace
        self.cache: dict[str, str | None] = {}

    def _load(self, agent: str) -> str | None:
        relative = f"{TEMPLATE_FOLDER}/{agent}.md"
        local = self.workspace / relative if self.workspace else None
        if local is not None and local.is_file():
            return local.read_text(encoding="utf-8", errors="replace")
        return self.ops.repo_file(relative) or None

    def __getitem__(self, agent: str) -> str:
        key = agent.lower()
        if key not in self.cache:
            self.cache[key] = self._load(key)
        found = self.cache[key]
        if found is None:
            raise KeyError(agent)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter([k for k, v in self.cache.items() if v is not None])

    def __len__(self) -> int:
        return sum(1 for v in self.cache.values() if v is not None)


def _reply_text(parsed: ParsedComment, outcome: Outcome, secrets: Sequence[str]) -> str:
    parts = [outcome.reply] if outcome.reply else []
    if parsed.dropped:
        parts.append(
            f"_{parsed.dropped} more `/nexus` lines were not run: at most {len(parsed.commands)} per comment._"
        )
    if not parts:
        return ""
    # Our own text plus sanitised log lines; make sure nothing in it can ping or leak.
    return sanitize("\n\n".join(parts), secrets)


def handle_comment(
    ctx: RunContext,
    comment: CommentInfo,
    ops: CommentOps,
    settings: Settings,
    *,
    now: datetime,
    workspace: Path | None = None,
) -> Handled:
    """Handle one issue_comment. Every GitHub call goes through `ops` (real, or a dry-run plan)."""
    parsed = parse_commands(comment.body)
    if not parsed.commands:
        return Handled("ignored", "the comment has no /nexus command")
    sender: GateDecision = check_sender(comment, settings)
    if sender.silent:
        return Handled("ignored", sender.reason)
    warnings: list[str] = []
    _react(ops, comment.id, "eyes", warnings)
    try:
        report = ops.report_comment()
    except NexusError:
        # Without the state there is no safe retry count or breaker: fail closed, visibly.
        _react(ops, comment.id, "confused", warnings)
        raise
    state, state_warnings = read_state(report.body) if report else (ReportState(), [])
    warnings.extend(state_warnings)
    ledger = from_report_state(state).acting(comment.id, comment.author, format_iso(now))
    if comment.id in ledger.processed_comment_ids:
        # GitHub redelivered the event, or the job was re-run: the commands already ran once.
        return Handled("duplicate", f"comment {comment.id} was already handled", warnings=tuple(warnings))
    pr_url = f"{ctx.server_url}/{ctx.repository}/pull/{comment.issue_number}"
    if sender.allowed:
        outcome = _gated_run(parsed, ledger, comment, ops, settings, now=now, pr_url=pr_url, workspace=workspace)
    else:
        outcome = _refuse_all(parsed, ledger, comment.author, sender.reason, now)
    _record(ops, outcome.ledger.with_processed(comment.id).delta, settings, warnings)
    reply = _reply_text(parsed, outcome, settings.secret_values())
    if reply:
        try:
            ops.reply(reply)
        except NexusError as err:
            warnings.append(f"could not post the reply: {err.message}")
    _react(ops, comment.id, "rocket" if outcome.ok else "confused", warnings)
    status = "ok" if outcome.ok else ("failed" if any(r.status == "failed" for r in outcome.results) else "refused")
    return Handled(status, "", outcome.results, outcome, tuple(warnings))


def _gated_run(
    parsed: ParsedComment,
    ledger: Ledger,
    comment: CommentInfo,
    ops: CommentOps,
    settings: Settings,
    *,
    now: datetime,
    pr_url: str,
    workspace: Path | None,
) -> Outcome:
    """Check the author's permission, then run the commands (each command checks its own required level)."""
    try:
        level = effective_permission(*ops.permission(comment.author))
    except NexusError as err:
        # The gate could not be checked: refuse rather than guess, and say why.
        return _refuse_all(parsed, ledger, comment.author, f"could not check the permission: {err.message}", now)
    who = Requester(
        login=comment.author,
        permission=level,
        comment_id=comment.id,
        comment_url=comment.url,
        pr_number=comment.issue_number,
        pr_url=pr_url,
        now=now,
    )
    templates = RepoTemplates(ops, workspace)
    claimer = _claimer(ops, settings)
    return execute(parsed.commands, ledger, who=who, ops=ops, settings=settings, templates=templates, claimer=claimer)


def _render_with(delta: StateDoc, settings: Settings) -> Render:
    """The report body with this comment's changes merged into whatever the report holds when it is written."""
    from nexus_action.report import render_comment

    def render(previous: str | None) -> str:
        doc, _ = read_doc(previous)
        return render_comment(derive(merge(doc, delta), history_limit=settings.history_limit), settings=settings)

    return render


def _claimer(ops: CommentOps, settings: Settings) -> Claimer:
    """Write the claim, re-read, and decide with every claimant's view (see `commands.claims`)."""

    def claim(ledger: Ledger, mine: Claim) -> Verdict:
        delta = merge(ledger.delta, StateDoc(claims=(mine,)))
        try:
            published = ops.publish(_render_with(delta, settings))
        except NexusError as err:
            # Without a recorded claim the limit cannot be kept: do not act.
            return Verdict(False, f"could not record the claim in the report: {err.message}")
        doc = read_doc(published.body)[0] if published.body else delta
        if mine.kind == "retry":
            return retry_verdict(doc, mine, published.listing, limit=settings.max_retries)
        return fix_verdict(
            doc,
            mine,
            published.listing,
            limit=settings.max_fix_requests,
            window=DEDUPE_WINDOW,
            red_since=ledger.red_since,
        )

    return claim


def _record(ops: CommentOps, delta: StateDoc, settings: Settings, warnings: list[str]) -> None:
    """Merge this comment's changes (Commands log, claims, flags) into the sticky report; create it when there
    is none yet. A report or another command that landed meanwhile keeps its own changes."""
    try:
        ops.publish(_render_with(delta, settings))
    except NexusError as err:
        warnings.append(f"could not update the report comment: {err.message}")


def _react(ops: CommentOps, comment_id: int, content: str, warnings: list[str]) -> None:
    try:
        ops.react(comment_id, content)
    except NexusError as err:
        # An acknowledgement that failed must not stop the command itself.
        warnings.append(f"could not react {content}: {err.message}")


# ---- the CLI edge ---------------------------------------------------------------------------------------


def _context(args: argparse.Namespace, env: Mapping[str, str]) -> RunContext:
    from nexus_action.runner.load import RunFlags, load_run_context

    return load_run_context(RunFlags.of(args), env)


def _make_ops(
    ctx: RunContext, comment: CommentInfo, settings: Settings, args: argparse.Namespace, dry_run: bool
) -> tuple[CommentOps, Any]:
    from nexus_action.commands.plan import OfflineReads, PlannedOps

    reads: Any
    if settings.github_token:
        from nexus_action.commands.github_ops import GitHubCommandOps
        from nexus_action.github.client import connect

        api = connect(settings, ctx.api_url, sleep=time.sleep, clock=time.time, random_fn=random.random)
        reads = GitHubCommandOps(api, ctx.repository, comment.issue_number, settings.bot_login, settings.http_retries)
        if not dry_run:
            return reads, None
    elif not dry_run:
        from nexus_action.config.settings import require_token

        require_token(settings)
    else:
        previous = Path(args.previous).read_text(encoding="utf-8") if args.previous else None
        snapshot = from_report_state(read_state(previous)[0]).snapshot if previous else None
        reads = OfflineReads(ctx.repository, comment.issue_number, comment.author_association, previous, snapshot)
    planned = PlannedOps(reads, ctx.repository, comment.issue_number, offline=not settings.github_token)
    return planned, planned


def run_command(args: argparse.Namespace, env: Mapping[str, str], settings: Settings, out: TextIO) -> int:
    """`nexus-autofix command`: handle the /nexus commands of one issue_comment event."""
    from nexus_action.runner.io import RunnerIO, report_dir

    ctx = _context(args, env)
    comment = ctx.comment
    if ctx.event_name != "issue_comment" or comment is None:
        raise NexusError(
            "NEXUS-EVENT-UNSUPPORTED",
            f"mode command handles issue_comment events; got {ctx.event_name!r}",
            "Run mode: command from an `on: issue_comment` workflow (docs/examples/slash-commands.yml).",
        )
    dry_run = bool(args.dry_run or settings.dry_run)
    out_dir = report_dir(args.out, settings.out_dir, env)
    io = RunnerIO(env, out, out_dir=out_dir)
    for secret in settings.secret_values():
        io.add_mask(secret)
    if ctx.action not in ("", "created"):
        # Re-running commands because someone fixed a typo in an old comment would surprise everyone.
        handled = Handled("ignored", f"comment {ctx.action}: only new comments run commands")
        plan = None
    else:
        ops, plan = _make_ops(ctx, comment, settings, args, dry_run)
        workspace = Path(env["GITHUB_WORKSPACE"]) if env.get("GITHUB_WORKSPACE") else None
        handled = handle_comment(ctx, comment, ops, settings, now=datetime.now(timezone.utc), workspace=workspace)
    if dry_run:
        out_dir.mkdir(parents=True, exist_ok=True)
        document = {
            "mode": "command",
            "dry_run": True,
            "status": handled.status,
            "reason": handled.reason,
            "requests": plan.requests if plan else [],
            "results": json.loads(str(handled.outputs()["commands"])),
        }
        (out_dir / "plan.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    io.set_outputs(handled.outputs())
    io.append_summary(_summary(handled))
    for warning in handled.warnings:
        io.annotate("warning", warning)
    out.write(_summary(handled))
    if dry_run:
        out.write(f"NEXUS AutoFix dry run: nothing was sent; the plan is in {out_dir / 'plan.json'}\n")
    if handled.status == "failed" and settings.fail_on_error:
        return 3
    return 0


def _summary(handled: Handled) -> str:
    lines = ["### NEXUS AutoFix commands", ""]
    if not handled.results:
        lines.append(f"Nothing run: {handled.reason}.")
    for r in handled.results:
        lines.append(f"- `{r.command.text}`: **{r.status}**: {r.message}")
    return "\n".join(lines) + "\n"
