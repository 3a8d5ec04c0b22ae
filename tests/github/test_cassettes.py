"""Replay each delivery scenario from its cassette (recorded from the local stand-in GitHub, see
tests/fakegithub/record.py) with record_mode="none": any request the code makes that was not recorded,
or differs in method, path, query or body, fails the test."""

from __future__ import annotations

import pytest

from tests.fakegithub.record import REPLAY_API_URL, cassette_path, make_vcr
from tests.fakegithub.scenarios import SCENARIOS, ChainResult, run_chain


def replay(name: str) -> ChainResult:
    with make_vcr("none").use_cassette(str(cassette_path(name))) as cassette:
        result = run_chain(SCENARIOS[name], REPLAY_API_URL)
        assert cassette.all_played, f"{name}: recorded requests were not made again"
    return result


def calls(name: str) -> list[str]:
    with make_vcr("none").use_cassette(str(cassette_path(name))) as cassette:
        return [f"{r.method} {r.path.removeprefix('/api/v3')}" for r in cassette.requests]


def test_first_failure_creates_one_comment_and_checks_for_a_concurrent_one() -> None:
    result = replay("first_failure")
    assert result.outcome.delivered_via == "comment"
    assert result.outcome.comment_url.startswith("https://github.example/octo-org/octo-repo/pull/7#issuecomment-")
    assert calls("first_failure")[-2:] == [
        "POST /repos/octo-org/octo-repo/issues/7/comments",
        "GET /repos/octo-org/octo-repo/issues/7/comments",
    ]
    assert result.outcome.api_calls == 6
    assert [j.name for j in result.snapshot.jobs] == ["clippy"]  # the green "build" job is left out


def test_repeat_failure_updates_our_comment_only_in_six_calls() -> None:
    result = replay("repeat_failure")
    assert result.outcome.delivered_via == "comment"
    # mallory's comment carries our marker too, but only our identity's comment is trusted.
    assert calls("repeat_failure")[-2:] == [
        "PATCH /repos/octo-org/octo-repo/issues/comments/1006",
        "GET /repos/octo-org/octo-repo/issues/7/comments",  # the re-read: did another writer land meanwhile?
    ]
    assert result.outcome.api_calls == 6  # the steady-state budget: 5, plus the one re-read
    assert result.outcome.attempts == []


def test_recovery_updates_the_comment_and_closes_our_issue_with_a_note() -> None:
    result = replay("recovery")
    assert result.outcome.delivered_via == "comment"
    assert result.snapshot.conclusion == "success"
    made = calls("recovery")
    assert "POST /repos/octo-org/octo-repo/issues/8/comments" in made  # the final note, on our issue (not #9)
    assert made[-1] == "PATCH /repos/octo-org/octo-repo/issues/8"
    assert result.outcome.issue_url == "https://github.example/octo-org/octo-repo/issues/8"


def test_fork_pr_is_resolved_from_the_head_sha_and_a_missing_log_falls_back_to_annotations() -> None:
    result = replay("fork_pr_workflow_run")
    assert result.evidence.pr_number == 9
    assert calls("fork_pr_workflow_run")[0].endswith("/commits/3f786850e387550fdab836ed7e6dc881de23001b/pulls")
    job = result.snapshot.jobs[0]
    assert not job.log_available
    assert job.classification.top_blocker is not None
    assert "web/app.ts:4" in job.classification.top_blocker.text
    assert [p.code for p in result.evidence.problems] == ["NEXUS-LOG-UNAVAILABLE"]
    assert result.outcome.delivered_via == "comment"


def test_push_without_pr_goes_to_the_webhook_and_never_touches_comments() -> None:
    result = replay("push_no_pr")
    assert result.outcome.delivered_via == "webhook"
    assert result.alerts == [(False, False)]
    assert not any("comments" in c or "/issues" in c for c in calls("push_no_pr"))


def test_our_comment_is_found_on_the_third_page() -> None:
    result = replay("comments_paginated")
    made = calls("comments_paginated")
    # Three pages to find ours, and the same three again for the re-read after the write.
    assert made.count("GET /repos/octo-org/octo-repo/issues/7/comments") == 6
    assert made[-4].startswith("PATCH /repos/octo-org/octo-repo/issues/comments/")
    assert result.outcome.delivered_via == "comment"


def test_concurrent_duplicate_keeps_the_oldest_and_deletes_ours() -> None:
    result = replay("concurrent_duplicate")
    made = calls("concurrent_duplicate")
    assert made[-3:] == [
        "PATCH /repos/octo-org/octo-repo/issues/comments/1003",  # the older one takes both states
        "DELETE /repos/octo-org/octo-repo/issues/comments/1004",  # ours, the newer, once merged
        "GET /repos/octo-org/octo-repo/issues/7/comments",  # settled: one report left
    ]
    assert result.outcome.comment_url.endswith("#issuecomment-1003")


@pytest.mark.parametrize(("name", "status"), [("locked_conversation", 403), ("body_too_long", 422)])
def test_comment_refused_moves_to_the_fallback_issue(name: str, status: int) -> None:
    result = replay(name)
    assert result.outcome.delivered_via == "issue"
    assert [(a.channel, a.status) for a in result.outcome.attempts] == [("comment", status)]
    assert result.outcome.issue_url == "https://github.example/octo-org/octo-repo/issues/8"
    assert calls(name)[-2:] == ["POST /repos/octo-org/octo-repo/issues", "GET /repos/octo-org/octo-repo/issues"]
    assert result.alerts == []  # the issue delivered: no webhook under webhook-on=fallback


def test_cassettes_carry_no_credentials() -> None:
    for name in SCENARIOS:
        text = cassette_path(name).read_text(encoding="utf-8")
        assert "ghs_fake" not in text
        assert "authorization" not in text.lower()
