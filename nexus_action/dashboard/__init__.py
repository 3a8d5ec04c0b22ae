"""CI failure dashboard: one issue per repository listing the latest failed runs, with fix-time insights.

Pure entry points for the pipeline (the GitHub writes live in `dashboard/live.py`):
- `update_dashboard(previous_body, snapshot, settings=..., now=...)` -> DashboardReport (body, state, rows);
- `has_open_failure(previous_body, workflow, target)`: whether a green run has a red row to close (recovery).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from nexus_action.dashboard.insights import build_entries, compute_insights
from nexus_action.dashboard.model import (
    DASHBOARD_LABEL,
    RECORD_LIMIT,
    STATE_KIND,
    STATE_VERSION,
    DashboardEntry,
    DashboardReport,
    RunRecord,
    merge_record,
    record_from_snapshot,
)
from nexus_action.dashboard.render import DASHBOARD_MARKER, render_dashboard
from nexus_action.report.model import Snapshot
from nexus_action.report.state import decode_block, encode_block
from nexus_action.settings import Settings

# GitHub refuses issue bodies over 65,536 characters; keep a margin for edits made by hand.
BODY_LIMIT = 65_536
BODY_BUDGET = 60_000
# The oldest records go first when the body would not fit; never below what the rows need.
_TRIM_STEP = 10

__all__ = [
    "BODY_BUDGET",
    "DASHBOARD_LABEL",
    "DASHBOARD_MARKER",
    "DashboardEntry",
    "DashboardReport",
    "RunRecord",
    "build_report",
    "has_open_failure",
    "read_records",
    "update_dashboard",
]


def read_records(previous_body: str | None) -> tuple[tuple[RunRecord, ...], list[str]]:
    """The run records kept in a dashboard body; a missing or broken block is a fresh start plus a warning."""
    if not previous_body:
        return (), []
    data, warnings = decode_block(previous_body, STATE_KIND)
    if data is None:
        return (), warnings
    if data.get("version") != STATE_VERSION:
        return (), [
            *warnings,
            f"dashboard state version {data.get('version')!r} is not {STATE_VERSION}: starting fresh",
        ]
    raw = data.get("runs")
    items = raw if isinstance(raw, list) else []
    records = [r for r in (RunRecord.from_dict(i) for i in items if isinstance(i, dict)) if r is not None]
    dropped = len(items) - len(records)
    if dropped:
        warnings.append(f"{dropped} unreadable dashboard run record(s) dropped")
    return tuple(sorted(records, key=lambda r: r.order, reverse=True)), warnings


def _state(records: Sequence[RunRecord], insights: dict[str, Any]) -> dict[str, Any]:
    return {"version": STATE_VERSION, "runs": [r.to_dict() for r in records], "insights": insights}


def build_report(
    records: Sequence[RunRecord], *, title: str, now: datetime, warnings: Sequence[str] = ()
) -> DashboardReport:
    """Rows, insights and body for these records (newest first), trimming the oldest until the body fits."""
    kept = tuple(records[:RECORD_LIMIT])
    notes = list(warnings)
    while True:
        entries = build_entries(kept)
        insights = compute_insights(kept)
        state = _state(kept, insights)
        body = render_dashboard(title, entries, insights, now=now, state_block=encode_block(STATE_KIND, state))
        if len(body) <= BODY_BUDGET or len(kept) <= _TRIM_STEP:
            break
        kept = kept[:-_TRIM_STEP]
    if len(kept) < min(len(records), RECORD_LIMIT):
        notes.append(f"dashboard kept the newest {len(kept)} run attempts to stay under {BODY_BUDGET} characters")
    return DashboardReport(
        title=title,
        label=DASHBOARD_LABEL,
        body_md=body,
        state=state,
        entries=entries,
        insights=insights,
        records=kept,
        warnings=tuple(notes),
    )


def update_dashboard(
    previous_body: str | None,
    snapshot: Snapshot,
    *,
    settings: Settings,
    now: datetime,
    fix_request: str | None = None,
) -> DashboardReport:
    """Add this run attempt to the dashboard. Processing the same attempt twice gives the same dashboard.

    `fix_request`: the id from `guards.fix_request_id(ctx)` when the run answers a fix the action requested.
    """
    records, warnings = read_records(previous_body)
    record = record_from_snapshot(snapshot, fix_request=fix_request, secrets=settings.secret_values())
    if record.run_id == 0:
        warnings.append("the run has no id: it is shown but cannot be de-duplicated against re-runs")
    return build_report(merge_record(records, record), title=settings.dashboard_title, now=now, warnings=warnings)


def has_open_failure(previous_body: str | None, snapshot: Snapshot, *, settings: Settings) -> bool:
    """True when the dashboard shows the snapshot's workflow still failing on its branch (or PR): a green run
    there is a recovery worth recording, so the should-process filter gets `report_exists=True`."""
    records, _ = read_records(previous_body)
    this = record_from_snapshot(snapshot, secrets=settings.secret_values())
    return any(
        e.status == "failing" and e.record.workflow == this.workflow and e.record.target == this.target
        for e in build_entries(records, limit=len(records))
    )
