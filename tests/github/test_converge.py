"""threads.converge on the live stand-in: real report bodies, another writer landing between our write and our
re-read, and duplicates left by earlier runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nexus_action.config.settings import Settings
from nexus_action.github.post import Post
from nexus_action.github.threads import StickyComment, converge
from nexus_action.report import build_report
from nexus_action.report.derive import merged_body, read_doc, same_state
from nexus_action.report.state import is_report_body
from tests.fakegithub.scenarios import BOT, REPO
from tests.fakegithub.server import FakeGitHub
from tests.github.test_threads import api_for
from tests.report.cases import clippy_job, pytest_job, snapshot

S = Settings()


@pytest.fixture
def app() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    fake.start()
    fake.add_pr(7)
    yield fake
    fake.stop()


def body_for(run_id: int, previous: str | None, job: object = None) -> str:
    return build_report(snapshot(run_id, (job or clippy_job(),)), previous, settings=S, now="t").comment_md


def run_ids(body: str) -> list[int]:
    return [r.run_id for r in read_doc(body)[0].runs]


def upsert(app: FakeGitHub, run_id: int, sleeps: list[float], listed: list[Post] | None = None) -> None:
    """converge one report of `run_id` (from `listed` when given, instead of its own first listing)."""
    api = api_for(app, sleeps)
    sticky = StickyComment(api, REPO, 7, BOT, is_report_body)
    done = converge(
        sticky,
        lambda previous: body_for(run_id, previous),
        combine=merged_body,
        same=same_state,
        create=lambda body: sticky.create(body, 2),
        api=api,
        listed=listed,
    )
    assert done.settled


def test_a_write_landing_before_our_re_read_is_merged_and_rewritten(app: FakeGitHub) -> None:
    first = app.add_comment(7, body_for(1001, None), BOT)
    sleeps: list[float] = []

    def other_writer_lands(seconds: float) -> None:
        # During our settle, another run (which read the body before our write) overwrites it with its own.
        sleeps.append(seconds)
        if len(sleeps) == 1:
            first["body"] = body_for(1003, body_for(1001, None), pytest_job())

    api = api_for(app, sleeps)
    api.ledger.sleep_fn = other_writer_lands
    sticky = StickyComment(api, REPO, 7, BOT, is_report_body)
    done = converge(
        sticky,
        lambda previous: body_for(1002, previous),
        combine=merged_body,
        same=same_state,
        create=lambda body: sticky.create(body, 2),
        api=api,
    )
    assert done.settled
    assert done.writes == 2  # ours, then ours merged with theirs
    assert run_ids(first["body"]) == [1001, 1002, 1003]
    assert len(api.ledger.settles) == 2


def test_duplicates_from_earlier_runs_are_merged_into_the_oldest_and_removed(app: FakeGitHub) -> None:
    oldest = app.add_comment(7, body_for(1001, None), BOT)
    app.add_comment(7, "a person's comment", "octocat")
    app.add_comment(7, body_for(1002, None), BOT)
    app.add_comment(7, body_for(1003, None), BOT)
    upsert(app, 1004, [])
    [left] = app.bot_comments(7)
    assert left["id"] == oldest["id"]
    assert run_ids(left["body"]) == [1001, 1002, 1003, 1004]
    assert [c["body"] for c in app.comments[7] if c["user"]["login"] == "octocat"] == ["a person's comment"]


def test_nothing_new_writes_nothing(app: FakeGitHub) -> None:
    app.add_comment(7, body_for(1001, None), BOT)
    before = len(app.seen)
    upsert(app, 1001, [])
    assert [m for m, _ in app.seen[before:]] == ["GET"]


# --- Starting from a listing taken before the jobs were gathered (github.earlier) ----------------------------


def upsert_from(app: FakeGitHub, run_id: int, listed: list[Post]) -> list[tuple[str, str]]:
    """converge from `listed` instead of its own first listing; the requests it made."""
    before = len(app.seen)
    upsert(app, run_id, [], listed)
    return [(m, p.rsplit("/", 2)[-2] + "/" + p.rsplit("/", 1)[-1]) for m, p in app.seen[before:]]


def early_listing(app: FakeGitHub) -> list[Post]:
    return StickyComment(api_for(app, []), REPO, 7, BOT, is_report_body).find_all()


def test_an_early_listing_is_listed_again_before_overwriting_what_another_writer_wrote_since(app: FakeGitHub) -> None:
    comment = app.add_comment(7, body_for(1001, None), BOT)
    listed = early_listing(app)
    # While this run gathered its jobs, another run wrote its update (and finished: its re-read saw only itself).
    comment["body"] = body_for(1003, comment["body"], pytest_job())
    made = upsert_from(app, 1002, listed)
    assert run_ids(comment["body"]) == [1001, 1002, 1003]  # a PATCH from the early listing would drop 1003
    assert [m for m, _ in made] == ["GET", "PATCH", "GET"]


def test_an_early_listing_that_already_holds_this_run_needs_no_request(app: FakeGitHub) -> None:
    app.add_comment(7, body_for(1001, None), BOT)
    assert upsert_from(app, 1001, early_listing(app)) == []


def test_an_early_listing_with_no_report_creates_it_then_re_reads(app: FakeGitHub) -> None:
    made = upsert_from(app, 1001, early_listing(app))
    assert made == [("POST", "7/comments"), ("GET", "7/comments")]
    [ours] = app.bot_comments(7)
    assert run_ids(ours["body"]) == [1001]


def test_an_early_listing_with_duplicates_is_listed_again_before_retiring_one(app: FakeGitHub) -> None:
    oldest = app.add_comment(7, body_for(1001, None), BOT)
    newer = app.add_comment(7, body_for(1002, None), BOT)
    listed = early_listing(app)
    newer["body"] = body_for(1004, newer["body"], pytest_job())  # its own run updated it since
    upsert_from(app, 1003, listed)
    [left] = app.bot_comments(7)
    assert left["id"] == oldest["id"]
    assert run_ids(left["body"]) == [1001, 1002, 1003, 1004]
