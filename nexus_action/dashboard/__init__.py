"""CI failure dashboard: one issue per repository listing the latest failed runs, with fix-time insights.

Pure entry points for the report flow (the GitHub writes live in `dashboard/live.py`):
- `update_dashboard(previous_body, snapshot, settings=..., now=...)` -> DashboardReport (body, state, rows);
- `has_open_failure(previous_body, snapshot, settings=...)`: whether a green run has a red row to close (the live
  upsert asks it before touching the dashboard for a green run).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from nexus_action.config.settings import Settings
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
    merge_records,
    record_from_snapshot,
)
from nexus_action.dashboard.render import DASHBOARD_MARKER, render_dashboard
from nexus_action.report.model import Snapshot
from nexus_action.report.state import decode_block, encode_block

# GitHub refuses issue bodies over 65,536 characters; keep a margin for edits made by hand.
BODY_LIMIT = 65_536
BODY_BUDGET = 60_000

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
    try:
        items = unpack_runs(str(data.get("runs_z") or ""))
    except ValueError:
        return (), [*warnings, "dashboard run records are corrupt: starting fresh"]
    records = [r for r in (RunRecord.from_dict(i) for i in items if isinstance(i, dict)) if r is not None]
    dropped = len(items) - len(records)
    if dropped:
        warnings.append(f"{dropped} unreadable dashboard run record(s) dropped")
    return tuple(sorted(records, key=lambda r: r.order, reverse=True)), warnings


def pack_runs(records: Sequence[RunRecord]) -> str:
    """Records as base64(zlib(JSON)): matrix runs repeat job names and blockers, which compress ~10x,
    so the 30 rows and a useful insights window fit in one issue body."""
    raw = json.dumps([r.to_dict() for r in records], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return base64.b64encode(zlib.compress(raw.encode("utf-8"), 9)).decode("ascii")


def unpack_runs(packed: str) -> list[Any]:
    """The inverse of pack_runs; raises ValueError on anything that is not what pack_runs wrote."""
    try:
        data = json.loads(zlib.decompress(base64.b64decode(packed, validate=True)).decode("utf-8"))
    except (binascii.Error, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None
    if not isinstance(data, list):
        raise ValueError("not a list")
    return data


def _state(records: Sequence[RunRecord], insights: dict[str, Any]) -> dict[str, Any]:
    # The insights stay plain JSON so a reader of the state (or a script) can use them without unpacking.
    return {"version": STATE_VERSION, "runs_z": pack_runs(records), "insights": insights}


def _render(records: Sequence[RunRecord], title: str, now: datetime, warnings: list[str]) -> DashboardReport:
    entries = build_entries(records)
    insights = compute_insights(records)
    state = _state(records, insights)
    body = render_dashboard(title, entries, insights, now=now, state_block=encode_block(STATE_KIND, state))
    return DashboardReport(
        title=title,
        label=DASHBOARD_LABEL,
        body_md=body,
        state=state,
        entries=entries,
        insights=insights,
        records=tuple(records),
        warnings=tuple(warnings),
    )


def build_report(
    records: Sequence[RunRecord], *, title: str, now: datetime, warnings: Sequence[str] = ()
) -> DashboardReport:
    """Rows, insights and body for these records (newest first), keeping as many as fit in the body budget."""
    kept = tuple(records[:RECORD_LIMIT])
    report = _render(kept, title, now, list(warnings))
    if len(report.body_md) <= BODY_BUDGET:
        return report
    # The body shrinks as the oldest records go: find the most records that still fit (a few renders).
    low, high = 1, len(kept) - 1
    best = _render(kept[:1], title, now, [])
    while low <= high:
        middle = (low + high) // 2
        candidate = _render(kept[:middle], title, now, [])
        if len(candidate.body_md) <= BODY_BUDGET:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    note = f"dashboard kept the newest {len(best.records)} run attempts to stay under {BODY_BUDGET} characters"
    return replace(best, warnings=(*warnings, note))


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
        warnings.append("the run has no id (GITHUB_RUN_ID): it replaces any earlier dashboard row without one")
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


def combine_dashboards(bodies: list[str]) -> str | None:
    """One body whose records merge those of every dashboard copy (duplicates left by concurrent runs)."""
    if len(bodies) <= 1:
        return bodies[0] if bodies else None
    merged: tuple[RunRecord, ...] = ()
    for body in bodies:
        merged = merge_records(merged, read_records(body)[0])
    return f"{DASHBOARD_MARKER}\n" + encode_block(STATE_KIND, _state(merged, {}))


def same_records(a: str, b: str) -> bool:
    """Whether two dashboard bodies hold the same run records (the rendered times may differ)."""
    return a == b or read_records(a)[0] == read_records(b)[0]
