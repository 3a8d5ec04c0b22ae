from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nexus_action.errors import NexusError
from nexus_action.runner.load import RunFlags, load_run_context, report_context

EVENTS = Path(__file__).resolve().parent.parent / "data" / "events"


def _flags(**given: Any) -> RunFlags:
    return RunFlags(**given)


def test_load_run_context_guesses_the_event_of_a_file_given_on_a_laptop() -> None:
    path = EVENTS / "derived" / "workflow_run.fork_pr.json"
    ctx = load_run_context(_flags(event=str(path), pr=77), {"GITHUB_EVENT_NAME": "push"})
    assert ctx.event_name == "workflow_run"  # the file's, not the runner's
    assert ctx.is_fork is True
    assert ctx.pr_numbers == (77,)


def test_load_run_context_from_the_runner_variables() -> None:
    env = {"GITHUB_EVENT_PATH": str(EVENTS / "derived" / "issue_comment.retry_on_pr.json")}
    env["GITHUB_EVENT_NAME"] = "issue_comment"
    ctx = load_run_context(_flags(repo="me/mine", sha="b" * 40), env)
    assert ctx.comment is not None
    assert (ctx.repository, ctx.head_sha) == ("me/mine", "b" * 40)


def test_load_run_context_needs_a_name_it_cannot_guess(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"zen": "hi"}), encoding="utf-8")
    with pytest.raises(NexusError, match="--event-name") as info:
        load_run_context(_flags(event=str(path)), {})
    assert info.value.code == "NEXUS-EVENT-INVALID"
    ctx = load_run_context(_flags(event=str(path), event_name="workflow_dispatch", repo="a/b"), {})
    assert ctx.event_name == "workflow_dispatch"


def test_missing_event_file_is_a_clean_error() -> None:
    with pytest.raises(NexusError) as info:
        load_run_context(_flags(), {})
    assert info.value.code == "NEXUS-EVENT-INVALID"


def test_without_an_event_file_a_report_context_is_made_from_the_flags() -> None:
    ctx = report_context(_flags(repo="a/b", pr=5, sha="c" * 40), {})
    assert (ctx.event_name, ctx.repository, ctx.pr_numbers, ctx.head_sha) == ("pull_request", "a/b", (5,), "c" * 40)
    assert report_context(_flags(repo="a/b"), {}).event_name == "workflow_dispatch"


def test_flags_are_read_off_parsed_arguments() -> None:
    class Parsed:
        repo = "x/y"
        pr = 3
        log = ("ignored",)

    assert RunFlags.of(Parsed()) == RunFlags(repo="x/y", pr=3)
