"""threads.converge on the live stand-in: real report bodies, another writer landing between our write and our
re-read, and duplicates left by earlier runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nexus_action.config.settings import Settings
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


def upsert(app: FakeGitHub, run_id: int, sleeps: list[float]) -> None:
    api = api_for(app, sleeps)
    sticky = StickyComment(api, REPO, 7, BOT, is_report_body)
    done = converge(
        sticky,
        lambda previous: body_for(run_id, previous),
        combine=merged_body,
        same=same_state,
        create=lambda body: sticky.create(body, 2),
        api=api,
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
