"""The dashboard's data: one compact record per run attempt, and the rows and state derived from them. Pure.

The hidden state keeps only `RunRecord`s (plus the insights computed from them, for readers of the state).
Everything the issue shows, the latest failed runs and the insights, is derived from the records, so a
duplicated event or a re-run can never leave two rows that disagree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from nexus_action.isotime import parse_iso
from nexus_action.report.model import Snapshot
from nexus_action.report.redact import sanitize

DASHBOARD_LABEL = "ci-failures"
STATE_KIND = "dashboard"
STATE_VERSION = 1
# Latest failed runs listed in the dashboard issue.
ENTRY_LIMIT = 30
# Run attempts kept in the hidden state: the insights window. Trimmed further when the body would not fit.
RECORD_LIMIT = 150
BLOCKER_CHARS = 160
NAME_CHARS = 100  # workflow, branch and job names: enough to recognise, bounded for the body budget
JOBS_NAMED = 4  # failed jobs named per run (the row shows these); the others keep domain, kind, fingerprint


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list | tuple) else ()


@dataclass(frozen=True)
class JobFailure:
    """One failed job of a run attempt, reduced to what the dashboard shows and counts."""

    name: str
    domain: str
    kind: str
    fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "domain": self.domain, "kind": self.kind, "fp": self.fingerprint}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobFailure:
        return cls(
            _str(data.get("name")),
            _str(data.get("domain")) or "unknown",
            _str(data.get("kind")) or "unknown",
            _str(data.get("fp")),
        )


@dataclass(frozen=True)
class RunRecord:
    """One run attempt as the dashboard remembers it. Text fields are already sanitised."""

    run_id: int
    attempt: int
    workflow: str
    branch: str
    head_sha: str
    created_at: str
    conclusion: str  # "failure" or "success"
    pr_number: int | None = None
    run_url: str = ""
    jobs: tuple[JobFailure, ...] = ()
    blocker: str = ""
    blocker_job: str = ""
    fix_request: str | None = None

    @property
    def failed(self) -> bool:
        return self.conclusion != "success"

    @property
    def key(self) -> tuple[int, int]:
        return (self.run_id, self.attempt)

    @property
    def target(self) -> str:
        """Where red -> green is measured: the PR when there is one, else the branch."""
        return f"PR #{self.pr_number}" if self.pr_number else self.branch

    @property
    def when(self) -> datetime:
        return parse_iso(self.created_at) or datetime.min.replace(tzinfo=timezone.utc)

    @property
    def order(self) -> tuple[datetime, int, int]:
        return (self.when, self.run_id, self.attempt)

    @property
    def top_job(self) -> JobFailure | None:
        return next((j for j in self.jobs if j.name == self.blocker_job), self.jobs[0] if self.jobs else None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "run": self.run_id,
            "attempt": self.attempt,
            "workflow": self.workflow,
            "branch": self.branch,
            "sha": self.head_sha,
            "at": self.created_at,
            "conclusion": self.conclusion,
        }
        optional = {
            "pr": self.pr_number,
            "url": self.run_url or None,
            "jobs": [j.to_dict() for j in self.jobs] or None,
            "blocker": self.blocker or None,
            "blocker_job": self.blocker_job or None,
            "fix_request": self.fix_request,
        }
        data.update({k: v for k, v in optional.items() if v is not None})
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord | None:
        run_id = _int(data.get("run"))
        if run_id is None:
            return None
        jobs = data.get("jobs")
        return cls(
            run_id=run_id,
            attempt=_int(data.get("attempt")) or 1,
            workflow=_str(data.get("workflow")),
            branch=_str(data.get("branch")),
            head_sha=_str(data.get("sha")),
            created_at=_str(data.get("at")),
            conclusion="success" if data.get("conclusion") == "success" else "failure",
            pr_number=_int(data.get("pr")),
            run_url=_str(data.get("url")),
            jobs=tuple(JobFailure.from_dict(j) for j in jobs if isinstance(j, dict)) if isinstance(jobs, list) else (),
            blocker=_str(data.get("blocker")),
            blocker_job=_str(data.get("blocker_job")),
            fix_request=_str(data.get("fix_request")) or None,
        )


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record_from_snapshot(
    snapshot: Snapshot, *, fix_request: str | None = None, secrets: Sequence[str] = ()
) -> RunRecord:
    """Reduce a Snapshot to a RunRecord, sanitising every string that came from the run or its logs."""

    def clean(text: str) -> str:
        return sanitize(text, secrets)

    top = snapshot.top_job
    blocker = top.classification.top_blocker if top else None
    run_url = snapshot.run_url or ""
    if not run_url and snapshot.run_id is not None:
        suffix = f"/attempts/{snapshot.run_attempt}" if snapshot.run_attempt > 1 else ""
        run_url = f"{snapshot.server_url}/{snapshot.repository}/actions/runs/{snapshot.run_id}{suffix}"
    return RunRecord(
        run_id=snapshot.run_id or 0,
        attempt=snapshot.run_attempt,
        workflow=_clip(clean(snapshot.workflow), NAME_CHARS),
        branch=_clip(clean(snapshot.branch), NAME_CHARS),
        head_sha=snapshot.head_sha,
        created_at=snapshot.created_at,
        conclusion="failure" if snapshot.failed else ("success" if snapshot.conclusion == "success" else "failure"),
        pr_number=snapshot.pr_number,
        run_url=run_url,
        jobs=tuple(
            JobFailure(
                # Names of the jobs the row shows (and the blocker's job); the rest are counted, not named,
                # so a 50-job matrix failure cannot crowd the other rows out of the body.
                _clip(clean(j.name), NAME_CHARS) if n < JOBS_NAMED or j is top else "",
                j.classification.domain,
                j.classification.kind,
                j.fingerprint,
            )
            for n, j in enumerate(snapshot.jobs)
        ),
        blocker=_clip(clean(blocker.text), BLOCKER_CHARS) if blocker else "",
        blocker_job=_clip(clean(top.name), NAME_CHARS) if top else "",
        fix_request=clean(request) if (request := fix_request or snapshot.fix_request) else None,
    )


def merge_record(records: Sequence[RunRecord], record: RunRecord) -> tuple[RunRecord, ...]:
    """Add one attempt (merged with what is known of the same attempt); newest first."""
    return merge_records(records, (record,))


def _json(record: RunRecord) -> str:
    return json.dumps(record.to_dict(), sort_keys=True)


def merge_same_attempt(a: RunRecord, b: RunRecord) -> RunRecord:
    """Two writers' records of one run attempt (each job's last step reports its own job): their failed jobs
    are unioned, a failure beats a pass, the earliest time stays; other fields are taken from a fixed choice."""
    base, other = (a, b) if _json(a) >= _json(b) else (b, a)
    jobs = {(j.name, j.fingerprint): j for j in (*other.jobs, *base.jobs)}
    stamps = [s for s in (a.created_at, b.created_at) if s]
    return replace(
        base,
        jobs=tuple(jobs[k] for k in sorted(jobs)),
        conclusion="failure" if a.failed or b.failed else "success",
        created_at=min(stamps) if stamps else "",
    )


def merge_records(a: Sequence[RunRecord], b: Sequence[RunRecord]) -> tuple[RunRecord, ...]:
    """Union by run attempt (commutative, associative, idempotent); newest first."""
    kept: dict[tuple[int, int], RunRecord] = {}
    for record in (*a, *b):
        held = kept.get(record.key)
        kept[record.key] = record if held is None else merge_same_attempt(held, record)
    return tuple(sorted(kept.values(), key=lambda r: (r.order, _json(r)), reverse=True))


@dataclass(frozen=True)
class DashboardEntry:
    """One row of the issue: a failed run (its latest failed attempt) and what became of it since."""

    record: RunRecord
    attempts: int  # how many attempts of this run the dashboard saw
    status: str  # "failing" | "passed-on-rerun" | "green-since"
    green_run: RunRecord | None = None


@dataclass(frozen=True)
class DashboardReport:
    """What the live edge writes: the issue body (markers included), its title and label, and the state."""

    title: str
    label: str
    body_md: str
    state: dict[str, Any]
    entries: tuple[DashboardEntry, ...]
    insights: dict[str, Any]
    records: tuple[RunRecord, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def open_failures(self) -> int:
        return sum(1 for e in self.entries if e.status == "failing")
