"""Delivery scenarios: the stand-in's starting state, the run context, and the chain run against it.

Used twice: by `python -m tests.fakegithub.record` (live, against the stand-in, to write the cassettes)
and by tests/github/test_cassettes.py (replaying the cassettes with no server at all). The classifier and
the renderer are small stand-ins too, so the cassettes test delivery, not the wording of the report.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus_action.classify.model import Blocker, Classification
from nexus_action.config.settings import Settings
from nexus_action.delivery import AlertResult, DeliveryOutcome, deliver_report
from nexus_action.github.client import GitHubApi, connect
from nexus_action.github.failure import GitHubCallError
from nexus_action.github.runs import RunEvidence, classify_jobs, gather_run
from nexus_action.report.model import Snapshot
from nexus_action.runner.context import RunContext
from tests.fakegithub.server import FakeGitHub

REPO = "octo-org/octo-repo"
BOT = "github-actions[bot]"
SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
RUN_ID = 4242
MARKER = "<!-- nexus:report -->"
LOG = (
    "\ufeff2026-01-01T00:00:01.0000000Z ##[group]Run cargo clippy\n"
    "2026-01-01T00:00:02.0000000Z error: unused variable: `x`\n"
    "2026-01-01T00:00:02.0000000Z   --> src/lib.rs:3:9\n"
    "2026-01-01T00:00:03.0000000Z ##[error]Process completed with exit code 101.\n"
).encode()
ISSUE_TITLE = "NEXUS AutoFix report for PR #{}"


def is_report(body: str) -> bool:
    return body.lstrip().startswith(MARKER)


def classify(log: Any, **kw: Any) -> Classification:
    """Stand-in classifier: the first line that says `error` is the blocker. `log`: a path or a stream, as for
    classify_log (downloaded logs come as files)."""
    data = log.read_bytes() if isinstance(log, Path) else log.read()
    for number, raw in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
        if "error" in raw.lower():
            blocker = Blocker(log_line=number, text=raw.split("Z ", 1)[-1][:200], step=kw.get("step"))
            return Classification("rust", "Rex", "lint", "rust_clippy", 0.9, blocker, (blocker,))
    return Classification()


@dataclass(frozen=True)
class Report:
    comment_md: str
    issue_title: str
    issue_md: str
    issue_history_comment_md: str | None
    summary_md: str
    # Every attempt the stand-in renders is a new one, never muted: delivery may alert and write.
    should_alert: bool = True
    muted: bool = False


def make_render(snapshot: Snapshot, *, pad: int = 0) -> Callable[[str | None], Report]:
    """Stand-in renderer: keeps an attempt counter in a base64 state marker, like the real state block."""

    def render(previous: str | None) -> Report:
        attempts = 0
        if previous and "<!-- nexus:state v1 " in previous:
            blob = previous.split("<!-- nexus:state v1 ", 1)[1].split(" -->", 1)[0]
            attempts = int(json.loads(base64.b64decode(blob)).get("attempts", 0))
        state = base64.b64encode(json.dumps({"attempts": attempts + 1}).encode()).decode()
        status = "failing" if snapshot.failed else "passing again"
        lines = [f"{MARKER}\n<!-- nexus:state v1 {state} -->", f"## NEXUS AutoFix: {status} (run {snapshot.run_id})"]
        lines += [
            f"- {j.name}: {j.classification.failure_type} ({'log' if j.log_available else 'annotations'})"
            for j in snapshot.jobs
        ]
        body = "\n".join(lines) + "\n"
        title = ISSUE_TITLE.format(snapshot.pr_number)
        return Report(body + "x" * pad, title, body, f"Run {snapshot.run_id}: {status}", body)

    return render


@dataclass
class Scenario:
    name: str
    setup: Callable[[FakeGitHub], None]
    ctx: RunContext
    settings: Settings = field(default_factory=lambda: Settings(github_token="ghs_fake", http_retries=2))
    pad: int = 0  # extra characters in the comment body (body-too-long)
    webhook: bool = False


def _ctx(event: str = "pull_request", pr: int | None = 7, **kw: Any) -> RunContext:
    return RunContext(
        event_name=event,
        repository=REPO,
        server_url="https://github.example",
        run_id=RUN_ID,
        head_sha=SHA,
        pr_numbers=(pr,) if pr else (),
        workflow="CI",
        **kw,
    )


def _failing_pr(app: FakeGitHub, number: int = 7) -> None:
    app.add_pr(number, SHA, ("src/lib.rs", "Cargo.toml"))
    app.add_job(RUN_ID, "clippy", "failure", log=LOG, step="Run cargo clippy")
    app.add_job(RUN_ID, "build", "success", log=b"ok\n")


def _old_report(app: FakeGitHub, number: int = 7) -> None:
    state = base64.b64encode(json.dumps({"attempts": 1}).encode()).decode()
    app.add_comment(number, "Looks broken?", "octocat")
    # Someone pasting our marker into their own comment must never be taken for ours.
    app.add_comment(number, f"{MARKER}\n<!-- nexus:state v1 {state} --> fake", "mallory")
    app.add_comment(number, f"{MARKER}\n<!-- nexus:state v1 {state} -->\nold report", BOT)


def _first_failure(app: FakeGitHub) -> None:
    _failing_pr(app)


def _repeat_failure(app: FakeGitHub) -> None:
    _failing_pr(app)
    _old_report(app)


def _recovery(app: FakeGitHub) -> None:
    app.add_pr(7, SHA, ("src/lib.rs",))
    app.add_job(RUN_ID, "clippy", "success", log=b"ok\n")
    _old_report(app)
    app.labels["nexus-autofix"] = {"name": "nexus-autofix", "color": "d73a4a"}
    app.add_issue(ISSUE_TITLE.format(7), f"{MARKER}\nold issue report", BOT, ["nexus-autofix"])
    app.add_issue(ISSUE_TITLE.format(7), "copycat", "mallory", ["nexus-autofix"])


def _fork_pr(app: FakeGitHub) -> None:
    app.add_pr(9, SHA, ("web/app.ts",))
    # The job has no downloadable log (404): the report falls back to its annotations.
    job_id = app.add_job(RUN_ID, "lint", "failure", log=None, step="Run eslint")
    app.annotations[job_id] = [
        {"path": "web/app.ts", "start_line": 4, "annotation_level": "failure", "message": "error  'x' is unused"}
    ]


def _push_no_pr(app: FakeGitHub) -> None:
    app.add_job(RUN_ID, "clippy", "failure", log=LOG, step="Run cargo clippy")


def _paginated(app: FakeGitHub) -> None:
    _failing_pr(app)
    for i in range(230):
        app.add_comment(7, f"comment {i}", "octocat" if i % 2 else "hubot")
    _old_report(app)  # ours lands on page 3 (comments 201-233)


def _concurrent(app: FakeGitHub) -> None:
    _failing_pr(app)

    def other_run_also_posted(app: FakeGitHub, number: int) -> None:
        ours = app.comments[number][-1]
        other = app.add_comment(number, f"{MARKER}\nthe other run's report", BOT)
        # The other run's POST landed first: earlier timestamp, lower id.
        other.update(id=ours["id"] - 1, created_at="2026-01-01T00:00:00Z")
        other["html_url"] = other["html_url"].rsplit("-", 1)[0] + f"-{other['id']}"
        app.comments[number].sort(key=lambda c: c["id"])

    app.after_comment_created = other_run_also_posted


def _locked(app: FakeGitHub) -> None:
    _failing_pr(app)
    app.locked.add(7)


def _too_long(app: FakeGitHub) -> None:
    _failing_pr(app)
    app.labels["nexus-autofix"] = {"name": "nexus-autofix", "color": "d73a4a"}


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("first_failure", _first_failure, _ctx()),
        Scenario("repeat_failure", _repeat_failure, _ctx()),
        Scenario("recovery", _recovery, _ctx(run_conclusion="success")),
        Scenario("fork_pr_workflow_run", _fork_pr, _ctx("workflow_run", pr=None, is_fork=True)),
        Scenario("push_no_pr", _push_no_pr, _ctx("push", pr=None), webhook=True),
        Scenario("comments_paginated", _paginated, _ctx()),
        Scenario("concurrent_duplicate", _concurrent, _ctx()),
        Scenario("locked_conversation", _locked, _ctx()),
        Scenario("body_too_long", _too_long, _ctx(), pad=70_000),
    )
}


@dataclass
class ChainResult:
    outcome: DeliveryOutcome
    evidence: RunEvidence
    snapshot: Snapshot
    alerts: list[tuple[bool, bool]]
    sleeps: list[float]  # retry and rate-limit waits (the short settles before re-reads are left out)


def run_chain(scenario: Scenario, api_url: str, *, api: GitHubApi | None = None) -> ChainResult:
    """gather -> classify -> (find our comment -> render -> upsert) -> issue -> webhook, as the pipeline does."""
    sleeps: list[float] = []
    api = api or connect(
        scenario.settings, api_url, sleep=sleeps.append, clock=lambda: 1_767_225_600.0, random_fn=lambda: 0.0
    )
    ctx = scenario.ctx
    evidence = gather_run(api, ctx)
    if evidence.list_failure is not None:
        # This bare chain has nothing to report on; the real flow reports the failure (tests/test_delivery.py).
        raise GitHubCallError(evidence.list_failure)
    jobs = classify_jobs(evidence, workflow=ctx.workflow, classify=classify)
    snapshot = Snapshot(
        repository=ctx.repository,
        run_id=ctx.run_id,
        run_attempt=1,
        head_sha=ctx.head_sha,
        branch="feature",
        created_at="2026-01-01T00:00:00Z",
        jobs=jobs,
        pr_number=evidence.pr_number,
        run_url=ctx.run_url,
        workflow=ctx.workflow,
        conclusion="failure" if jobs else "success",
    )
    alerts: list[tuple[bool, bool]] = []

    def alert(_snap: Snapshot, comment_ok: bool, issue_ok: bool) -> AlertResult:
        alerts.append((comment_ok, issue_ok))
        return AlertResult(delivered=True)

    settings = scenario.settings
    if scenario.webhook:
        settings = Settings(
            **{**settings.__dict__, "alert_webhook_enabled": True, "alert_webhook_url": "https://hooks.example/x"}
        )
    outcome = deliver_report(
        api,
        repository=ctx.repository,
        pr_number=evidence.pr_number,
        snapshot=snapshot,
        settings=settings,
        render=make_render(snapshot, pad=scenario.pad),
        is_report=is_report,
        alert=alert,
    )
    retries = list(sleeps)
    for pause in api.ledger.settles:
        if pause:
            retries.remove(pause)
    return ChainResult(outcome, evidence, snapshot, alerts, retries)
