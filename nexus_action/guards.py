"""Guards: decide whether to act at all, and never react to our own writes. Pure.

`should_process` is evaluated first by the report flow. When it says no, the action exits 0, writes
the reason to the step summary and writes nothing to GitHub. The rules run in a fixed order and the
first one that says no gives the reason, so a user reading the summary sees the one thing to change.
See docs/guards.md for the rules and the choices made where the issue was silent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from nexus_action.config.settings import Settings
from nexus_action.runner.context import SUPPORTED_EVENTS, RunContext

COMMAND_EVENTS = ("issue_comment",)
# Events the report mode acts on: every supported event but the command mode's, and repository_dispatch, which
# is accepted only so that the loop guard can end our own fix dispatch quietly.
REPORT_EVENTS = tuple(e for e in SUPPORTED_EVENTS if e not in (*COMMAND_EVENTS, "repository_dispatch"))
# Webhook events that carry a run's outcome only once the run is over.
COMPLETED_ACTION_EVENTS = ("workflow_run", "workflow_job", "check_run", "check_suite")
FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "startup_failure"})

SKIP_NEXUS_MARKER = "[skip-nexus]"
# GitHub's own skip markers: https://docs.github.com/actions/managing-workflow-runs/skipping-workflow-runs
SKIP_CI_MARKERS = ("[skip ci]", "[ci skip]", "[no ci]", "[skip actions]", "[actions skip]")

# The repository_dispatch event type `/nexus fix` sends; our own dispatches never start a report.
FIX_DISPATCH_TYPE = "nexus-autofix"
# A commit pushed by a fixer in answer to a fix request carries this git trailer.
FIX_TRAILER = "Nexus-Fix-Request"
_FIX_TRAILER_LINE = re.compile(rf"^{FIX_TRAILER}:[ \t]*(?P<id>\S+)[ \t]*$", re.IGNORECASE | re.MULTILINE)
# Every hidden block we write starts like this (report, dashboard); a comment holding one is ours.
REPORT_MARKER_PREFIX = "<!-- nexus:"


@dataclass(frozen=True)
class Decision:
    """Whether to process, and why: `rule` is a stable id for tests and outputs, `reason` is for people."""

    process: bool
    reason: str
    rule: str


@dataclass(frozen=True)
class JobFilter:
    kept: tuple[str, ...]
    ignored: tuple[str, ...]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _login(value: Any) -> str:
    login = _dict(value).get("login")
    return login if isinstance(login, str) else ""


def _same_login(a: str, b: str) -> bool:
    # GitHub logins are case-insensitive.
    return bool(a) and a.casefold() == b.casefold()


def _glob_any(name: str, patterns: Iterable[str]) -> str | None:
    """The first pattern that matches `name`, case-sensitive like GitHub's own path filters."""
    return next((p for p in patterns if fnmatchcase(name, p)), None)


def loop_guard(ctx: RunContext, settings: Settings) -> Decision | None:
    """A "no" when the event was caused by the action's own writes, else None.

    Our comments (author is bot_login, or the body holds our hidden marker), our `repository_dispatch`
    of type nexus-autofix, and a workflow run that such a dispatch started (triggering actor is our bot)
    would otherwise feed back into the action and loop.
    """
    if ctx.event_name == "issue_comment" and ctx.comment is not None:
        if _same_login(ctx.comment.author, settings.bot_login):
            return Decision(False, f"the comment was written by {settings.bot_login} (this action)", "loop")
        if REPORT_MARKER_PREFIX in ctx.comment.body:
            return Decision(False, "the comment holds a NEXUS report marker (written by this action)", "loop")
    if ctx.event_name == "repository_dispatch" and ctx.action == FIX_DISPATCH_TYPE:
        return Decision(False, f"repository_dispatch {FIX_DISPATCH_TYPE} is this action's own fix request", "loop")
    if ctx.event_name == "workflow_run":
        run = _dict(ctx.payload.get("workflow_run"))
        actor = _login(run.get("triggering_actor")) or _login(run.get("actor"))
        if run.get("event") == "repository_dispatch" and _same_login(actor, settings.bot_login):
            return Decision(
                False, f"the run was started by a repository_dispatch from {settings.bot_login} (this action)", "loop"
            )
    return None


def _event_decision(ctx: RunContext, settings: Settings) -> Decision | None:
    handled = COMMAND_EVENTS if settings.mode == "command" else REPORT_EVENTS
    if ctx.event_name not in handled:
        return Decision(
            False,
            f"event {ctx.event_name!r} is not handled in {settings.mode} mode (handled: {', '.join(handled)})",
            "event",
        )
    if ctx.event_name in COMPLETED_ACTION_EVENTS and ctx.action and ctx.action != "completed":
        return Decision(False, f"{ctx.event_name} action is {ctx.action!r}; only completed runs are reported", "event")
    return None


def _conclusion_decision(ctx: RunContext, report_exists: bool) -> Decision | None:
    conclusion = ctx.run_conclusion
    # Events raised inside the run (push, pull_request, schedule...) carry no conclusion: the job list decides.
    if conclusion is None or conclusion in FAILED_CONCLUSIONS:
        return None
    if conclusion == "success":
        if report_exists:
            return None
        return Decision(False, "the run succeeded and there is no earlier report to mark as recovered", "conclusion")
    if conclusion == "cancelled":
        # Mostly superseded runs (concurrency, a newer push): reporting them would be noise.
        return Decision(False, "the run was cancelled", "conclusion")
    return Decision(False, f"the run's conclusion is {conclusion!r}, not a failure", "conclusion")


def _skip_marker_decision(ctx: RunContext, settings: Settings) -> Decision | None:
    message = ctx.head_commit_message.casefold()
    markers = (SKIP_NEXUS_MARKER, *SKIP_CI_MARKERS) if settings.honor_skip_ci else (SKIP_NEXUS_MARKER,)
    found = next((m for m in markers if m in message), None)
    if found:
        return Decision(False, f"the head commit message contains {found}", "skip-marker")
    return None


def _sender_decision(ctx: RunContext, settings: Settings) -> Decision | None:
    if _same_login(ctx.sender, settings.bot_login):
        return Decision(False, f"the sender {ctx.sender} is this action's own identity", "sender")
    lowered = ctx.sender.casefold()
    pattern = _glob_any(lowered, (p.casefold() for p in settings.skip_senders)) if ctx.sender else None
    if pattern:
        return Decision(False, f"the sender {ctx.sender} is in AUTOFIX_SKIP_SENDERS ({pattern})", "sender")
    return None


def workflow_names(ctx: RunContext) -> tuple[str, ...]:
    """The names a workflow pattern may match: its display name and, when known, its file path."""
    path = _dict(ctx.payload.get("workflow_run")).get("path")
    names = [ctx.workflow]
    if isinstance(path, str) and path:
        names.append(path)
    return tuple(n for n in names if n)


def _workflow_decision(ctx: RunContext, settings: Settings) -> Decision | None:
    names = workflow_names(ctx)
    if not names:
        return None
    label = names[0]
    if settings.workflows and not any(_glob_any(n, settings.workflows) for n in names):
        return Decision(
            False, f"workflow {label!r} matches none of AUTOFIX_WORKFLOWS ({', '.join(settings.workflows)})", "workflow"
        )
    for name in names:
        pattern = _glob_any(name, settings.ignore_workflows)
        if pattern:
            return Decision(False, f"workflow {label!r} matches AUTOFIX_IGNORE_WORKFLOWS ({pattern})", "workflow")
    return None


def filter_jobs(job_names: Sequence[str], settings: Settings) -> JobFilter:
    """Split job names into those to report and those AUTOFIX_IGNORE_JOBS leaves out (order kept)."""
    ignored = tuple(n for n in job_names if _glob_any(n, settings.ignore_jobs))
    return JobFilter(kept=tuple(n for n in job_names if n not in ignored), ignored=ignored)


def jobs_decision(job_names: Sequence[str], settings: Settings) -> Decision:
    """After the failed jobs are known: a "no" when every one of them is ignored."""
    result = filter_jobs(job_names, settings)
    if job_names and not result.kept:
        return Decision(False, f"every failed job is in AUTOFIX_IGNORE_JOBS ({', '.join(result.ignored)})", "jobs")
    return Decision(True, "", "jobs")


def should_process(ctx: RunContext, settings: Settings, *, report_exists: bool = False) -> Decision:
    """The should-process filter. `report_exists`: a report is already open for this PR/branch (recovery)."""
    checks: tuple[Callable[[], Decision | None], ...] = (
        lambda: loop_guard(ctx, settings),
        lambda: _event_decision(ctx, settings),
        lambda: _conclusion_decision(ctx, report_exists) if settings.mode == "report" else None,
        lambda: _skip_marker_decision(ctx, settings),
        lambda: _sender_decision(ctx, settings),
        lambda: _workflow_decision(ctx, settings) if settings.mode == "report" else None,
        # workflow_job / check_run events name their single job up front.
        lambda: jobs_decision((ctx.job,), settings) if ctx.event_name in ("workflow_job", "check_run") else None,
    )
    for check in checks:
        decision = check()
        if decision is not None and not decision.process:
            return decision
    return Decision(True, "all guards passed", "ok")


def fix_request_id(ctx: RunContext) -> str | None:
    """The fix request this run answers, if any: our dispatch's id, or the head commit's trailer."""
    if ctx.event_name == "repository_dispatch" and ctx.action == FIX_DISPATCH_TYPE:
        request = _dict(_dict(ctx.payload.get("client_payload")).get("request")) or _dict(
            ctx.payload.get("client_payload")
        )
        value = request.get("id")
        return str(value) if value not in (None, "") else FIX_DISPATCH_TYPE
    # git reads the last trailer of a key as the one in force.
    ids = [m.group("id") for m in _FIX_TRAILER_LINE.finditer(ctx.head_commit_message)]
    return ids[-1] if ids else None


def is_fix_triggered(ctx: RunContext) -> bool:
    """True when this run was started by a fix the action requested (the report labels it so)."""
    return fix_request_id(ctx) is not None
