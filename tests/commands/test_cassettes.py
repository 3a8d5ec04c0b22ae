"""Replay the slash-command cassettes (recorded against tests/commands/standin.py) with no server at all.

`record_mode="none"`: a request the code makes that is not in the cassette fails the test, and every
recorded request must be played. Bodies match exactly, except the sticky comment's markdown, whose wording
belongs to the renderer: there the hidden state must match instead (counts, log, breaker, processed ids).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import vcr

from nexus_action.commands.handle import Handled
from nexus_action.report.derive import read_state
from nexus_action.report.state import ReportState
from tests.commands import scenarios
from tests.commands.record import cassette_path
from tests.commands.standin import CommandsGitHub

REPLAY_API_URL = "http://ghes.example/api/v3"


def _json(body: Any) -> Any:
    if body in (None, b"", ""):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body


def _state_of(data: Any) -> dict[str, Any] | None:
    if isinstance(data, dict) and isinstance(data.get("body"), str) and "nexus:state" in data["body"]:
        return read_state(data["body"])[0].to_dict()
    return None


def body_or_state(r1: Any, r2: Any) -> None:
    a, b = _json(r1.body), _json(r2.body)
    state_a, state_b = _state_of(a), _state_of(b)
    if state_a is not None or state_b is not None:
        assert state_a == state_b, "the sticky comment's hidden state differs"
    else:
        assert a == b, f"bodies differ: {a!r} != {b!r}"


def replay_vcr() -> vcr.VCR:
    v = vcr.VCR(
        record_mode="none",
        match_on=("method", "scheme", "host", "port", "path", "query", "body_or_state"),
        filter_headers=["authorization"],
    )
    v.register_matcher("body_or_state", body_or_state)
    return v


def replay(name: str) -> tuple[list[Handled], list[tuple[str, str, Any]]]:
    comments = scenarios.setup(name, CommandsGitHub())  # no server: only the deterministic ids and bodies
    with replay_vcr().use_cassette(str(cassette_path(name))) as cassette:
        handled = scenarios.run(name, REPLAY_API_URL, comments)
        assert cassette.all_played, "a recorded request was not made"
        calls = [
            (r.method, r.path.removeprefix("/api/v3/repos/octo-org/octo-repo"), _json(r.body))
            for r in cassette.requests
        ]
    return handled, calls


def posts(calls: list[tuple[str, str, Any]], suffix: str) -> list[Any]:
    return [body for method, path, body in calls if method == "POST" and path.endswith(suffix)]


def reactions(calls: list[tuple[str, str, Any]]) -> list[str]:
    return [body["content"] for method, path, body in calls if path.endswith("/reactions")]


def final_state(calls: list[tuple[str, str, Any]]) -> ReportState:
    bodies = [body.get("body") for method, _, body in calls if method in ("PATCH", "POST") and isinstance(body, dict)]
    bodies = [b for b in bodies if isinstance(b, str) and "nexus:state" in b]
    state, warnings = read_state(bodies[-1])
    assert warnings == []
    return state


def test_retry_reruns_newest_failed_run_per_workflow_once_even_when_redelivered() -> None:
    handled, calls = replay("retry")
    assert [h.status for h in handled] == ["ok", "duplicate"]
    assert handled[0].outcome is not None
    assert handled[0].outcome.retried_runs == (4242, 4243)
    assert [p for m, p, _ in calls if p.endswith("rerun-failed-jobs")] == [
        "/actions/runs/4242/rerun-failed-jobs",
        "/actions/runs/4243/rerun-failed-jobs",
    ]
    (listing,) = [p for m, p, _ in calls if p == "/actions/runs"]
    assert listing == "/actions/runs"
    state = final_state(calls)
    assert state.retries_by_sha == {scenarios.SHA: 1}
    assert handled[0].results[0].command.text == "/nexus retry"
    assert state.command_log[-1].result.startswith("done: re-running failed jobs of CI, Lint (retry 1/2")
    assert reactions(calls) == ["eyes", "rocket", "eyes"], "the redelivery only re-acknowledges"


def test_retry_when_the_head_moved_retries_nothing_stale() -> None:
    handled, calls = replay("retry_head_moved")
    assert not [p for _, p, _ in calls if p.endswith("rerun-failed-jobs")]
    message = handled[0].results[0].message
    assert "the head moved from 3f78685 to 9c1185a since the report" in message
    assert "no failed run on 9c1185a" in message
    assert final_state(calls).retries_by_sha == {}


def test_retry_limit_is_refused_with_confused_reaction() -> None:
    handled, calls = replay("retry_limit")
    assert handled[0].status == "refused"
    assert "retry limit reached (2/2 on 3f78685)" in handled[0].results[0].message
    assert not [p for _, p, _ in calls if "rerun" in p]
    assert reactions(calls) == ["eyes", "confused"]


def test_fix_dispatches_the_request_with_the_repo_template() -> None:
    handled, calls = replay("fix")
    assert handled[0].status == "ok"
    assert len(handled[0].results) == 1, "the quoted /nexus retry is not a command"
    (dispatch,) = posts(calls, "/dispatches")
    assert dispatch["event_type"] == "nexus-autofix"
    payload = dispatch["client_payload"]
    assert len(payload) <= 10
    assert payload["agent"] == "Rex"
    assert payload["prompt"].startswith("Repo-specific Rex prompt for octo-org/octo-repo: - [clippy] src/lib.rs:3:9")
    assert payload["id"] in payload["prompt"]
    assert handled[0].outputs()["fix-agent"] == "Rex"
    assert json.loads(str(handled[0].outputs()["fix-request"])) == payload
    state = final_state(calls)
    assert [(f.agent, f.dispatched, f.at) for f in state.fix_requests] == [("Rex", True, "2026-01-01T12:00:00Z")]
    assert reactions(calls) == ["eyes", "rocket"]


def test_refusals_are_answered_and_change_nothing() -> None:
    handled, calls = replay("refusal")
    assert [h.status for h in handled] == ["refused", "refused", "refused"]
    messages = [h.results[0].message for h in handled]
    assert messages[0] == "reader has read permission; /nexus commands need write or higher"
    assert messages[1] == "stranger has none permission; /nexus commands need write or higher"
    assert "bot" in messages[2]
    assert not [p for _, p, _ in calls if "rerun" in p or "dispatches" in p or p.startswith("/pulls")]
    permission_checks = [p for _, p, _ in calls if p.endswith("/permission")]
    assert permission_checks == ["/collaborators/reader/permission", "/collaborators/stranger/permission"]
    assert reactions(calls) == ["eyes", "confused"] * 3
    log = final_state(calls).command_log
    assert [(e.user, e.result.split(":")[0]) for e in log] == [
        ("reader", "refused"),
        ("stranger", "refused"),
        ("dependabot[bot]", "refused"),
    ]
    assert not posts(calls, "/7/comments"), "answered in the sticky comment and by reaction, no new comments"


def test_circuit_breaker_stops_fixes_until_an_admin_resets() -> None:
    handled, calls = replay("breaker")
    assert [h.status for h in handled] == ["ok", "refused", "refused", "ok"]
    assert "that was the last automatic request" in handled[0].results[0].message
    assert "circuit breaker open" in handled[1].results[0].message
    assert "need admin" in handled[2].results[0].message
    dispatches = posts(calls, "/dispatches")
    assert [d["client_payload"]["agent"] for d in dispatches] == ["Rex", "Blaze"]
    state = final_state(calls)
    assert not state.breaker_open
    assert [f.agent for f in state.fix_requests] == ["Blaze"]
    assert [e.user for e in state.command_log] == ["octocat", "octocat", "octocat", "boss", "boss"]


def test_first_command_creates_the_report_comment_and_one_help_reply() -> None:
    handled, calls = replay("first_command_no_report")
    assert [r.status for r in handled[0].results] == ["done", "done"]
    created = posts(calls, "/7/comments")
    assert len(created) == 2
    assert created[0]["body"].startswith("<!-- nexus:report -->")
    assert "| `/nexus retry` |" in created[1]["body"]
    assert "nexus:state" not in created[1]["body"]


@pytest.mark.parametrize("name", sorted(scenarios.SCENARIOS))
def test_cassettes_hold_no_credentials(name: str) -> None:
    text = Path(cassette_path(name)).read_text(encoding="utf-8")
    assert "test-token-not-real" not in text
    assert "authorization" not in text.lower()
