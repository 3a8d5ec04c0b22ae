"""github/earlier.py: the PR's earlier report read once, through the door a run is given (here the dry run's
recording GitHub, which answers from what `--previous` holds)."""

from __future__ import annotations

import json

import pytest

from nexus_action.config.settings import Settings
from nexus_action.github.earlier import EarlierListing, EarlierReport
from nexus_action.github.failure import CallFailure
from nexus_action.github.recording import RecordingGitHub, read_previous
from nexus_action.report import REPORT_MARKER, build_report
from nexus_action.report.model import GreenRun, Snapshot
from nexus_action.report.state import ReportState
from tests.report.cases import clippy_job, snapshot

BOT = "github-actions[bot]"
REPO = "octo-org/octo-repo"
PR = 42


def green(run_id: int, workflow: str = "ci.yml") -> GreenRun:
    return GreenRun(run_id, f"{run_id:040x}", f"u{run_id}", "2026-11-19T09:00:00Z", "main", workflow, {"clippy": 1})


def reported(run_id: int, used: GreenRun | None, previous: str | None = None) -> str:
    snap = Snapshot(**{**snapshot(run_id, (clippy_job(),)).__dict__, "green": used})
    return build_report(snap, previous, settings=Settings(), now="2026-11-20T10:00:00Z").comment_md


def comment(comment_id: int, body: str, login: str = BOT) -> dict[str, object]:
    return {
        "id": comment_id,
        "user": {"login": login},
        "body": body,
        "created_at": f"2026-11-20T10:00:{comment_id:02d}Z",
    }


def reader(*comments: dict[str, object]) -> tuple[EarlierReport, RecordingGitHub]:
    previous = read_previous(json.dumps(list(comments)), bot_login=BOT, pr_number=PR)
    api = RecordingGitHub(REPO, previous, pr_number=PR, bot_login=BOT)
    return EarlierReport(api, REPO, bot_login=BOT), api


def test_the_newest_runs_green_run_comes_first_across_duplicate_comments() -> None:
    first = reported(1001, green(900))
    earlier, api = reader(
        comment(1, reported(1003, green(902), first)), comment(2, reported(1002, green(901, "lint.yml")))
    )
    assert [g.run_id for g in earlier.green_runs(PR)] == [902, 901, 900]
    assert earlier.green_runs(PR)  # asked again: not listed again
    assert [r["path"] for r in api.requests] == [f"/repos/{REPO}/issues/{PR}/comments"]
    listing = earlier.listing_for(PR)
    assert listing is not None
    assert [p.id for p in listing.posts] == [1, 2]
    assert earlier.listing_for(7) is None  # listed for another PR


def test_a_version_1_state_gives_its_latest_green_run() -> None:
    snap = Snapshot(**{**snapshot(1001, (clippy_job(),)).__dict__, "green": green(900)})
    earlier, _ = reader(comment(1, f"{REPORT_MARKER}\n{ReportState(latest=snap).encode()}\nold report"))
    assert earlier.green_runs(PR) == (green(900),)


def test_only_our_own_comments_are_read() -> None:
    earlier, _ = reader(comment(1, reported(1001, green(900)), login="mallory"))
    assert earlier.green_runs(PR) == ()
    listing = earlier.listing_for(PR)
    assert listing is not None
    assert listing.posts == ()  # delivery creates our comment, never takes the pasted one


@pytest.mark.parametrize(
    ("kind", "stands"),
    [
        ("unavailable", False),  # a 5xx, a timeout or a reset may be over by the time delivery lists again
        ("bad-answer", False),
        ("unauthorized", True),  # the same token would be refused again
        ("forbidden", True),
        ("rate-limited", True),  # waiting again would take the time the issue and the webhook need
        ("deadline", True),
        ("not-found", True),
    ],
)
def test_which_failed_listing_delivery_takes_as_its_own(kind: str, stands: bool) -> None:
    listing = EarlierListing(PR, failure=CallFailure(f"GET /repos/{REPO}/issues/{PR}/comments", 500, kind, "x"))
    assert listing.stands is stands
    earlier, _ = reader()
    earlier.listing = listing
    assert (earlier.listing_for(PR) is listing) is stands
