"""Transition: what changed since the last report (new, fixed, still failing) and the red/green change.

A `Streak` is the compact memory of the current red (or green) streak: which jobs fail, since when and for how
many attempts. The state keeps the streak before and after the latest snapshot, so processing the same run
attempt again starts from the same place and says the same thing (no double-counted attempts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nexus_action.report.model import Snapshot, as_int, as_str

# Lists in a Transition keep at most this many jobs (the counts stay exact): a run with 500 failed jobs
# must still fit in one comment.
LIST_CAP = 100
CHANGES = ("first_failure", "green_to_red", "red_to_red", "red_to_green", "green")


@dataclass(frozen=True)
class JobStreak:
    name: str
    fingerprint: str
    failure_type: str
    since: str
    attempts: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "failure_type": self.failure_type,
            "since": self.since,
            "attempts": self.attempts,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JobStreak:
        return cls(
            as_str(d.get("name")),
            as_str(d.get("fingerprint")),
            as_str(d.get("failure_type")),
            as_str(d.get("since")),
            max(1, as_int(d.get("attempts"), 1)),
        )


@dataclass(frozen=True)
class Streak:
    """The red/green streak as of one snapshot. `conclusion` None means nothing was reported yet."""

    conclusion: str | None = None
    first_failure_at: str | None = None
    failing_runs: int = 0
    jobs: tuple[JobStreak, ...] = ()

    @property
    def failing(self) -> bool:
        return self.conclusion == "failure"

    def to_dict(self) -> dict[str, Any]:
        return {
            "conclusion": self.conclusion,
            "first_failure_at": self.first_failure_at,
            "failing_runs": self.failing_runs,
            "jobs": [j.to_dict() for j in self.jobs],
        }

    @classmethod
    def from_dict(cls, d: Any) -> Streak:
        if not isinstance(d, dict):
            return cls()
        conclusion = d.get("conclusion")
        first = d.get("first_failure_at")
        return cls(
            conclusion=conclusion if conclusion in ("failure", "success") else None,
            first_failure_at=first if isinstance(first, str) else None,
            failing_runs=as_int(d.get("failing_runs")),
            jobs=tuple(JobStreak.from_dict(j) for j in d.get("jobs") or () if isinstance(j, dict)),
        )


def advance(prior: Streak, snapshot: Snapshot, *, job_cap: int | None = None) -> Streak:
    """The streak after `snapshot`: a failing job keeps its `since` while it keeps failing, by job name."""
    if not snapshot.failed:
        return Streak(conclusion="success")
    before = {j.name: j for j in prior.jobs} if prior.failing else {}
    jobs = []
    for job in snapshot.jobs[:job_cap]:
        old = before.get(job.name)
        jobs.append(
            JobStreak(
                name=job.name,
                fingerprint=job.fingerprint,
                failure_type=job.classification.failure_type,
                since=old.since if old else snapshot.created_at,
                attempts=old.attempts + 1 if old else 1,
            )
        )
    return Streak(
        conclusion="failure",
        first_failure_at=(prior.first_failure_at if prior.failing else None) or snapshot.created_at,
        failing_runs=prior.failing_runs + 1 if prior.failing else 1,
        jobs=tuple(jobs),
    )


@dataclass(frozen=True)
class JobChange:
    name: str
    failure_type: str
    attempts: int = 1
    since: str = ""
    changed: bool = False  # still failing, but with a different failure than last time

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "failure_type": self.failure_type,
            "attempts": self.attempts,
            "since": self.since,
            "changed": self.changed,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JobChange:
        return cls(
            as_str(d.get("name")),
            as_str(d.get("failure_type")),
            max(1, as_int(d.get("attempts"), 1)),
            as_str(d.get("since")),
            d.get("changed") is True,
        )


@dataclass(frozen=True)
class Transition:
    change: str  # one of CHANGES
    new: tuple[JobChange, ...] = ()
    fixed: tuple[JobChange, ...] = ()
    still_failing: tuple[JobChange, ...] = ()
    new_count: int = 0
    fixed_count: int = 0
    still_count: int = 0
    attempts: int = 0  # failed runs in the red streak (on recovery: how many it took)
    since: str | None = None  # when the red streak began
    time_to_fix_seconds: int | None = None  # on recovery
    rerun_of: int | None = None  # this attempt re-runs that attempt of the same run
    flaky: bool = False  # a re-run at the same commit fixed some or all failures

    @property
    def recovered(self) -> bool:
        return self.change == "red_to_green"

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "new": [j.to_dict() for j in self.new],
            "fixed": [j.to_dict() for j in self.fixed],
            "still_failing": [j.to_dict() for j in self.still_failing],
            "new_count": self.new_count,
            "fixed_count": self.fixed_count,
            "still_count": self.still_count,
            "attempts": self.attempts,
            "since": self.since,
            "time_to_fix_seconds": self.time_to_fix_seconds,
            "rerun_of": self.rerun_of,
            "flaky": self.flaky,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Transition:
        def jobs(key: str) -> tuple[JobChange, ...]:
            return tuple(JobChange.from_dict(j) for j in d.get(key) or () if isinstance(j, dict))

        change, since, ttf = d.get("change"), d.get("since"), d.get("time_to_fix_seconds")
        return cls(
            change=change if change in CHANGES else "first_failure",
            new=jobs("new"),
            fixed=jobs("fixed"),
            still_failing=jobs("still_failing"),
            new_count=as_int(d.get("new_count")),
            fixed_count=as_int(d.get("fixed_count")),
            still_count=as_int(d.get("still_count")),
            attempts=as_int(d.get("attempts")),
            since=since if isinstance(since, str) else None,
            time_to_fix_seconds=ttf if isinstance(ttf, int) and not isinstance(ttf, bool) else None,
            rerun_of=as_int(d.get("rerun_of")) or None,
            flaky=d.get("flaky") is True,
        )


def seconds_between(start: str | None, end: str | None) -> int | None:
    """Whole seconds from one ISO 8601 time to another; None when either is missing or unreadable."""
    if not start or not end:
        return None
    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00"))
        return max(0, int((b - a).total_seconds()))
    except (ValueError, TypeError):
        return None


def format_duration(seconds: int) -> str:
    """`45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`: short enough for a status line."""
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _change(prior: Streak, snapshot: Snapshot) -> str:
    if prior.conclusion is None:
        return "first_failure" if snapshot.failed else "green"
    if prior.failing:
        return "red_to_red" if snapshot.failed else "red_to_green"
    return "green_to_red" if snapshot.failed else "green"


def compute_transition(
    prior: Streak, after: Streak, snapshot: Snapshot, *, rerun_of: int | None = None, flaky: bool = False
) -> Transition:
    """Compare the snapshot with the streak before it. `after` is `advance(prior, snapshot)`."""
    change = _change(prior, snapshot)
    before = {j.name: j for j in prior.jobs} if prior.failing else {}
    now = {j.name: j for j in after.jobs}
    new = [JobChange(j.name, j.failure_type, 1, j.since) for j in after.jobs if j.name not in before]
    still = [
        JobChange(j.name, j.failure_type, j.attempts, j.since, changed=before[j.name].fingerprint != j.fingerprint)
        for j in after.jobs
        if j.name in before
    ]
    fixed = [JobChange(j.name, j.failure_type, j.attempts, j.since) for j in prior.jobs if j.name not in now]
    recovered = change == "red_to_green"
    return Transition(
        change=change,
        new=tuple(new[:LIST_CAP]),
        fixed=tuple(fixed[:LIST_CAP]),
        still_failing=tuple(still[:LIST_CAP]),
        new_count=len(new),
        fixed_count=len(fixed),
        still_count=len(still),
        attempts=prior.failing_runs if recovered else after.failing_runs,
        since=prior.first_failure_at if recovered else after.first_failure_at,
        time_to_fix_seconds=seconds_between(prior.first_failure_at, snapshot.created_at) if recovered else None,
        rerun_of=rerun_of,
        flaky=flaky,
    )
