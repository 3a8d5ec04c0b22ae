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
from nexus_action.dashboard import DASHBOARD_MARKER, has_open_failure, read_records, update_dashboard
from nexus_action.dashboard.model import DASHBOARD_LABEL, DashboardReport
from nexus_action.github.port import RestApi
from nexus_action.github.threads import Post, ensure_label, labelled_issues
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

    def find_all(self) -> list[Post]:
        """Our dashboard issues, open ones first, each group oldest first.

        Calls: GET /repos/{owner}/{repo}/issues?labels={label}&state=all (paginated)
        """
        found = [
            post
            for post in labelled_issues(self.api, self.repository, self.label)
            if post.author.casefold() == self.bot_login.casefold() and DASHBOARD_MARKER in post.body
        ]
        return sorted(found, key=lambda p: (p.state != "open", p.created_at, p.id))

    def ensure_label(self) -> None:
        ensure_label(self.api, self.repository, self.label, color=LABEL_COLOR, description=LABEL_DESCRIPTION)

    def create(self, report: DashboardReport) -> Post:
        """Calls: POST /repos/{owner}/{repo}/issues"""
        self.ensure_label()
        fields = {"title": report.title, "body": report.body_md, "labels": [self.label]}
        return self.api.send("POST", f"/repos/{self.repository}/issues", fields, read=Post.from_api)

    def update(self, issue: Post, change: dict[str, object]) -> Post:
        """Calls: PATCH /repos/{owner}/{repo}/issues/{issue_number}"""
        return self.api.send("PATCH", f"/repos/{self.repository}/issues/{issue.number}", change, read=Post.from_api)


def _change(issue: Post, report: DashboardReport) -> dict[str, object]:
    change: dict[str, object] = {"body": report.body_md}
    if issue.title != report.title:
        change["title"] = report.title
    # A closed dashboard stays closed while everything is green; a new failure reopens it.
    if issue.state != "open" and report.open_failures:
        change["state"] = "open"
    return change


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

    The same attempt processed twice leaves the records unchanged, so nothing is written the second time.
    Two runs racing to create the issue both see each other after the create: the oldest issue wins, takes
    this run's record, and the newer one is closed as a duplicate.
    """
    found = DashboardIssue(api, repository, bot_login=settings.bot_login)
    existing = found.find_all()
    if not snapshot.failed and not (existing and has_open_failure(existing[0].body, snapshot, settings=settings)):
        return None  # a green run is news only where the dashboard shows its workflow still failing
    if existing:
        issue = existing[0]
        report = update_dashboard(issue.body, snapshot, settings=settings, now=now, fix_request=fix_request)
        change = _change(issue, report)
        # Same records (a duplicated event, a re-run of the reporting job): only the timestamp would change.
        if read_records(issue.body)[0] == report.records and set(change) == {"body"}:
            return DashboardDelivery("unchanged", issue.number, issue.url, report)
        updated = found.update(issue, change)
        return DashboardDelivery("updated", updated.number, updated.url or issue.url, report)
    report = update_dashboard(None, snapshot, settings=settings, now=now, fix_request=fix_request)
    created = found.create(report)
    return _settle_duplicates(found, created, report, snapshot, settings=settings, now=now, fix_request=fix_request)


def _settle_duplicates(
    found: DashboardIssue,
    created: Post,
    report: DashboardReport,
    snapshot: Snapshot,
    *,
    settings: Settings,
    now: datetime,
    fix_request: str | None,
) -> DashboardDelivery:
    """Second line of defence after a create: keep the oldest dashboard, close the others."""
    everyone = [p for p in found.find_all() if p.state == "open" or p.id == created.id]
    if not everyone or everyone[0].id == created.id:
        return DashboardDelivery("created", created.number, created.url, report)
    keeper = everyone[0]
    merged = update_dashboard(keeper.body, snapshot, settings=settings, now=now, fix_request=fix_request)
    found.update(keeper, {"body": merged.body_md})
    closed = []
    for duplicate in everyone[1:]:
        if duplicate.id == created.id:
            found.update(duplicate, {"state": "closed", "state_reason": "not_planned"})
            closed.append(duplicate.number or 0)
    return DashboardDelivery("merged-duplicate", keeper.number, keeper.url, merged, tuple(closed))


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
