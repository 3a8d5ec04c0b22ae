"""Rows and insights derived from the dashboard's run records. Pure: records in, plain data out.

Definitions (docs/dashboard.md says the same for users):
- a *failed run* is a run id with at least one failed attempt; its row shows its latest failed attempt;
- *failures per domain / kind* count the failed jobs of each failed run's latest failed attempt;
- a *red streak* is the time a workflow stays red on one branch (or PR): it opens at the first failed attempt
  after green and closes at the next successful attempt of that workflow there, a *recovery*;
  time-to-fix is close minus open;
- *retries* are attempts numbered 2 or more inside a streak; *fix requests* are the distinct fix-request ids
  (`Nexus-Fix-Request:` trailer) of attempts inside a streak;
- a fingerprint *passed on re-run* when, after it failed, a later attempt of the same workflow on the same
  head SHA succeeded: the flaky candidates.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from nexus_action.dashboard.model import ENTRY_LIMIT, DashboardEntry, RunRecord

TOP_FINGERPRINTS = 5


def build_entries(records: Sequence[RunRecord], limit: int = ENTRY_LIMIT) -> tuple[DashboardEntry, ...]:
    """The latest `limit` failed runs, newest first, each marked with what became of it since."""
    by_run: dict[int, list[RunRecord]] = defaultdict(list)
    for record in records:
        by_run[record.run_id].append(record)
    successes = sorted((r for r in records if not r.failed), key=lambda r: r.order)
    entries = []
    for attempts in by_run.values():
        failed = [r for r in attempts if r.failed]
        if not failed:
            continue
        latest = max(failed, key=lambda r: r.order)
        rerun_green = [r for r in attempts if not r.failed and r.attempt > latest.attempt]
        later_green = [
            r
            for r in successes
            if r.workflow == latest.workflow and r.target == latest.target and r.order > latest.order
        ]
        if rerun_green:
            entry = DashboardEntry(latest, len(attempts), "passed-on-rerun", min(rerun_green, key=lambda r: r.order))
        elif later_green:
            entry = DashboardEntry(latest, len(attempts), "green-since", later_green[0])
        else:
            entry = DashboardEntry(latest, len(attempts), "failing")
        entries.append(entry)
    entries.sort(key=lambda e: e.record.order, reverse=True)
    return tuple(entries[:limit])


def _latest_failed_attempts(records: Sequence[RunRecord]) -> list[RunRecord]:
    latest: dict[int, RunRecord] = {}
    for record in records:
        if record.failed and (record.run_id not in latest or record.order > latest[record.run_id].order):
            latest[record.run_id] = record
    return list(latest.values())


def _streaks(records: Sequence[RunRecord]) -> tuple[list[dict[str, Any]], int]:
    """Closed red streaks (recoveries) and the number still open, per workflow and branch / PR."""
    lanes: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for record in records:
        lanes[(record.workflow, record.target)].append(record)
    recoveries: list[dict[str, Any]] = []
    still_red = 0
    for (workflow, target), lane in sorted(lanes.items()):
        opened: RunRecord | None = None
        retries, fixes = 0, set[str]()
        for record in sorted(lane, key=lambda r: r.order):
            if record.failed and opened is None:
                opened, retries, fixes = record, 0, set[str]()
            if opened is None:
                continue
            retries += record.attempt > 1
            if record.fix_request:
                fixes.add(record.fix_request)
            if not record.failed:
                seconds = int((record.when - opened.when).total_seconds())
                recoveries.append(
                    {
                        "workflow": workflow,
                        "target": target,
                        "red_run": opened.run_id,
                        "green_run": record.run_id,
                        "seconds": seconds,
                        "retries": retries,
                        "fix_requests": len(fixes),
                    }
                )
                opened = None
        still_red += opened is not None
    return recoveries, still_red


def _fingerprints(records: Sequence[RunRecord]) -> list[dict[str, Any]]:
    runs: dict[str, set[int]] = defaultdict(set)
    passed: dict[str, set[int]] = defaultdict(set)
    jobs: dict[str, tuple[Any, str]] = {}
    greens = [r for r in records if not r.failed]
    for record in records:
        if not record.failed:
            continue
        green_after = any(
            g.workflow == record.workflow and g.head_sha == record.head_sha and g.order > record.order for g in greens
        )
        for job in record.jobs:
            runs[job.fingerprint].add(record.run_id)
            if green_after:
                passed[job.fingerprint].add(record.run_id)
            if job.name and (job.fingerprint not in jobs or record.order > jobs[job.fingerprint][0]):
                jobs[job.fingerprint] = (record.order, job.name)
    rows: list[dict[str, Any]] = [
        {
            "fingerprint": fp,
            "job": jobs[fp][1] if fp in jobs else "",
            "failed_runs": len(ids),
            "passed_on_rerun": len(passed[fp]),
        }
        for fp, ids in runs.items()
        if len(ids) >= 2 or passed[fp]
    ]
    rows.sort(key=lambda r: (-int(r["passed_on_rerun"]), -int(r["failed_runs"]), str(r["fingerprint"])))
    return rows[:TOP_FINGERPRINTS]


def _ratio(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def compute_insights(records: Sequence[RunRecord]) -> dict[str, Any]:
    """The insight figures over every record kept (the window), as plain JSON-ready data."""
    failed_runs = _latest_failed_attempts(records)
    jobs = [job for record in failed_runs for job in record.jobs]
    by_domain_kind = Counter((job.domain, job.kind) for job in jobs)
    recoveries, still_red = _streaks(records)
    seconds = [r["seconds"] for r in recoveries]
    ordered = sorted(records, key=lambda r: r.order)
    return {
        "window": {
            "attempts": len(records),
            "since": ordered[0].created_at if ordered else None,
            "until": ordered[-1].created_at if ordered else None,
        },
        "failed_runs": len(failed_runs),
        "failed_jobs": len(jobs),
        "failures_by_domain": dict(sorted(Counter(job.domain for job in jobs).items())),
        "failures_by_kind": dict(sorted(Counter(job.kind for job in jobs).items())),
        "failures_by_domain_kind": [
            {"domain": d, "kind": k, "count": n}
            for (d, k), n in sorted(by_domain_kind.items(), key=lambda item: (-item[1], item[0]))
        ],
        "recoveries": len(recoveries),
        "still_red": still_red,
        "time_to_fix": {
            "mean_seconds": round(statistics.mean(seconds)) if seconds else None,
            "p50_seconds": round(statistics.median(seconds)) if seconds else None,
        },
        "retries_per_recovery": _ratio(sum(r["retries"] for r in recoveries), len(recoveries)),
        "fix_requests_per_recovery": _ratio(sum(r["fix_requests"] for r in recoveries), len(recoveries)),
        "top_fingerprints": _fingerprints(records),
    }
