"""The run's deadline: every GitHub request, retry, wait and body read keeps to it, and bad bodies are failures.

Against the live stand-in. Waits are recorded by a fake clock that the injected sleep moves forward; only
the drip cases take real time (a fraction of a second each).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from nexus_action.config.settings import Settings
from nexus_action.github.client import GitHubApi, GitHubCallError, connect
from nexus_action.github.deadline import Deadline, DeadlinePassed
from nexus_action.github.post import Post
from nexus_action.github.threads import StickyComment
from tests.fakegithub.faults import at, fault_kinds
from tests.fakegithub.scenarios import BOT, MARKER, REPO, is_report
from tests.fakegithub.server import FakeGitHub, Fault

COMMENTS = f"/repos/{REPO}/issues/7/comments"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def app() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    fake.start()
    fake.add_pr(7)
    yield fake
    fake.stop()


def api_for(app: FakeGitHub, deadline: Deadline, clock: FakeClock | None = None, **settings: object) -> GitHubApi:
    chosen = Settings(github_token="ghs_x", http_retries=2, **settings)  # type: ignore[arg-type]
    sleep = clock.sleep if clock else (lambda _s: None)
    return connect(chosen, app.base_url, sleep=sleep, clock=lambda: 0.0, random_fn=lambda: 0.0, deadline=deadline)


def test_the_deadline_counts_its_clock_and_refuses_a_wait_past_it() -> None:
    clock = FakeClock()
    deadline = Deadline(10, clock=clock)
    deadline.sleep(4, clock.sleep)
    assert deadline.remaining() == 6
    with pytest.raises(DeadlinePassed, match="wait of 7 s"):
        deadline.sleep(7, clock.sleep)
    assert clock.slept == [4]  # the refused wait was not made
    part = deadline.part()
    assert part.remaining() == 2.5
    clock.now += 5
    assert part.passed
    assert "10 s network deadline" not in part.which
    clock.now += 2
    assert deadline.passed
    assert "10 s network deadline" in part.which
    with pytest.raises(DeadlinePassed, match="skipped"):
        deadline.check("GET /x")
    assert deadline.timeout((5, 15)) == (0.001, 0.001)


def test_past_the_deadline_no_request_is_made(app: FakeGitHub) -> None:
    clock = FakeClock()
    deadline = Deadline(5, clock=clock)
    api = api_for(app, deadline)
    clock.now += 6
    with pytest.raises(GitHubCallError) as caught:
        api.get(COMMENTS, read=Post.list_from_api)
    assert caught.value.failure.kind == "deadline"
    assert caught.value.failure.code == "NEXUS-DEADLINE"
    assert app.seen == []
    assert api.api_calls == 0


def test_a_rate_limit_wait_beyond_the_deadline_is_not_waited(app: FakeGitHub) -> None:
    clock = FakeClock()
    app.faults.append(Fault("GET", COMMENTS, 429, {"Retry-After": "30"}, {"message": "Too Many Requests"}))
    api = api_for(app, Deadline(20, clock=clock), clock)
    with pytest.raises(GitHubCallError) as caught:
        api.get(COMMENTS, read=Post.list_from_api)
    assert caught.value.failure.kind == "deadline"
    assert "30 s" in caught.value.failure.reason
    assert clock.slept == []
    assert len(app.seen) == 1


def test_waits_add_up_against_one_deadline(app: FakeGitHub) -> None:
    clock = FakeClock()
    app.faults.append(Fault("GET", COMMENTS, 429, {"Retry-After": "8"}, {"message": "Too Many Requests"}))
    api = api_for(app, Deadline(20, clock=clock), clock)
    with pytest.raises(GitHubCallError) as caught:
        api.get(COMMENTS, read=Post.list_from_api)
    # 8 s, 8 s, then a third retry would need 8 s more than the 4 s left: two waits, each under max-wait.
    assert caught.value.failure.kind in ("deadline", "rate-limited")
    assert sum(clock.slept) <= 20
    assert clock.slept == [8, 8]


@pytest.mark.parametrize("fault", ["drip"])
def test_a_dripping_answer_stops_at_the_request_share(app: FakeGitHub, fault: str) -> None:
    app.add_comment(7, "x" * 500, "octocat")
    app.faults.append(at(fault_kinds()[fault], "GET", COMMENTS))
    api = api_for(app, Deadline(2))
    started = time.monotonic()
    with pytest.raises(GitHubCallError) as caught:
        api.get(COMMENTS, read=Post.list_from_api)
    took = time.monotonic() - started
    assert caught.value.failure.kind == "deadline"
    assert "0.5 s limit of one request" in caught.value.failure.reason
    assert took < 1.5  # one quarter of 2 s, and one byte's gap
    assert not api.deadline.passed  # the run goes on: the next channel still has time


def test_a_dripping_log_stops_and_the_run_goes_on(app: FakeGitHub) -> None:
    job = app.add_job(1, "build", "failure", log=b"error: x\n" * 50)
    app.faults.append(at(fault_kinds()["drip"], "GET", r"/_blobs/logs/\d+"))
    api = api_for(app, Deadline(2))
    started = time.monotonic()
    with pytest.raises(GitHubCallError) as caught:
        api.download(f"/repos/{REPO}/actions/jobs/{job}/logs")
    assert caught.value.failure.kind == "deadline"
    assert time.monotonic() - started < 1.5
    assert api.get(COMMENTS, read=Post.list_from_api) == []


@pytest.mark.parametrize("fault", ["invalid-json", "wrong-types", "empty-200"])
def test_a_bad_body_is_a_bad_answer_failure(app: FakeGitHub, fault: str) -> None:
    app.faults.append(at(fault_kinds()[fault], "GET", COMMENTS))
    api = api_for(app, Deadline(60))
    with pytest.raises(GitHubCallError) as caught:
        api.get(COMMENTS, read=Post.list_from_api)
    assert caught.value.failure.kind == "bad-answer"
    assert caught.value.failure.code == "NEXUS-GITHUB-BAD-ANSWER"


def test_html_on_a_201_fails_the_create_without_posting_twice(app: FakeGitHub) -> None:
    app.faults.append(Fault("POST", COMMENTS, 201, {"Content-Type": "text/html"}, b"<html>Created</html>"))
    sticky = StickyComment(api_for(app, Deadline(60)), REPO, 7, BOT, is_report)
    with pytest.raises(GitHubCallError) as caught:
        sticky.create(f"{MARKER}\nbody", retries=2)
    assert caught.value.failure.kind == "bad-answer"
    assert [m for m, _ in app.seen].count("POST") == 1
