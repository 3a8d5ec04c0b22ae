"""The edge that keeps the dashboard issue on GitHub: find it, merge this run in, write it back.

One issue per repository, labelled `ci-failures`, found by listing issues with that label (the search API
lags behind writes) and recognised by the marker in a body written by our own identity (anyone can paste a
marker; the title is configurable and may change, so it is not the key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from nexus_action.config.settings import Settings
from nexus_action.dashboard import (
    DASHBOARD_MARKER,
    combine_dashboards,
    has_open_failure,
    same_records,
    update_dashboard,
)
from nexus_action.dashboard.model import DASHBOARD_LABEL, DashboardReport
from nexus_action.github.port import RestApi
from nexus_action.github.threads import Post, converge, ensure_label, labelled_issues, oldest_first
from nexus_action.isotime import parse_iso
from nexus_action.report.model import Snapshot

LABEL_COLOR = "b60205"
LABEL_DESCRIPTION = "CI failure dashboard kept by NEXUS AutoFix"


@dataclass(frozen=True)
class DashboardDelivery:
    """What happened on GitHub: `created`, `updated`, `unchanged` or `merged-duplicate`, and where."""

    action: str
    issue_number: int | None
    url: str
    report: DashboardReport
    closed_duplicates: tuple[int, ...] = ()


class DashboardIssue:
    """The repository's one CI failure dashboard issue."""

    def __init__(self, api: RestApi, repository: str, *, bot_login: str, label: str = DASHBOARD_LABEL) -> None:
        self.api = api
        self.repository = repository
        self.bot_login = bot_login
        self.label = label
        self.title = ""  # the configured title, set by the upsert; a renamed dashboard gets it back
        self.reopen = False  # the report being written shows a failure: a closed dashboard reopens

    def find_all(self) -> list[Post]:
        """Our dashboard: the canonical issue first (the oldest open one, else the oldest closed), then the other
        open ones (duplicates left by concurrent runs).

        Calls: GET /repos/{owner}/{repo}/issues?labels={label}&state=all (paginated)
        """
        found = oldest_first(
            [
                post
                for post in labelled_issues(self.api, self.repository, self.label)
                if post.author.casefold() == self.bot_login.casefold() and DASHBOARD_MARKER in post.body
            ]
        )
        opened = [p for p in found if p.state == "open"]
        return opened if opened else found[:1]

    def ensure_label(self) -> None:
        ensure_label(self.api, self.repository, self.label, color=LABEL_COLOR, description=LABEL_DESCRIPTION)

    def create(self, body: str) -> Post:
        """Calls: POST /repos/{owner}/{repo}/issues (and our label first, when missing)"""
        self.ensure_label()
        fields = {"title": self.title, "body": body, "labels": [self.label]}
        return self.api.send("POST", f"/repos/{self.repository}/issues", fields, read=Post.from_api)

    def update(self, issue: Post, change: dict[str, object]) -> Post:
        """Calls: PATCH /repos/{owner}/{repo}/issues/{issue_number}"""
        return self.api.send("PATCH", f"/repos/{self.repository}/issues/{issue.number}", change, read=Post.from_api)

    def write(self, issue: Post, body: str) -> Post:
        change: dict[str, object] = {"body": body}
        if self.title and issue.title != self.title:
            change["title"] = self.title
        # A closed dashboard stays closed while everything is green; a new failure reopens it.
        if issue.state != "open" and self.reopen:
            change["state"] = "open"
        return self.update(issue, change)

    def retire(self, duplicate: Post, keeper: Post) -> None:
        """Close a duplicate (its records were merged into the keeper first) with a link; without the marker it
        is never taken for the dashboard again."""
        body = f"Duplicate: NEXUS AutoFix keeps the CI failure dashboard in #{keeper.number} ({keeper.url})."
        self.update(duplicate, {"state": "closed", "state_reason": "not_planned", "body": body})


def publish_dashboard(
    api: RestApi,
    repository: str,
    snapshot: Snapshot,
    *,
    settings: Settings,
    now: datetime,
    fix_request: str | None = None,
) -> DashboardDelivery | None:
    """Merge this run attempt into the dashboard issue, creating it on first use; None when there is nothing to
    record (a green run whose workflow the dashboard does not show failing).

    Concurrent runs (no-PR failures on many branches) converge (`threads.converge`): each merges its record
    into what the issue holds, writes, and re-reads; among duplicates the oldest issue is kept with every
    record, the others are closed with a link to it. The same attempt processed twice writes nothing.
    """
    found = DashboardIssue(api, repository, bot_login=settings.bot_login)
    found.title = settings.dashboard_title
    made: list[DashboardReport] = []

    def render(previous: str | None) -> str | None:
        if not snapshot.failed and not (previous and has_open_failure(previous, snapshot, settings=settings)):
            return None  # a green run is news only where the dashboard shows its workflow still failing
        report = update_dashboard(previous, snapshot, settings=settings, now=now, fix_request=fix_request)
        made.append(report)
        found.reopen = report.open_failures > 0
        return report.body_md

    done = converge(found, render, combine=combine_dashboards, same=same_records, create=found.create, api=api)
    if done.post is None or not made:
        return None
    report, post = made[-1], done.post
    if done.retired:
        closed = tuple(p.number or 0 for p in done.retired)
        return DashboardDelivery("merged-duplicate", post.number, post.url, report, closed)
    if not done.writes:
        return DashboardDelivery("unchanged", post.number, post.url, report)
    return DashboardDelivery("created" if done.created else "updated", post.number, post.url, report)


def write_dashboard_files(report: DashboardReport, out_dir: str | Path) -> Path:
    """--dry-run: write `dashboard.md` (the body that would be posted) and `dashboard.json` (its state)."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dashboard.md"
    path.write_text(report.body_md, encoding="utf-8")
    (folder / "dashboard.json").write_text(
        json.dumps(
            {
                "title": report.title,
                "label": report.label,
                "insights": report.insights,
                # Unpacked, for people reading a dry run; the issue body holds the same records packed.
                "runs": [r.to_dict() for r in report.records],
                "warnings": list(report.warnings),
            },
            indent=2,
            sort_keys=True,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def dry_run_dashboard(
    previous_body: str | None, snapshot: Snapshot, *, settings: Settings, now: str, out_dir: str | Path
) -> DashboardReport:
    """The dashboard a run would write, as `dashboard.md` / `dashboard.json` in the out folder.

    `previous_body` is used only when it is a dashboard body (the pipeline's --previous may be a PR comment).
    """
    moment = parse_iso(now) or datetime.now(timezone.utc)
    previous = previous_body if previous_body and DASHBOARD_MARKER in previous_body else None
    report = update_dashboard(previous, snapshot, settings=settings, now=moment)
    write_dashboard_files(report, out_dir)
    return report
