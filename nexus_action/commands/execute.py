"""Run parsed commands against the ledger. The GitHub calls are passed in (`CommandOps`), the time too.

Each command gives one `CommandResult`; together they decide the final reaction (rocket when all went
well, confused otherwise), the Commands log entries and, for help / explain / unknown commands, the text of
one reply comment. Failures of one command (a rerun GitHub refused) do not stop the next one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from nexus_action.commands.claims import Verdict
from nexus_action.commands.explain import explain_job
from nexus_action.commands.fix_request import (
    build_payload,
    choose_template,
    recent_duplicate,
    render_prompt,
    request_id_for,
    select_target,
)
from nexus_action.commands.gate import check_permission, required_level
from nexus_action.commands.ledger import CommandRecord, FixRecord, Ledger
from nexus_action.commands.parse import KNOWN_COMMANDS, Command
from nexus_action.config.settings import Settings
from nexus_action.errors import NexusError
from nexus_action.guards import FIX_DISPATCH_TYPE
from nexus_action.isotime import format_iso
from nexus_action.report.document import Claim

Status = Literal["done", "noop", "refused", "failed"]
# Writes the claim into the report's state, re-reads it, and says whether this comment may act on it.
Claimer = Callable[[Ledger, Claim], Verdict]
# The loop guard knows this type: our own dispatches never start a report.
FIX_EVENT_TYPE = FIX_DISPATCH_TYPE
MAX_RESULT_CHARS = 300

HELP = """\
**NEXUS AutoFix commands** (one per line, in a PR comment):

| Command | What it does |
| --- | --- |
| `/nexus retry` | Re-run the failed jobs of the failed runs on the PR's current head commit \
({max_retries} per commit). |
| `/nexus fix [agent\\|domain]` | Ask the routed agent (Rex, Blaze, Bolt, Atlas) for a fix; at most {max_fixes} \
before a person is needed. |
| `/nexus explain [job]` | Show every blocker and the evidence behind the classification of a job. |
| `/nexus status` | Say what the report, retries, fix requests and circuit breaker stand at. |
| `/nexus mute` / `/nexus unmute` | Stop / resume updating the report on this PR. |
| `/nexus reset` | Re-arm the circuit breaker after a person has looked (admin only). |
| `/nexus help` | This table. |

Commands need `{permission}` permission or higher on the repository."""


class CommandOps(Protocol):
    """The GitHub calls commands make; raise NexusError when GitHub refuses or fails."""

    def head_sha(self, pr_number: int) -> str: ...

    def failed_runs(self, head_sha: str) -> Sequence[RunRef]: ...

    def rerun_failed_jobs(self, run_id: int) -> None: ...

    def dispatch(self, event_type: str, client_payload: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True)
class RunRef:
    id: int
    workflow: str
    url: str = ""


@dataclass(frozen=True)
class Requester:
    """Who asked, from which comment, with which repository permission, and when."""

    login: str
    permission: str
    comment_id: int
    comment_url: str
    pr_number: int
    pr_url: str
    now: datetime


@dataclass(frozen=True)
class CommandResult:
    command: Command
    status: Status
    message: str
    reply: str = ""  # markdown for the reply comment, when the answer does not fit a log line

    @property
    def ok(self) -> bool:
        return self.status in ("done", "noop")


@dataclass(frozen=True)
class Outcome:
    results: tuple[CommandResult, ...]
    ledger: Ledger
    fix_requests: tuple[Mapping[str, Any], ...] = ()
    retried_runs: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def reply(self) -> str:
        return "\n\n".join(r.reply for r in self.results if r.reply)


@dataclass
class _Run:
    """Mutable scratch for one comment's commands; what leaves is the frozen Outcome."""

    ledger: Ledger
    templates: Mapping[str, str]
    claimer: Claimer | None = None
    head: str | None = None
    fix_requests: list[Mapping[str, Any]] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)


def help_text(settings: Settings) -> str:
    return HELP.format(
        max_retries=settings.max_retries, max_fixes=settings.max_fix_requests, permission=settings.command_permission
    )


def short_sha(sha: str) -> str:
    return sha[:7] if sha else "(unknown)"


def latest_failed_per_workflow(runs: Sequence[RunRef]) -> tuple[RunRef, ...]:
    """Only the newest failed run of each workflow: older ones were superseded by it."""
    newest: dict[str, RunRef] = {}
    for run in runs:
        if run.workflow not in newest or run.id > newest[run.workflow].id:
            newest[run.workflow] = run
    return tuple(sorted(newest.values(), key=lambda r: r.id))


def _head(run: _Run, ops: CommandOps, who: Requester) -> str:
    if run.head is None:
        run.head = ops.head_sha(who.pr_number)
    return run.head


def _retry(cmd: Command, run: _Run, ops: CommandOps, who: Requester, settings: Settings) -> CommandResult:
    head = _head(run, ops, who)
    snapshot = run.ledger.snapshot
    note = ""
    if snapshot and snapshot.head_sha and snapshot.head_sha != head:
        # Runs of the old head are stale: re-running them would report on code that is no longer the PR.
        note = f"the head moved from {short_sha(snapshot.head_sha)} to {short_sha(head)} since the report; "
    used = run.ledger.retries_on(head)
    if used >= settings.max_retries:
        return CommandResult(
            cmd,
            "refused",
            f"{note}retry limit reached ({used}/{settings.max_retries} on {short_sha(head)}); "
            "push a change or ask for `/nexus fix`",
        )
    runs = latest_failed_per_workflow(ops.failed_runs(head))
    if not runs:
        return CommandResult(cmd, "noop", f"{note}no failed run on {short_sha(head)}: nothing to retry")
    claim = run.ledger.claim("retry", head)
    verdict = _claim(run, claim)
    if not verdict.won:
        run.ledger = run.ledger.with_claim(dataclasses.replace(claim, state="lost"))
        return CommandResult(cmd, "refused", f"{note}{verdict.reason}{_ahead(verdict)}")
    done: list[RunRef] = []
    errors: list[str] = []
    for ref in runs:
        try:
            ops.rerun_failed_jobs(ref.id)
            done.append(ref)
        except NexusError as err:
            errors.append(f"{ref.workflow or ref.id}: {err.message}")
    if done:
        run.ledger = run.ledger.with_retry(head)
        run.retried.extend(r.id for r in done)
    else:
        run.ledger = run.ledger.with_claim(dataclasses.replace(claim, state="failed"))
    names = ", ".join(r.workflow or str(r.id) for r in done)
    count = f"retry {run.ledger.retries_on(head)}/{settings.max_retries} on {short_sha(head)}"
    if errors:
        return CommandResult(cmd, "failed", f"{note}re-ran {names or 'nothing'} ({count}); failed: {'; '.join(errors)}")
    return CommandResult(cmd, "done", f"{note}re-running failed jobs of {names} ({count})")


def _fix(cmd: Command, run: _Run, ops: CommandOps, who: Requester, settings: Settings) -> CommandResult:
    snapshot = run.ledger.snapshot
    if snapshot is None:
        return CommandResult(cmd, "refused", "there is no NEXUS report on this PR yet: nothing to fix")
    if not snapshot.failed:
        return CommandResult(cmd, "noop", "the latest report is green: nothing to fix")
    limit = settings.max_fix_requests
    if run.ledger.breaker_open or run.ledger.dispatched_fixes >= limit:
        run.ledger = run.ledger.with_breaker(True)
        return CommandResult(
            cmd,
            "refused",
            f"circuit breaker open: {run.ledger.dispatched_fixes} fix requests without a green run; "
            "a person is needed. An admin can re-arm it with `/nexus reset`",
        )
    head = _head(run, ops, who)
    if snapshot.head_sha and snapshot.head_sha != head:
        return CommandResult(
            cmd,
            "refused",
            f"the report is for {short_sha(snapshot.head_sha)} but the head is now {short_sha(head)}; "
            "wait for the new run's report",
        )
    target = select_target(snapshot, cmd.args[0] if cmd.args else None)
    if isinstance(target, str):
        return CommandResult(cmd, "refused", target)
    duplicate = recent_duplicate(run.ledger, target.fingerprint, who.now)
    if duplicate is not None:
        return CommandResult(
            cmd, "noop", f"{target.agent} was already asked to fix these failures at {duplicate.at}; not sent again"
        )
    claim = run.ledger.claim("fix", target.fingerprint, agent=target.agent)
    verdict = _claim(run, claim)
    if not verdict.won:
        run.ledger = run.ledger.with_claim(dataclasses.replace(claim, state="lost"))
        return CommandResult(cmd, "noop", f"not sent: {verdict.reason}{_ahead(verdict)}")
    request_id = request_id_for(target, who.comment_id)
    prompt = render_prompt(choose_template(target.agent, run.templates), target, snapshot, request_id, who.pr_url)
    payload = build_payload(
        target=target,
        snapshot=snapshot,
        prompt=prompt,
        request_id=request_id,
        requested_by=who.login,
        comment_url=who.comment_url,
        pr_url=who.pr_url,
        secrets=settings.secret_values(),
    )
    try:
        ops.dispatch(FIX_EVENT_TYPE, payload)
    except NexusError as err:
        return CommandResult(cmd, "failed", f"could not send the fix request to {target.agent}: {err.message}")
    run.ledger = run.ledger.with_fix(FixRecord(target.fingerprint, target.agent, format_iso(who.now), True))
    run.fix_requests.append(payload)
    sent = run.ledger.dispatched_fixes
    message = f"asked {target.agent} to fix {', '.join(j.name for j in target.jobs)} (request {sent}/{limit})"
    if sent >= limit:
        run.ledger = run.ledger.with_breaker(True)
        message += "; that was the last automatic request: next time a person is needed"
    return CommandResult(cmd, "done", message)


def _status(cmd: Command, run: _Run, settings: Settings) -> CommandResult:
    ledger = run.ledger
    snap = ledger.snapshot
    if snap is None:
        report = "no report yet"
    elif not snap.failed:
        report = f"green on {short_sha(snap.head_sha)}"
    else:
        report = f"{len(snap.jobs)} failed job(s) on {short_sha(snap.head_sha)}"
    retries = ", ".join(f"{short_sha(s)}: {n}" for s, n in ledger.retries_by_sha.items()) or "none"
    breaker = "OPEN (a person is needed)" if ledger.breaker_open else "closed"
    return CommandResult(
        cmd,
        "done",
        f"report: {report}; retries (max {settings.max_retries} per commit): {retries}; "
        f"fix requests: {ledger.dispatched_fixes}/{settings.max_fix_requests}; breaker {breaker}; "
        f"updates {'muted' if ledger.muted else 'on'}",
    )


def _explain(cmd: Command, run: _Run, settings: Settings) -> CommandResult:
    snapshot = run.ledger.snapshot
    if snapshot is None or not snapshot.jobs:
        return CommandResult(cmd, "noop", "there are no failed jobs in the report to explain")
    found = explain_job(snapshot, " ".join(cmd.args) or None, settings.secret_values())
    if isinstance(found, str):
        return CommandResult(cmd, "refused", found)
    name, reply = found
    return CommandResult(cmd, "done", f"explained {name} below", reply=reply)


def _simple(cmd: Command, run: _Run, settings: Settings) -> CommandResult:
    if cmd.name in ("mute", "unmute"):
        muted = cmd.name == "mute"
        was = run.ledger.muted
        run.ledger = run.ledger.with_muted(muted) if was != muted else run.ledger
        verb = "muted: the report will not be updated" if muted else "unmuted: the report updates again"
        return CommandResult(cmd, "done" if was != muted else "noop", verb if was != muted else f"already {cmd.name}d")
    if cmd.name == "reset":
        before = run.ledger.dispatched_fixes
        run.ledger = run.ledger.with_reset()
        return CommandResult(
            cmd, "done", f"circuit breaker re-armed ({before} earlier fix requests cleared); `/nexus fix` may dispatch"
        )
    if cmd.name == "help":
        return CommandResult(cmd, "done", "help posted below", reply=help_text(settings))
    return CommandResult(
        cmd,
        "refused",
        f"unknown command `{cmd.word}`",
        reply=f"`/nexus {cmd.word}` is not a command. Try one of: "
        + ", ".join(f"`/nexus {c}`" for c in KNOWN_COMMANDS)
        + ".",
    )


def execute(
    commands: Sequence[Command],
    ledger: Ledger,
    *,
    who: Requester,
    ops: CommandOps,
    settings: Settings,
    templates: Mapping[str, str] | None = None,
    claimer: Claimer | None = None,
) -> Outcome:
    """Run `commands` in order for `who`; returns the results and the updated ledger (with log entries).

    `claimer` settles re-runs and fix requests with concurrent commands (see `commands.claims`); without one
    (a dry run) this comment is taken to be the only one."""
    ledger = ledger.acting(who.comment_id, who.login, format_iso(who.now))
    run = _Run(ledger, templates if templates is not None else {}, claimer)
    results: list[CommandResult] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for cmd in commands:
        key = (cmd.name, tuple(a.lower() for a in cmd.args))
        gate = check_permission(who.login, who.permission, required_level(cmd.name, settings))
        if not gate.allowed:
            result = CommandResult(cmd, "refused", gate.reason)
        elif key in seen and cmd.name in ("retry", "fix", "reset"):
            # The same action twice in one comment is a slip, not a request to do it twice.
            result = CommandResult(cmd, "noop", "same command earlier in this comment; done once")
        else:
            result = _one(cmd, run, ops, who, settings)
        seen.add(key)
        results.append(result)
        run.ledger = log_result(run.ledger, result, who.login, who.now)
    return Outcome(tuple(results), run.ledger, tuple(run.fix_requests), tuple(run.retried))


def _claim(run: _Run, claim: Claim) -> Verdict:
    return run.claimer(run.ledger, claim) if run.claimer is not None else Verdict(True)


def _ahead(verdict: Verdict) -> str:
    if not verdict.rivals:
        return ""
    shown = ", ".join(f"#{i}" for i in verdict.rivals[:5] if i > 0)
    return f" (comments {shown} came first)" if shown else ""


def log_result(ledger: Ledger, result: CommandResult, login: str, now: datetime) -> Ledger:
    """The Commands section's line for one command: when, who, what was asked, and how it ended (bounded)."""
    text = f"{result.status}: {result.message}"
    return ledger.with_log(CommandRecord(format_iso(now), login, result.command.text[:100], text[:MAX_RESULT_CHARS]))


def _one(cmd: Command, run: _Run, ops: CommandOps, who: Requester, settings: Settings) -> CommandResult:
    try:
        if cmd.name == "retry":
            return _retry(cmd, run, ops, who, settings)
        if cmd.name == "fix":
            return _fix(cmd, run, ops, who, settings)
        if cmd.name == "status":
            return _status(cmd, run, settings)
        if cmd.name == "explain":
            return _explain(cmd, run, settings)
        return _simple(cmd, run, settings)
    except NexusError as err:
        # A read that GitHub refused (the PR, the run list): this command fails, the next ones still run.
        return CommandResult(cmd, "failed", err.message)
