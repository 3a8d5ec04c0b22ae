"""Each should-process rule, with the reason text a user reads in the step summary."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from nexus_action.config.settings import Settings, load_settings
from nexus_action.guards import (
    filter_jobs,
    fix_request_id,
    is_fix_triggered,
    jobs_decision,
    loop_guard,
    should_process,
)
from nexus_action.runner.context import CommentInfo, RunContext, parse_context


def failed_run(**changes: Any) -> RunContext:
    base = RunContext(
        event_name="workflow_run",
        repository="octo/app",
        action="completed",
        run_id=42,
        run_conclusion="failure",
        workflow="CI",
        head_sha="a" * 40,
        head_branch="main",
        sender="alice",
        head_commit_message="Fix the parser",
        payload={"workflow_run": {"path": ".github/workflows/ci.yml", "event": "push"}},
    )
    return replace(base, **changes)


def comment(author: str, body: str) -> CommentInfo:
    return CommentInfo(1, body, author, author.endswith("[bot]"), "MEMBER", 7, True, "https://x/c/1")


def test_a_failed_run_is_processed() -> None:
    decision = should_process(failed_run(), Settings())
    assert decision.process
    assert decision.rule == "ok"


def test_unhandled_event_names_the_event_and_the_mode() -> None:
    decision = should_process(failed_run(event_name="issue_comment"), Settings())
    assert not decision.process
    assert decision.rule == "event"
    assert decision.reason.startswith("event 'issue_comment' is not handled in report mode")


def test_command_mode_handles_issue_comment_only() -> None:
    ctx = failed_run(event_name="issue_comment", comment=comment("alice", "/nexus retry"))
    assert should_process(ctx, Settings(mode="command")).process
    assert should_process(failed_run(), Settings(mode="command")).rule == "event"


def test_run_not_completed_yet() -> None:
    decision = should_process(failed_run(action="requested", run_conclusion=None), Settings())
    assert (decision.process, decision.reason) == (
        False,
        "workflow_run action is 'requested'; only completed runs are reported",
    )


@pytest.mark.parametrize("conclusion", ["failure", "timed_out", "startup_failure"])
def test_failed_conclusions_are_processed(conclusion: str) -> None:
    assert should_process(failed_run(run_conclusion=conclusion), Settings()).process


def test_success_without_report_is_skipped() -> None:
    decision = should_process(failed_run(run_conclusion="success"), Settings())
    assert not decision.process
    assert decision.reason == "the run succeeded and there is no earlier report to mark as recovered"


def test_success_with_a_report_is_a_recovery() -> None:
    assert should_process(failed_run(run_conclusion="success"), Settings(), report_exists=True).process


def test_cancelled_and_skipped_runs_are_skipped() -> None:
    assert should_process(failed_run(run_conclusion="cancelled"), Settings()).reason == "the run was cancelled"
    decision = should_process(failed_run(run_conclusion="skipped"), Settings())
    assert decision.reason == "the run's conclusion is 'skipped', not a failure"


def test_events_inside_the_run_have_no_conclusion_and_pass() -> None:
    ctx = failed_run(event_name="push", action="", run_conclusion=None, payload={})
    assert should_process(ctx, Settings()).process


def test_skip_nexus_marker_always_applies() -> None:
    decision = should_process(failed_run(head_commit_message="Bump deps [Skip-Nexus]"), Settings())
    assert (decision.process, decision.rule) == (False, "skip-marker")
    assert decision.reason == "the head commit message contains [skip-nexus]"


@pytest.mark.parametrize("marker", ["[skip ci]", "[ci skip]", "[no ci]", "[skip actions]", "[actions skip]"])
def test_skip_ci_markers_only_when_opted_in(marker: str) -> None:
    ctx = failed_run(head_commit_message=f"Docs only {marker}")
    assert should_process(ctx, Settings()).process
    decision = should_process(ctx, Settings(honor_skip_ci=True))
    assert decision.reason == f"the head commit message contains {marker}"


def test_own_identity_is_skipped_case_insensitively() -> None:
    decision = should_process(failed_run(sender="GitHub-Actions[bot]"), Settings())
    assert decision.rule == "sender"
    assert decision.reason == "the sender GitHub-Actions[bot] is this action's own identity"


def test_dependabot_and_renovate_are_reported_by_default() -> None:
    for bot in ("dependabot[bot]", "renovate[bot]"):
        assert should_process(failed_run(sender=bot, sender_is_bot=True), Settings()).process


def test_configured_skip_senders_with_globs() -> None:
    settings = load_settings({"AUTOFIX_SKIP_SENDERS": "renovate[[]bot], release-*"})
    assert should_process(failed_run(sender="renovate[bot]"), settings).reason == (
        "the sender renovate[bot] is in AUTOFIX_SKIP_SENDERS (renovate[[]bot])"
    )
    assert should_process(failed_run(sender="Release-Robot"), settings).rule == "sender"
    assert should_process(failed_run(sender="dependabot[bot]"), settings).process


def test_workflows_allow_list_by_name_or_path() -> None:
    assert should_process(failed_run(), Settings(workflows=("C*",))).process
    assert should_process(failed_run(workflow="Build"), Settings(workflows=(".github/workflows/ci.yml",))).process
    decision = should_process(failed_run(workflow="Nightly", payload={}), Settings(workflows=("CI", "Release")))
    assert decision.reason == "workflow 'Nightly' matches none of AUTOFIX_WORKFLOWS (CI, Release)"


def test_workflow_globs_are_case_sensitive() -> None:
    assert should_process(failed_run(payload={}), Settings(ignore_workflows=("ci",))).process
    decision = should_process(failed_run(), Settings(ignore_workflows=("Docs", "C?")))
    assert (decision.rule, decision.reason) == ("workflow", "workflow 'CI' matches AUTOFIX_IGNORE_WORKFLOWS (C?)")


def test_ignore_jobs_filters_and_skips_when_nothing_is_left() -> None:
    settings = Settings(ignore_jobs=("lint*", "docs"))
    assert filter_jobs(["build", "lint (3.12)", "docs", "test"], settings).kept == ("build", "test")
    assert filter_jobs(["build", "lint (3.12)"], settings).ignored == ("lint (3.12)",)
    assert jobs_decision(["build", "lint"], settings).process
    decision = jobs_decision(["lint", "docs"], settings)
    assert decision.reason == "every failed job is in AUTOFIX_IGNORE_JOBS (lint, docs)"


def test_workflow_job_event_checks_its_own_job() -> None:
    ctx = failed_run(event_name="workflow_job", job="lint", payload={})
    assert should_process(ctx, Settings(ignore_jobs=("lint",))).rule == "jobs"
    assert should_process(ctx, Settings(ignore_jobs=("test",))).process


def test_the_first_failing_rule_gives_the_reason() -> None:
    ctx = failed_run(run_conclusion="success", head_commit_message="[skip-nexus]")
    assert should_process(ctx, Settings()).rule == "conclusion"


def test_loop_guard_own_comment_and_marker() -> None:
    own = failed_run(event_name="issue_comment", comment=comment("github-actions[bot]", "/nexus retry"))
    decision = should_process(own, Settings(mode="command"))
    assert (decision.rule, decision.reason) == ("loop", "the comment was written by github-actions[bot] (this action)")
    pasted = failed_run(event_name="issue_comment", comment=comment("mallory", "/nexus fix <!-- nexus:state v1 x -->"))
    assert should_process(pasted, Settings(mode="command")).rule == "loop"
    custom = Settings(mode="command", bot_login="nexus-app[bot]")
    assert should_process(own, custom).process


def test_loop_guard_own_dispatch_and_the_run_it_started() -> None:
    dispatch = failed_run(event_name="repository_dispatch", action="nexus-autofix", payload={})
    decision = should_process(dispatch, Settings())
    assert decision.reason == "repository_dispatch nexus-autofix is this action's own fix request"
    run = {"event": "repository_dispatch", "triggering_actor": {"login": "github-actions[bot]"}}
    started = failed_run(payload={"workflow_run": run})
    assert loop_guard(started, Settings()) is not None
    by_person = failed_run(payload={"workflow_run": {**run, "triggering_actor": {"login": "alice"}}})
    assert loop_guard(by_person, Settings()) is None


def test_fix_triggered_by_trailer_or_dispatch() -> None:
    assert not is_fix_triggered(failed_run())
    msg = "Fix clippy lint\n\nNexus-Fix-Request: fr-7\nCo-authored-by: Bot <b@x>\n"
    assert fix_request_id(failed_run(head_commit_message=msg)) == "fr-7"
    assert not is_fix_triggered(failed_run(head_commit_message="mentions Nexus-Fix-Request: in prose"))
    dispatch = failed_run(
        event_name="repository_dispatch", action="nexus-autofix", payload={"client_payload": {"request": {"id": 9}}}
    )
    assert fix_request_id(dispatch) == "9"


EVENTS = Path(__file__).resolve().parent / "data" / "events"
RUN_EVENTS = ("workflow_run", "workflow_job", "check_run", "check_suite")


def real_examples() -> list[tuple[str, int, dict[str, Any]]]:
    found = []
    for event in RUN_EVENTS:
        examples = json.loads((EVENTS / f"{event}.json").read_text(encoding="utf-8"))
        found += [(event, i, payload) for i, payload in enumerate(examples)]
    return found


@pytest.mark.parametrize(("event", "index", "payload"), real_examples(), ids=lambda v: str(v)[:20])
def test_real_webhook_examples(event: str, index: int, payload: dict[str, Any]) -> None:
    """Each real example from @octokit/webhooks-examples gets the decision its action and conclusion call for."""
    ctx = parse_context({"GITHUB_EVENT_NAME": event}, payload)
    decision = should_process(ctx, Settings())
    if payload.get("action") != "completed":
        assert decision.rule == "event"
        assert decision.reason == f"{event} action is {payload['action']!r}; only completed runs are reported"
    elif ctx.run_conclusion == "success":
        assert decision.rule == "conclusion"
        assert should_process(ctx, Settings(), report_exists=True).process
    else:
        assert ctx.run_conclusion in (None, "failure")
        assert decision.process


def test_real_failed_workflow_run_on_a_pr_is_processed() -> None:
    payload = json.loads((EVENTS / "derived" / "workflow_run.failed_on_pr.json").read_text(encoding="utf-8"))
    ctx = parse_context({"GITHUB_EVENT_NAME": "workflow_run"}, payload)
    assert should_process(ctx, Settings()).process
    assert should_process(ctx, Settings(ignore_workflows=(ctx.workflow,))).rule == "workflow"
