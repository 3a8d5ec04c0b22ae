"""Snapshot: one run attempt's failed jobs and where they happened. Pure data.

The report, the hidden state, the webhook payloads and the slash commands all read this model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nexus_action.classify.model import Classification

_VOLATILE = re.compile(r"0x[0-9a-f]+|\b[0-9a-f]{7,40}\b|\d+(\.\d+)?(ms|s)\b|\d+", re.IGNORECASE)


def normalise_blocker_text(text: str) -> str:
    """Blocker text with volatile parts (numbers, hashes, durations) folded, so reruns compare equal."""
    return " ".join(_VOLATILE.sub("#", text).split()).lower()


# Readers for values read back from hidden state: a hand-edited state must not smuggle in other types.
def as_int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def as_opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def as_opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class FailedJob:
    name: str
    classification: Classification
    url: str | None = None
    job_id: int | None = None
    step: str | None = None
    step_number: int | None = None
    log_available: bool = True
    # Line of the top blocker inside its step's log, for GitHub's `#step:<n>:<line>` anchor (None: unknown).
    step_log_line: int | None = None

    @property
    def fingerprint(self) -> str:
        """job name + failure_type + normalised top blocker, hashed short: stable across reruns."""
        top = self.classification.top_blocker
        basis = "\x1f".join(
            (self.name, self.classification.failure_type, normalise_blocker_text(top.text) if top else "")
        )
        return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "job_id": self.job_id,
            "step": self.step,
            "step_number": self.step_number,
            "log_available": self.log_available,
            "step_log_line": self.step_log_line,
            "fingerprint": self.fingerprint,
            "classification": self.classification.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FailedJob:
        return cls(
            name=str(data.get("name") or ""),
            classification=Classification.from_dict(data.get("classification") or {}),
            url=as_opt_str(data.get("url")),
            job_id=as_opt_int(data.get("job_id")),
            step=as_opt_str(data.get("step")),
            step_number=as_opt_int(data.get("step_number")),
            log_available=bool(data.get("log_available", True)),
            step_log_line=as_opt_int(data.get("step_log_line")),
        )


@dataclass(frozen=True)
class GreenRun:
    """The last green run a failure was compared with: a successful run of the same workflow on the branch
    the run is measured against, with its successful jobs by name. Kept in the hidden state, so that a
    re-report need not look it up again."""

    run_id: int
    head_sha: str
    url: str
    created_at: str
    branch: str
    workflow: str  # the workflow id or file name it was looked up by
    jobs: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "head_sha": self.head_sha,
            "url": self.url,
            "created_at": self.created_at,
            "branch": self.branch,
            "workflow": self.workflow,
            "jobs": dict(self.jobs),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GreenRun | None:
        """None when `data` is not a green run as written by to_dict (a hand-edited or older state)."""
        run_id, jobs = data.get("run_id"), data.get("jobs")
        if not isinstance(run_id, int) or isinstance(run_id, bool) or not isinstance(jobs, dict):
            return None
        texts = {k: data.get(k) for k in ("head_sha", "url", "created_at", "branch", "workflow")}
        if not all(isinstance(t, str) for t in texts.values()):
            return None
        return cls(
            run_id=run_id,
            head_sha=str(texts["head_sha"]),
            url=str(texts["url"]),
            created_at=str(texts["created_at"]),
            branch=str(texts["branch"]),
            workflow=str(texts["workflow"]),
            jobs={str(k): v for k, v in jobs.items() if isinstance(v, int) and not isinstance(v, bool)},
        )


@dataclass(frozen=True)
class Snapshot:
    """One run attempt. `conclusion` is "failure" when jobs failed, "success" when the run went green."""

    repository: str
    run_id: int | None
    run_attempt: int
    head_sha: str
    branch: str
    created_at: str  # ISO 8601, UTC; passed in (the core has no clock)
    jobs: tuple[FailedJob, ...] = field(default_factory=tuple)
    pr_number: int | None = None
    run_url: str | None = None
    workflow: str = ""
    server_url: str = "https://github.com"
    conclusion: str = "failure"
    # Set when this run tests a fix NEXUS AutoFix requested (the fix request id): the report labels it.
    fix_request: str | None = None
    # Why no failed job is listed for a run that failed (the job list could not be read, or it shows none).
    unlisted_reason: str | None = None
    # The last green run the failed jobs' logs were compared with (None: no comparison).
    green: GreenRun | None = None

    @property
    def failed(self) -> bool:
        """Failed jobs, or any run that did not conclude success: a failure with no job listed (`unlisted_reason`
        says why, when known) is never called green, wherever the snapshot was built."""
        return bool(self.jobs) or self.conclusion != "success"

    @property
    def masked_values(self) -> tuple[str, ...]:
        """Every value a job's log announced with `::add-mask::`: redaction masks them in every job's text."""
        return tuple(dict.fromkeys(v for job in self.jobs for v in job.classification.masked_values))

    @property
    def top_job(self) -> FailedJob | None:
        """The job whose blocker leads the report: the most confident classification, then the first."""
        if not self.jobs:
            return None
        return max(self.jobs, key=lambda j: (j.classification.top_blocker is not None, j.classification.confidence))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "repository": self.repository,
            "run_id": self.run_id,
            "run_attempt": self.run_attempt,
            "head_sha": self.head_sha,
            "branch": self.branch,
            "created_at": self.created_at,
            "pr_number": self.pr_number,
            "run_url": self.run_url,
            "workflow": self.workflow,
            "server_url": self.server_url,
            "conclusion": self.conclusion,
            "fix_request": self.fix_request,
            "jobs": [j.to_dict() for j in self.jobs],
        }
        if self.green is not None:  # only written when set, like unlisted_reason
            data["green"] = self.green.to_dict()
        if self.unlisted_reason is not None:  # only written when set, so older states read back the same
            data["unlisted_reason"] = self.unlisted_reason
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        return cls(
            repository=str(data.get("repository") or ""),
            run_id=as_opt_int(data.get("run_id")),
            run_attempt=as_opt_int(data.get("run_attempt")) or 1,
            head_sha=str(data.get("head_sha") or ""),
            branch=str(data.get("branch") or ""),
            created_at=str(data.get("created_at") or ""),
            jobs=tuple(FailedJob.from_dict(j) for j in data.get("jobs") or () if isinstance(j, dict)),
            pr_number=as_opt_int(data.get("pr_number")),
            run_url=as_opt_str(data.get("run_url")),
            workflow=str(data.get("workflow") or ""),
            server_url=str(data.get("server_url") or "https://github.com"),
            conclusion=str(data.get("conclusion") or "failure"),
            fix_request=data.get("fix_request") if isinstance(data.get("fix_request"), str) else None,
            unlisted_reason=as_opt_str(data.get("unlisted_reason")),
            green=GreenRun.from_dict(data["green"]) if isinstance(data.get("green"), dict) else None,
        )
