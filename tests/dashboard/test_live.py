"""The live upsert of the dashboard issue, replayed from cassettes recorded against a local stand-in.

Re-record with `.venv/bin/python scripts/regen_dashboard.py --cassettes`; replay is strict (record_mode none,
method + host + path + query + body), so a request the code no longer makes, or makes differently, fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import vcr
import yaml

from nexus_action.dashboard import read_records
from nexus_action.dashboard.live import DashboardDelivery, write_dashboard_files
from tests.dashboard.live_scenarios import REPLAY_HOST, SCENARIOS, TOKEN, cassette_path, run_scenario
from tests.dashboard.sequence import SEQUENCE, replay

REPLAY = vcr.VCR(
    record_mode="none",
    match_on=["method", "scheme", "host", "path", "query", "body"],
    filter_headers=["authorization"],
)


def play(name: str) -> tuple[DashboardDelivery, list[dict[str, Any]]]:
    path = cassette_path(name)
    with REPLAY.use_cassette(str(path)) as cassette:
        result = run_scenario(SCENARIOS[name], f"{REPLAY_HOST}/api/v3")
        assert cassette.all_played, f"{name}: recorded requests were not made"
    return result, yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]


def calls(interactions: list[dict[str, Any]]) -> list[str]:
    return [
        f"{i['request']['method']} {i['request']['uri'].removeprefix(REPLAY_HOST).split('?')[0]}" for i in interactions
    ]


def sent(interaction: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(interaction["request"]["body"])
    return body


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_cassettes_hold_no_credentials(name: str) -> None:
    text = cassette_path(name).read_text(encoding="utf-8")
    assert TOKEN not in text
    assert "authorization" not in text.lower()


def test_create_makes_the_label_and_the_issue() -> None:
    result, interactions = play("create")
    assert (result.action, result.issue_number) == ("created", 1)
    assert calls(interactions) == [
        "GET /api/v3/repos/octo/app/issues",
        "GET /api/v3/repos/octo/app/labels/ci-failures",
        "POST /api/v3/repos/octo/app/labels",
        "POST /api/v3/repos/octo/app/issues",
        "GET /api/v3/repos/octo/app/issues",  # the re-read after writing: no duplicate, nothing changed
    ]
    created = sent(interactions[3])
    assert created["title"] == "CI failure dashboard"
    assert created["labels"] == ["ci-failures"]
    assert [r.run_id for r in read_records(created["body"])[0]] == [132]


def test_update_merges_into_our_issue_and_ignores_a_forged_one() -> None:
    result, interactions = play("update")
    assert (result.action, result.issue_number) == ("updated", 2)
    assert calls(interactions) == [
        "GET /api/v3/repos/octo/app/issues",
        "PATCH /api/v3/repos/octo/app/issues/2",
        "GET /api/v3/repos/octo/app/issues",  # the re-read: did another run write meanwhile?
    ]
    change = sent(interactions[1])
    assert set(change) == {"body"}
    assert change["body"] == replay(SEQUENCE).body_md


def test_the_same_attempt_again_writes_nothing() -> None:
    result, interactions = play("unchanged")
    assert result.action == "unchanged"
    assert calls(interactions) == ["GET /api/v3/repos/octo/app/issues"]


def test_a_new_failure_reopens_and_renames_a_closed_dashboard() -> None:
    result, interactions = play("reopen")
    assert result.action == "updated"
    change = sent(interactions[1])
    assert (change["state"], change["title"]) == ("open", "CI failure dashboard")


def test_a_racing_create_is_merged_into_the_older_issue_and_closed() -> None:
    result, interactions = play("race")
    assert (result.action, result.issue_number, result.closed_duplicates) == ("merged-duplicate", 1, (2,))
    merged, closed = sent(interactions[-3]), sent(interactions[-2])
    assert interactions[-3]["request"]["uri"].endswith("/issues/1")
    assert [r.run_id for r in read_records(merged["body"])[0]] == [132, 131]
    assert (closed["state"], closed["state_reason"]) == ("closed", "not_planned")
    assert "Duplicate" in closed["body"]
    assert "#1" in closed["body"]  # a link to the one that stays
    assert calls(interactions)[-1] == "GET /api/v3/repos/octo/app/issues"  # settled: one dashboard left


def test_dry_run_files(tmp_path: Path) -> None:
    report = replay(SEQUENCE[:3])
    path = write_dashboard_files(report, tmp_path / "out")
    assert path.read_text(encoding="utf-8") == report.body_md
    state = json.loads((tmp_path / "out" / "dashboard.json").read_text(encoding="utf-8"))
    assert (state["label"], state["insights"]["window"]["attempts"]) == ("ci-failures", 3)
    assert [r["run"] for r in state["runs"]] == [103, 102, 101]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_cassettes_match_the_rest_description(name: str) -> None:
    from tests.test_cassettes_match_rest import problems_of

    interactions = yaml.safe_load(cassette_path(name).read_text(encoding="utf-8"))["interactions"]
    assert [p for item in interactions for p in problems_of(item)] == []


def test_replay_is_strict_about_what_is_sent() -> None:
    """A different body (here: attempt 2 of the last run) is not in the cassette, so the replay refuses it."""
    from vcr.errors import CannotOverwriteExistingCassetteException

    from tests.dashboard.live_scenarios import Scenario

    rerun = (132, 2, *SEQUENCE[-1][2:])
    changed = Scenario(rerun, issues=SCENARIOS["update"].issues)
    with REPLAY.use_cassette(str(cassette_path("update"))), pytest.raises(CannotOverwriteExistingCassetteException):
        run_scenario(changed, f"{REPLAY_HOST}/api/v3")
