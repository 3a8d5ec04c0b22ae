"""Markdown of the dashboard issue. Pure: entries, insights and the time are passed in.

Every string in the records was sanitised when the record was made; cells here only escape table syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from nexus_action.dashboard.model import ENTRY_LIMIT, JOBS_NAMED, DashboardEntry, RunRecord

# The visible marker the live edge looks for first (the hidden state block follows at the end).
DASHBOARD_MARKER = "<!-- nexus:dashboard-issue -->"


def cell(text: str) -> str:
    """Text safe inside a table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def code(text: str) -> str:
    # A backtick would end the code span early; the modifier letter grave looks the same.
    return f"`{cell(text).replace('`', 'ˋ')}`" if text else ""


def duration(seconds: int | None) -> str:
    """`3d 4h`, `2h 30m`, `45m`, `40s`; "—" when there is nothing to show."""
    if seconds is None:
        return "—"
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else f"{secs}s"


def _short_time(record: RunRecord) -> str:
    return record.when.strftime("%Y-%m-%d %H:%M") if record.created_at else "—"


def _run_link(record: RunRecord) -> str:
    if not record.run_id:
        return "—"  # a laptop or test run without GITHUB_RUN_ID
    label = f"#{record.run_id}" + (f" (attempt {record.attempt})" if record.attempt > 1 else "")
    return f"[{label}]({record.run_url})" if record.run_url else label


def _jobs(record: RunRecord) -> str:
    names = [cell(j.name) for j in record.jobs if j.name][:JOBS_NAMED]
    more = len(record.jobs) - len(names)
    return ", ".join(names) + (f" +{more} more" if more > 0 else "")


def _status(entry: DashboardEntry) -> str:
    green = entry.green_run
    if entry.status == "passed-on-rerun" and green:
        return f"🔁 passed on re-run ({_run_link(green)}), flaky?"
    if entry.status == "green-since" and green:
        return f"✅ green since {_run_link(green)}"
    return "❌ still failing"


def _entry_row(entry: DashboardEntry) -> str:
    record = entry.record
    top = record.top_job
    cells = [
        _short_time(record),
        cell(record.workflow) or "—",
        cell(record.target) or "—",
        _run_link(record),
        _jobs(record),
        cell(top.domain if top else "unknown"),
        code(record.blocker) or "—",
        _status(entry),
    ]
    return "| " + " | ".join(cells) + " |"


def _entries_table(entries: Sequence[DashboardEntry]) -> list[str]:
    if not entries:
        return ["No failed runs recorded yet."]
    return [
        "| When (UTC) | Workflow | Branch | Run | Failed jobs | Domain | Top blocker | Since |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *(_entry_row(e) for e in entries),
    ]


def _per_recovery(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _insights(insights: dict[str, Any]) -> list[str]:
    window = insights["window"]
    since = (window["since"] or "")[:10]
    ttf = insights["time_to_fix"]
    lines = [
        f"### Insights: last {window['attempts']} run attempts" + (f" since {since}" if since else ""),
        "",
        "| Measure | Value |",
        "| --- | --- |",
        f"| Failed runs (failed jobs) | {insights['failed_runs']} ({insights['failed_jobs']}) |",
        f"| Recoveries, red → green | {insights['recoveries']} |",
        f"| Still red (workflow × branch) | {insights['still_red']} |",
        f"| Time to fix, mean / p50 | {duration(ttf['mean_seconds'])} / {duration(ttf['p50_seconds'])} |",
        f"| Retries per recovery | {_per_recovery(insights['retries_per_recovery'])} |",
        f"| Fix requests per recovery | {_per_recovery(insights['fix_requests_per_recovery'])} |",
    ]
    if insights["failures_by_domain_kind"]:
        lines += ["", "| Domain | Kind | Failed jobs |", "| --- | --- | --- |"]
        lines += [
            f"| {cell(r['domain'])} | {cell(r['kind'])} | {r['count']} |" for r in insights["failures_by_domain_kind"]
        ]
    if insights["top_fingerprints"]:
        lines += [
            "",
            "Recurring failures (flaky candidates first: failed, then passed on a re-run of the same commit):",
            "",
            "| Fingerprint | Job | Failed runs | Passed on re-run |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| `{r['fingerprint']}` | {cell(r['job'])} | {r['failed_runs']} | {r['passed_on_rerun']} |"
            for r in insights["top_fingerprints"]
        ]
    return lines


def render_dashboard(
    title: str,
    entries: Sequence[DashboardEntry],
    insights: dict[str, Any],
    *,
    now: datetime,
    state_block: str,
) -> str:
    """The whole issue body: visible marker, runs table, insights, then the hidden state block last."""
    stamp = now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    failing = sum(1 for e in entries if e.status == "failing")
    lines = [
        DASHBOARD_MARKER,
        f"## {cell(title)}",
        "",
        f"Latest {len(entries)} failed run{'' if len(entries) == 1 else 's'} across workflows "
        f"(at most {ENTRY_LIMIT}), newest first; "
        f"{failing} still failing. Updated {stamp} by NEXUS AutoFix.",
        "",
        *_entries_table(entries),
        "",
        *_insights(insights),
        "",
        "<sub>Runs re-run on GitHub show once, with their latest failed attempt. "
        "Edit nothing below this line: it is the dashboard's memory.</sub>",
        "",
        state_block,
        "",
    ]
    return "\n".join(lines)
