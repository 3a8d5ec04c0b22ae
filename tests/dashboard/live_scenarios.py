"""Scenarios of the live dashboard upsert, shared by the cassette test and scripts/regen_dashboard.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus_action.config.settings import Settings
from nexus_action.dashboard.live import DashboardDelivery, publish_dashboard
from nexus_action.github.client import connect
from tests.dashboard.sequence import NOW, SEQUENCE, Step, replay, snapshot

CASSETTES = Path(__file__).resolve().parent.parent / "data" / "dashboard" / "cassettes"
REPLAY_HOST = "http://stand-in.invalid"
TOKEN = "ghs_" + "x" * 36  # fake, and must never appear in a cassette
SETTINGS = Settings(github_token=TOKEN, dashboard_enabled=True, http_retries=0)


def issue(
    number: int, body: str, *, state: str = "open", author: str = "github-actions[bot]", title: str = ""
) -> dict[str, Any]:
    return {
        "id": 9000 + number,
        "number": number,
        "title": title or SETTINGS.dashboard_title,
        "body": body,
        "state": state,
        "labels": [{"name": "ci-failures"}],
        "user": {"login": author, "type": "Bot" if author.endswith("[bot]") else "User"},
        "created_at": f"2026-11-0{number}T09:00:00Z",
        "html_url": f"https://github.com/octo/app/issues/{number}",
    }


@dataclass(frozen=True)
class Scenario:
    step: Step
    issues: list[dict[str, Any]] = field(default_factory=list)
    labels: tuple[str, ...] = ("ci-failures",)


_BEFORE_LAST = replay(SEQUENCE[:-1]).body_md
_ALL = replay(SEQUENCE).body_md
FORGED = "<!-- nexus:dashboard-issue -->\nI pasted the marker into my own issue."

SCENARIOS: dict[str, Scenario] = {
    # First failure ever: the label is missing, the issue is created, the duplicate check finds only it.
    "create": Scenario(SEQUENCE[-1], issues=[], labels=()),
    # The dashboard exists; a person's issue with a pasted marker under the same label is ignored.
    "update": Scenario(SEQUENCE[-1], issues=[issue(1, FORGED, author="mallory"), issue(2, _BEFORE_LAST)]),
    # The same attempt delivered again: nothing is written.
    "unchanged": Scenario(SEQUENCE[-1], issues=[issue(2, _ALL)]),
    # Someone closed the dashboard and renamed it; a new failure reopens it under the configured title.
    "reopen": Scenario(SEQUENCE[-1], issues=[issue(3, _BEFORE_LAST, state="closed", title="old name")]),
    # Two runs created the dashboard at once: the older issue keeps both records, ours is closed.
    "race": Scenario(SEQUENCE[-1], issues=[{**issue(1, replay([SEQUENCE[-2]]).body_md), "_hidden": True}]),
}


def cassette_path(name: str) -> Path:
    return CASSETTES / f"{name}.yaml"


def run_scenario(scenario: Scenario, api_url: str) -> DashboardDelivery:
    slept: list[float] = []
    api = connect(SETTINGS, api_url, sleep=slept.append, clock=lambda: 0.0, random_fn=lambda: 0.5)
    result = publish_dashboard(
        api, "octo/app", snapshot(scenario.step), settings=SETTINGS, now=NOW, fix_request=scenario.step[8]
    )
    # The only waits are the settles before re-reading what we wrote: no retry, no rate-limit wait.
    assert slept == [s for s in api.ledger.settles if s], "the upsert must not wait but to re-read"
    return result
