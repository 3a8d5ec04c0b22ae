from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nexus_action.errors import NexusError
from nexus_action.runner.context import (
    NULL_SHA,
    SUPPORTED_EVENTS,
    guess_event_name,
    load_event,
    parse_context,
    with_overrides,
)

EVENTS = Path(__file__).parent.parent / "data" / "events"
REAL_EVENTS = (
    "workflow_run",
    "workflow_job",
    "check_run",
    "check_suite",
    "pull_request",
    "push",
    "issue_comment",
    "workflow_dispatch",
)


def _examples(event: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((EVENTS / f"{event}.json").read_text(encoding="utf-8"))
    return data


def _derived(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / "derived" / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _env(event: str, **extra: str) -> dict[str, str]:
    env = {
        "GITHUB_EVENT_NAME": event,
        "GITHUB_REPOSITORY": "env-owner/env-repo",
        "GITHUB_RUN_ID": "1111",
        "GITHUB_RUN_ATTEMPT": "3",
        "GITHUB_JOB": "report",
        "GITHUB_SHA": "e" * 40,
        "GITHUB_REF": "refs/heads/env-branch",
        "GITHUB_WORKFLOW": "NEXUS",
        "GITHUB_SERVER_URL": "https://github.example.com/",
        "GITHUB_API_URL": "https://github.example.com/api/v3",
    }
    env.update(extra)
    return env


ALL_REAL = [(event, i, ex) for event in REAL_EVENTS for i, ex in enumerate(_examples(event))]


def test_fixtures_hold_every_example_of_each_event() -> None:
    # Counts in @octokit/webhooks-examples 7.6.1; a shrunken fixture would quietly test less.
    counts = {event: len(_examples(event)) for event in REAL_EVENTS}
    assert counts == {
        "workflow_run": 5,
        "workflow_job": 8,
        "check_run": 9,
        "check_suite": 9,
        "pull_request": 29,
        "push": 7,
        "issue_comment": 9,
        "workflow_dispatch": 2,
    }


@pytest.mark.parametrize(("event", "index", "payload"), ALL_REAL, ids=[f"{e}-{i}" for e, i, _ in ALL_REAL])
def test_every_real_example_parses(event: str, index: int, payload: dict[str, Any]) -> None:
    ctx = parse_context(_env(event), payload)
    assert ctx.event_name == event
    assert ctx.repository == payload["repository"]["full_name"]
    assert ctx.sender == payload["sender"]["login"]
    assert ctx.sender_is_bot == (payload["sender"]["type"] == "Bot")
    assert ctx.action == payload.get("action", "")
    assert ctx.server_url == "https://github.example.com"
    assert ctx.api_url == "https://github.example.com/api/v3"
    assert ctx.head_sha
    assert len(ctx.head_sha) == 40


@pytest.mark.parametrize("payload", _examples("workflow_run"))
def test_workflow_run_reports_on_the_triggering_run(payload: dict[str, Any]) -> None:
    run = payload["workflow_run"]
    ctx = parse_context(_env("workflow_run"), payload)
    assert ctx.run_id == run["id"]
    assert ctx.run_attempt == run["run_attempt"]
    assert ctx.head_sha == run["head_sha"]
    assert ctx.head_branch == run["head_branch"]
    assert ctx.run_conclusion == run["conclusion"]
    assert ctx.pr_numbers == tuple(pr["number"] for pr in run["pull_requests"])
    assert ctx.workflow == (run["name"] or payload["workflow"]["name"])
    assert ctx.html_url == run["html_url"]
    assert ctx.is_fork == (run["head_repository"]["full_name"] != run["repository"]["full_name"])


@pytest.mark.parametrize("payload", _examples("workflow_job"))
def test_workflow_job_names_the_job_and_its_run(payload: dict[str, Any]) -> None:
    job = payload["workflow_job"]
    ctx = parse_context(_env("workflow_job"), payload)
    assert ctx.run_id == job["run_id"]
    assert ctx.job == job["name"]
    assert ctx.job_id == job["id"]
    assert ctx.head_sha == job["head_sha"]
    assert ctx.run_conclusion == job["conclusion"]
    assert ctx.run_attempt == job.get("run_attempt", 3)


@pytest.mark.parametrize("event", ["check_run", "check_suite"])
def test_check_events_carry_pr_numbers_and_conclusion(event: str) -> None:
    for payload in _examples(event):
        check = payload[event]
        ctx = parse_context(_env(event), payload)
        assert ctx.pr_numbers == tuple(pr["number"] for pr in check["pull_requests"])
        assert ctx.head_sha == check["head_sha"]
        assert ctx.run_conclusion == check["conclusion"]
        assert ctx.is_fork is False
        if event == "check_run":
            assert ctx.job == check["name"]
            assert ctx.head_branch == check["check_suite"]["head_branch"]
        else:
            assert ctx.head_branch == check["head_branch"]


def test_failed_check_run_is_seen_as_failure_on_pr_2() -> None:
    failed = [p for p in _examples("check_run") if p["check_run"]["conclusion"] == "failure"]
    assert failed
    ctx = parse_context(_env("check_run"), failed[0])
    assert (ctx.run_conclusion, ctx.pr_number) == ("failure", 2)


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target"])
def test_pull_request_events_use_the_pr_head_not_the_merge_commit(event: str) -> None:
    for payload in _examples("pull_request"):
        pr = payload["pull_request"]
        ctx = parse_context(_env(event, GITHUB_HEAD_REF=pr["head"]["ref"]), payload)
        assert ctx.pr_numbers == (payload["number"],)
        assert ctx.head_sha == pr["head"]["sha"] != "e" * 40
        assert ctx.head_branch == pr["head"]["ref"]
        assert ctx.base_branch == pr["base"]["ref"]
        assert ctx.is_fork is False
        assert ctx.pr_url == f"https://github.example.com/{ctx.repository}/pull/{payload['number']}"
        assert ctx.checks_url == f"{ctx.pr_url}/checks"


@pytest.mark.parametrize("payload", _examples("push"))
def test_push_takes_ref_and_after(payload: dict[str, Any]) -> None:
    ctx = parse_context(_env("push"), payload)
    assert ctx.ref == payload["ref"]
    assert ctx.head_branch == payload["ref"].split("/", 2)[2]
    assert ctx.pr_numbers == ()
    if payload["after"] == NULL_SHA:
        # A deleted ref has no head commit; fall back to the runner's GITHUB_SHA rather than 000...0.
        assert ctx.head_sha == "e" * 40
    else:
        assert ctx.head_sha == payload["after"]
        assert ctx.head_commit_message == payload["head_commit"]["message"]


@pytest.mark.parametrize("payload", _examples("issue_comment"))
def test_issue_comment_on_a_plain_issue_has_no_pr(payload: dict[str, Any]) -> None:
    ctx = parse_context(_env("issue_comment"), payload)
    assert ctx.comment is not None
    assert ctx.comment.id == payload["comment"]["id"]
    assert ctx.comment.body == payload["comment"]["body"]
    assert ctx.comment.author == payload["comment"]["user"]["login"]
    assert ctx.comment.issue_number == payload["issue"]["number"]
    assert ctx.comment.on_pull_request is False
    assert ctx.pr_numbers == ()


@pytest.mark.parametrize("payload", _examples("workflow_dispatch"))
def test_workflow_dispatch_without_inputs(payload: dict[str, Any]) -> None:
    ctx = parse_context(_env("workflow_dispatch"), payload)
    assert ctx.ref == payload["ref"]
    assert ctx.head_branch == payload["ref"].removeprefix("refs/heads/")
    assert ctx.inputs == {}
    assert ctx.head_sha == "e" * 40


def test_failed_workflow_run_on_a_pr() -> None:
    ctx = parse_context(_env("workflow_run"), _derived("workflow_run.failed_on_pr"))
    assert ctx.run_conclusion == "failure"
    assert ctx.pr_number == 42
    assert ctx.is_fork is False
    assert ctx.run_attempt == 2
    assert ctx.workflow == "CI"
    assert ctx.head_branch == "fix-parser"
    assert ctx.run_url == f"https://github.example.com/octo-org/octo-repo/actions/runs/{ctx.run_id}/attempts/2"


def test_fork_pr_workflow_run_has_no_pr_number_and_is_a_fork() -> None:
    payload = _derived("workflow_run.fork_pr")
    ctx = parse_context(_env("workflow_run"), payload)
    assert ctx.pr_numbers == ()
    assert ctx.is_fork is True
    assert ctx.head_repository == "outside-contributor/octo-repo"
    assert ctx.repository == "octo-org/octo-repo"
    assert ctx.head_sha == payload["workflow_run"]["head_sha"]
    assert ctx.run_url == f"https://github.example.com/octo-org/octo-repo/actions/runs/{ctx.run_id}"


def test_issue_comment_on_a_pr_carries_the_slash_command() -> None:
    ctx = parse_context(_env("issue_comment"), _derived("issue_comment.retry_on_pr"))
    assert ctx.comment is not None
    assert ctx.comment.on_pull_request is True
    assert "/nexus retry" in ctx.comment.body.splitlines()
    assert ctx.comment.author_association == "COLLABORATOR"
    assert ctx.pr_numbers == (ctx.comment.issue_number,)
    assert ctx.comment.author_is_bot is False


def test_workflow_dispatch_inputs_are_kept_as_strings() -> None:
    ctx = parse_context(_env("workflow_dispatch"), _derived("workflow_dispatch.with_inputs"))
    assert ctx.inputs == {"dry-run": "true", "log-path": "tests/data/logs", "pr": "7"}
    payload = _derived("workflow_dispatch.with_inputs")
    payload["inputs"] = {"flag": True, "count": 3}
    assert parse_context(_env("workflow_dispatch"), payload).inputs == {"flag": "true", "count": "3"}


def test_pull_request_target_from_a_fork_is_a_fork() -> None:
    ctx = parse_context(_env("pull_request_target"), _derived("pull_request_target.fork"))
    assert ctx.is_fork is True
    assert ctx.head_repository == "outside-contributor/Hello-World"
    same = parse_context(_env("pull_request_target"), _derived("pull_request_target.same_repo"))
    assert same.is_fork is False


def test_deleted_fork_counts_as_a_fork() -> None:
    ctx = parse_context(_env("pull_request"), _derived("pull_request.deleted_fork"))
    assert ctx.is_fork is True
    assert ctx.pr_number == 2


def test_bot_sender_is_recognised_by_type_or_login() -> None:
    payload = _examples("issue_comment")[0]
    payload["sender"] = {"login": "renovate[bot]", "type": "User"}
    assert parse_context(_env("issue_comment"), payload).sender_is_bot is True
    payload["sender"] = {"login": "dependabot", "type": "Bot"}
    assert parse_context(_env("issue_comment"), payload).sender_is_bot is True


def test_env_fills_what_the_payload_lacks() -> None:
    ctx = parse_context(_env("workflow_dispatch", GITHUB_RUN_ATTEMPT="junk"), {"ref": "refs/tags/v1", "inputs": {}})
    assert ctx.repository == "env-owner/env-repo"
    assert ctx.run_id == 1111
    assert ctx.run_attempt == 1
    assert ctx.job == "report"
    assert ctx.workflow == "NEXUS"
    assert ctx.head_branch == "v1"
    assert (ctx.owner, ctx.repo_name) == ("env-owner", "env-repo")


def test_unsupported_event_names_the_event_and_the_supported_ones() -> None:
    with pytest.raises(NexusError) as info:
        parse_context(_env("release"), {"repository": {"full_name": "a/b"}})
    assert info.value.code == "NEXUS-EVENT-UNSUPPORTED"
    assert "'release'" in info.value.message
    assert all(event in info.value.hint for event in SUPPORTED_EVENTS)


def test_missing_event_name_is_invalid() -> None:
    env = _env("push")
    del env["GITHUB_EVENT_NAME"]
    with pytest.raises(NexusError) as info:
        parse_context(env, {})
    assert info.value.code == "NEXUS-EVENT-INVALID"


def test_missing_repository_everywhere_is_invalid() -> None:
    env = _env("push")
    del env["GITHUB_REPOSITORY"]
    with pytest.raises(NexusError, match="GITHUB_REPOSITORY") as info:
        parse_context(env, {"ref": "refs/heads/x"})
    assert info.value.code == "NEXUS-EVENT-INVALID"


# Odd shapes a broken or hand-written payload may have for one of its objects.
ODD_VALUES: list[Any] = [None, [], "x", 7, True, {}, {"id": "not-a-number"}, {"number": None, "id": []}]


FUZZ_CASES = [
    ("workflow_run", "workflow_run"),
    ("workflow_job", "workflow_job"),
    ("check_run", "check_run"),
    ("check_suite", "check_suite"),
    ("pull_request", "pull_request"),
    ("pull_request_target", "pull_request"),
    ("issue_comment", "issue"),
    ("issue_comment", "comment"),
    ("push", "head_commit"),
    ("workflow_dispatch", "inputs"),
]


def _parse_or_code(event: str, payload: Any) -> str:
    """ "ok" when the payload parsed, else the NexusError code; anything else escapes and fails the test."""
    try:
        ctx = parse_context(_env(event), payload)
    except NexusError as err:
        return err.code
    return "ok" if ctx.event_name == event else "wrong event"


@pytest.mark.parametrize(("event", "key"), FUZZ_CASES)
def test_odd_typed_payloads_give_a_nexus_error_or_a_context_never_a_crash(event: str, key: str) -> None:
    source = "pull_request" if event == "pull_request_target" else event
    base = _examples(source)[0]
    for odd in ODD_VALUES:
        assert _parse_or_code(event, {**base, key: odd}) in ("ok", "NEXUS-EVENT-INVALID")
    for odd_top in ({}, {"repository": "a/b"}, {"repository": {"full_name": 5}, "sender": "x"}):
        assert _parse_or_code(event, odd_top) in ("ok", "NEXUS-EVENT-INVALID")


def test_required_parts_missing_are_named() -> None:
    with pytest.raises(NexusError, match="workflow_run") as info:
        parse_context(_env("workflow_run"), {"workflow_run": None})
    assert info.value.code == "NEXUS-EVENT-INVALID"
    with pytest.raises(NexusError, match=r"pull_request\.number"):
        parse_context(_env("pull_request"), {"pull_request": {"head": {}}})
    with pytest.raises(NexusError, match=r"issue\.number and comment\.id"):
        parse_context(_env("issue_comment"), {"issue": {"number": 1}, "comment": {"body": "/nexus retry"}})


@pytest.mark.parametrize("payload", [[], "text", 3, None])
def test_a_payload_that_is_not_an_object_is_invalid(payload: Any) -> None:
    with pytest.raises(NexusError) as info:
        parse_context(_env("push"), payload)
    assert info.value.code == "NEXUS-EVENT-INVALID"


def test_load_event_reads_a_real_file(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(_examples("push")[0]), encoding="utf-8")
    assert load_event(path)["ref"] == "refs/tags/simple-tag"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"ref": "refs/heads/x", "after": ', "is not JSON (line 1"),
        ("[1, 2]", "holds a list, not an object"),
        ("", "is not JSON"),
        (b"\xff\xfe{}", "cannot read event file"),
    ],
)
def test_load_event_rejects_broken_files(tmp_path: Path, content: str | bytes, fragment: str) -> None:
    path = tmp_path / "event.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(NexusError) as info:
        load_event(path)
    assert info.value.code == "NEXUS-EVENT-INVALID"
    assert fragment in info.value.message
    assert str(path) in info.value.message


def test_load_event_without_a_path_or_with_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NexusError, match="GITHUB_EVENT_PATH is not set"):
        load_event(None)
    with pytest.raises(NexusError, match="cannot read event file") as info:
        load_event(tmp_path / "nope.json")
    assert info.value.code == "NEXUS-EVENT-INVALID"


@pytest.mark.parametrize("event", REAL_EVENTS)
def test_guess_event_name_recognises_each_real_payload(event: str) -> None:
    assert {guess_event_name(p) for p in _examples(event)} == {event}


def test_guess_event_name_gives_up_on_unknown_payloads() -> None:
    assert guess_event_name({"zen": "Keep it logically awesome."}) is None


def test_with_overrides_puts_cli_values_first() -> None:
    ctx = parse_context(_env("workflow_run"), _derived("workflow_run.failed_on_pr"))
    assert with_overrides(ctx) is ctx
    new = with_overrides(ctx, sha="a" * 40, pr=7, run_id=5, run_attempt=1)
    assert (new.head_sha, new.pr_numbers, new.run_id, new.run_attempt) == ("a" * 40, (7, 42), 5, 1)
    assert with_overrides(ctx, pr=42).pr_numbers == (42,)


def test_with_overrides_repository() -> None:
    ctx = parse_context(_env("push"), _examples("push")[4])
    assert with_overrides(ctx, repository="me/fork").repository == "me/fork"
    with pytest.raises(NexusError, match="owner/name") as info:
        with_overrides(ctx, repository="justname")
    assert info.value.code == "NEXUS-INPUT-INVALID"
