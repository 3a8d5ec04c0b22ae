"""Slash-command scenarios: the stand-in's starting state, the comments typed, and the handling of each.

Used twice: by `python -m tests.commands.record` (live against the stand-in, writing the cassettes) and by
tests/commands/test_cassettes.py (replaying them with no server). Setup is deterministic, so replay builds the
same comment ids and bodies without a server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from nexus_action.classify.model import Blocker, Classification
from nexus_action.commands.github_ops import GitHubCommandOps
from nexus_action.commands.handle import Handled, handle_comment
from nexus_action.config.settings import Settings
from nexus_action.github.client import connect
from nexus_action.report import render_comment
from nexus_action.report.model import FailedJob, Snapshot
from nexus_action.report.state import FixRequest, ReportState
from nexus_action.runner.context import CommentInfo, RunContext
from tests.commands.standin import CommandsGitHub

REPO = "octo-org/octo-repo"
BOT = "github-actions[bot]"
PR = 7
SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
NEW_SHA = "9c1185a5c5e9fc54612808977ee8f548b2258d31"
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
SETTINGS = Settings(github_token="test-token-not-real", max_retries=2, max_fix_requests=3)


def _job(name: str, domain: str, agent: str, text: str, file: str) -> FailedJob:
    top = Blocker(log_line=2, text=text, file=file, line=3, column=9, step="Test")
    return FailedJob(
        name=name,
        url=f"https://github.example/{REPO}/actions/runs/4242/job/{len(name)}",
        job_id=len(name),
        classification=Classification(domain, agent, "lint", "rust_clippy", 0.9, top, (top,)),
    )


SNAPSHOT = Snapshot(
    repository=REPO,
    run_id=4242,
    run_attempt=1,
    head_sha=SHA,
    branch="feature",
    created_at="2026-01-01T11:00:00Z",
    jobs=(
        _job("clippy", "rust", "Rex", "error: unused variable: `x`", "src/lib.rs"),
        _job("web-lint", "frontend", "Blaze", "error  'y' is assigned a value but never used", "web/app.ts"),
    ),
    pr_number=PR,
    run_url=f"https://github.example/{REPO}/actions/runs/4242",
    workflow="CI",
    server_url="https://github.example",
)


@dataclass(frozen=True)
class Typed:
    """One comment typed on the PR: who, what, their permission, and when it is handled."""

    author: str
    body: str
    permission: tuple[str, str] | None = ("write", "write")
    after: timedelta = timedelta(0)


@dataclass(frozen=True)
class Scenario:
    comments: tuple[Typed, ...]
    state: ReportState | None = field(default_factory=lambda: ReportState(latest=SNAPSHOT))
    head: str = SHA
    setup: Callable[[CommandsGitHub], None] | None = None
    redeliver_first: bool = False  # handle the first comment twice, as a redelivered webhook would


def _runs(app: CommandsGitHub) -> None:
    app.add_run(4100, "CI", SHA)  # an older failure of the same workflow: superseded by 4242
    app.add_run(4242, "CI", SHA)
    app.add_run(4243, "Lint", SHA)
    app.add_run(4300, "CI", "0" * 40)  # another commit


def _rex_template(app: CommandsGitHub) -> None:
    app.files[".github/nexus/templates/rex.md"] = "Repo-specific Rex prompt for $repository: $top_blocker ($request_id)"


_BREAKER_STATE = ReportState(
    latest=SNAPSHOT,
    fix_requests=(
        FixRequest("f1", "Rex", "2026-01-01T09:00:00Z", True),
        FixRequest("f2", "Rex", "2026-01-01T10:00:00Z", True),
    ),
)

SCENARIOS: dict[str, Scenario] = {
    "retry": Scenario((Typed("octocat", "Looks flaky.\r\n/nexus retry\r\n"),), setup=_runs, redeliver_first=True),
    "retry_head_moved": Scenario((Typed("octocat", "/nexus retry"),), head=NEW_SHA, setup=_runs),
    "retry_limit": Scenario(
        (Typed("octocat", "/nexus retry"),),
        state=ReportState(latest=SNAPSHOT, retries_by_sha={SHA: 2}),
        setup=_runs,
    ),
    "fix": Scenario((Typed("octocat", "> /nexus retry\n/nexus fix"),), setup=_rex_template),
    "refusal": Scenario(
        (
            Typed("reader", "/nexus retry", permission=("read", "read")),
            Typed("stranger", "/nexus fix", permission=None),
            Typed("dependabot[bot]", "/nexus retry"),
        ),
        setup=_runs,
    ),
    "breaker": Scenario(
        (
            Typed("octocat", "/nexus fix"),
            Typed("octocat", "/nexus fix blaze", after=timedelta(minutes=1)),
            Typed("octocat", "/nexus reset", after=timedelta(minutes=2)),
            Typed("boss", "/nexus reset\n/nexus fix blaze", ("admin", "admin"), after=timedelta(minutes=3)),
        ),
        state=_BREAKER_STATE,
    ),
    "first_command_no_report": Scenario((Typed("octocat", "/nexus status\n/nexus help"),), state=None),
}


def setup(name: str, app: CommandsGitHub) -> list[CommentInfo]:
    """Fill the stand-in for `name`; returns the typed comments as the event would carry them."""
    scenario = SCENARIOS[name]
    app.repository = REPO
    app.server_url = "https://github.example"
    app.add_pr(PR, head_sha=scenario.head)
    if scenario.state is not None:
        app.add_comment(PR, render_comment(scenario.state, settings=SETTINGS), BOT)
    if scenario.setup:
        scenario.setup(app)
    comments = []
    for typed in scenario.comments:
        if typed.permission:
            app.permissions[typed.author] = typed.permission
        c = app.add_comment(PR, typed.body, typed.author)
        comments.append(
            CommentInfo(
                id=c["id"],
                body=typed.body,
                author=typed.author,
                author_is_bot=typed.author.endswith("[bot]"),
                author_association="MEMBER",
                issue_number=PR,
                on_pull_request=True,
                url=c["html_url"],
            )
        )
    return comments


def run(name: str, api_url: str, comments: list[CommentInfo]) -> list[Handled]:
    """Handle every comment of the scenario in order, as separate workflow runs would."""
    scenario = SCENARIOS[name]
    ctx = RunContext(event_name="issue_comment", repository=REPO, server_url="https://github.example", api_url=api_url)
    slept: list[float] = []
    api = connect(SETTINGS, api_url, sleep=slept.append, clock=lambda: 0.0, random_fn=lambda: 0.5)
    ops = GitHubCommandOps(api, REPO, PR, SETTINGS.bot_login)
    handled = []
    order = [comments[0], *comments] if scenario.redeliver_first else comments
    typed_by_id = {c.id: t for c, t in zip(comments, scenario.comments, strict=True)}
    for comment in order:
        when = NOW + typed_by_id[comment.id].after
        handled.append(handle_comment(ctx, dataclasses.replace(comment), ops, SETTINGS, now=when))
    return handled
