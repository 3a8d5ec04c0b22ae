"""Sticky comment and fallback issue details not covered by the cassettes, on the live stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nexus_action.config.settings import Settings
from nexus_action.github.client import GitHubApi, connect
from nexus_action.github.threads import FallbackIssue, StickyComment
from tests.fakegithub.scenarios import BOT, MARKER, REPO, is_report
from tests.fakegithub.server import FakeGitHub, Fault

BODY = f"{MARKER}\nour report"


@pytest.fixture
def app() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    fake.start()
    fake.add_pr(7)
    yield fake
    fake.stop()


def api_for(app: FakeGitHub, sleeps: list[float]) -> GitHubApi:
    settings = Settings(github_token="ghs_x", http_retries=2)
    return connect(settings, app.base_url, sleep=sleeps.append, clock=lambda: 0.0, random_fn=lambda: 0.0)


def test_when_ours_is_the_oldest_the_newer_one_is_left_to_its_own_run(app: FakeGitHub) -> None:
    def later_run_posted(app: FakeGitHub, number: int) -> None:
        app.add_comment(number, f"{MARKER}\nthe later run", BOT)

    app.after_comment_created = later_run_posted
    sticky = StickyComment(api_for(app, []), REPO, 7, BOT, is_report)
    created = sticky.create(BODY, retries=2)
    assert created.body == BODY
    assert [c["body"] for c in app.bot_comments(7)] == [BODY, f"{MARKER}\nthe later run"]
    assert ("DELETE", f"/repos/{REPO}/issues/comments/{created.id + 1}") not in app.seen


def test_a_failed_create_adopts_a_comment_found_meanwhile(app: FakeGitHub) -> None:
    other = app.add_comment(7, f"{MARKER}\nanother run's report", BOT)
    app.faults.append(Fault("POST", rf"/repos/{REPO}/issues/7/comments", 502))
    sleeps: list[float] = []
    sticky = StickyComment(api_for(app, sleeps), REPO, 7, BOT, is_report)
    adopted = sticky.create(BODY, retries=2)
    assert adopted.id == other["id"]
    assert other["body"] == f"{MARKER}\nanother run's report"  # converge merges into it, not create
    assert len(app.bot_comments(7)) == 1
    assert sleeps == []  # nothing to wait for: the comment was there


def test_fallback_issue_ignores_lookalikes_and_pull_requests(app: FakeGitHub) -> None:
    app.labels["nexus-autofix"] = {"name": "nexus-autofix"}
    title = "NEXUS AutoFix report for PR #7"
    app.add_issue(title, "copy", "mallory", ["nexus-autofix"])
    app.add_issue("NEXUS AutoFix report for PR #8", "other PR", BOT, ["nexus-autofix"])
    closed = app.add_issue(title, "old", BOT, ["nexus-autofix"], state="closed")
    open_one = app.add_issue(title, "current", BOT, ["nexus-autofix"])
    fallback = FallbackIssue(api_for(app, []), REPO, 7, "nexus-autofix", BOT)
    found = fallback.find()
    assert found is not None
    assert found.number == open_one["number"]  # open first, even though the closed one is older
    assert closed["state"] == "closed"


def test_fallback_issue_creates_its_label_when_missing(app: FakeGitHub) -> None:
    fallback = FallbackIssue(api_for(app, []), REPO, 7, "nexus-autofix", BOT)
    issue = fallback.create(BODY)
    assert "nexus-autofix" in app.labels
    assert app.issues[issue.number or 0]["labels"] == [{"name": "nexus-autofix"}]
    assert ("POST", f"/repos/{REPO}/labels") in app.seen
