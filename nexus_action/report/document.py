"""The hidden state as a document every writer can merge: one merge rule per field. Pure.

Many processes write the same report at the same time (each failing job's last step, matrix legs, re-runs,
`workflow_run` workflows, slash commands), and GitHub offers no compare-and-swap on a comment. So the state
is built to converge: `merge` is commutative, associative and idempotent, and a writer that finds a body
changed under it merges again instead of choosing a side.

- runs, keyed by (workflow, run id, attempt), are unioned; their jobs, keyed by (job name, matrix values,
  check-run id), are unioned too and the latest version of each job wins (a job read from its full log beats
  one read from annotations, then the later write, then a fixed tie-break on the content);
- `/nexus mute` and the circuit breaker are flags that carry when (and by which comment) they were set:
  the later one wins;
- retries and fix requests are claims, one per comment id: a count is the number of claims, so it can be
  neither lost nor counted twice;
- processed comment ids and the command log are sets ordered by comment id;
- bounds keep the newest by key (which commutes with the union), and only the newest run keeps its jobs'
  full detail; older runs keep what the history and the Transition need.
The history chain is not stored but rebuilt from the runs in run order (`nexus_action.report.derive`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from nexus_action.report.model import FailedJob, Snapshot, as_int, as_opt_int, as_str

DOC_VERSION = 2
RUNS_KEPT = 200  # the largest history_limit allowed
DETAIL_RUNS = 1  # runs whose jobs keep their full classification (the report shows the newest)
PROCESSED_KEPT = 200
COMMANDS_KEPT = 50
CLAIMS_KEPT = 200
TOP_CHARS = 160

JobKey = tuple[str, str, int]  # (job name, matrix values, check-run id; 0 when unknown)
RunKey = tuple[str, int, int]  # (workflow, run id; 0 when unknown, attempt)
CLAIM_STATES = ("claimed", "lost", "failed", "done")  # a claim only ever moves right


def _as_float(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _top_text(job: FailedJob) -> str:
    top = job.classification.top_blocker
    text = " ".join(top.text.split()) if top else ""
    return text if len(text) <= TOP_CHARS else text[: TOP_CHARS - 1] + "…"


@dataclass(frozen=True)
class JobDoc:
    """One failed job of one run attempt, as one writer saw it at `at`."""

    name: str
    matrix: str
    check_run_id: int
    at: str
    log_available: bool
    fingerprint: str
    failure_type: str
    top: str = ""
    confidence: float = 0.0  # which job leads the history's summary of its run
    detail: Mapping[str, Any] | None = field(default=None, compare=False)  # FailedJob.to_dict(), newest runs only

    @property
    def key(self) -> JobKey:
        return (self.name, self.matrix, self.check_run_id)

    def compact(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "matrix": self.matrix,
            "check_run_id": self.check_run_id,
            "at": self.at,
            "log": self.log_available,
            "fp": self.fingerprint,
            "type": self.failure_type,
            "top": self.top,
            "conf": self.confidence,
        }

    def to_dict(self) -> dict[str, Any]:
        data = self.compact()
        if self.detail is not None:
            data["detail"] = dict(self.detail)
        return data

    @property
    def rank(self) -> tuple[bool, str, str, str]:
        """Which version of the same job wins: full log first, then the later write, then content (tie-break).

        The compact content decides before the detail, so dropping an old run's detail never changes a winner.
        """
        return (self.log_available, self.at, _json(self.compact()), _json(self.detail) if self.detail else "")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobDoc) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(_json(self.to_dict()))

    @classmethod
    def of(cls, job: FailedJob, *, at: str, matrix: str = "") -> JobDoc:
        return cls(
            name=job.name,
            matrix=matrix,
            check_run_id=job.job_id or 0,
            at=at,
            log_available=job.log_available,
            fingerprint=job.fingerprint,
            failure_type=job.classification.failure_type,
            top=_top_text(job),
            confidence=job.classification.confidence,
            detail=job.to_dict(),
        )

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JobDoc:
        detail = d.get("detail")
        return cls(
            name=as_str(d.get("name")),
            matrix=as_str(d.get("matrix")),
            check_run_id=as_int(d.get("check_run_id")),
            at=as_str(d.get("at")),
            log_available=d.get("log") is not False,
            fingerprint=as_str(d.get("fp")),
            failure_type=as_str(d.get("type")),
            top=as_str(d.get("top")),
            confidence=_as_float(d.get("conf")),
            detail=detail if isinstance(detail, dict) else None,
        )

    def job(self) -> FailedJob | None:
        """The full job, when this version still carries its detail."""
        if self.detail is None:
            return None
        try:
            return FailedJob.from_dict(dict(self.detail))
        except (TypeError, ValueError, AttributeError):
            return None


@dataclass(frozen=True)
class RunDoc:
    """One run attempt: where it ran and which of its jobs failed. `green` once any writer saw it pass."""

    workflow: str
    run_id: int
    attempt: int
    created_at: str  # when it was first reported (the earliest writer's time)
    head_sha: str = ""
    branch: str = ""
    repository: str = ""
    pr_number: int | None = None
    run_url: str | None = None
    server_url: str = "https://github.com"
    fix_request: str | None = None
    unlisted_reason: str | None = None  # a failed run whose jobs could not be listed says why
    green_run: Mapping[str, Any] | None = field(default=None, compare=False)  # GreenRun.to_dict(): compared with
    green: bool = False
    jobs: tuple[JobDoc, ...] = ()  # sorted by key
    # Runs read from a version-1 state carry only the history's summary of their jobs.
    legacy_failed: int = 0
    legacy_top: str = ""

    @property
    def key(self) -> RunKey:
        return (self.workflow, self.run_id, self.attempt)

    @property
    def order(self) -> tuple[int, int, str]:
        """Run order: GitHub numbers runs increasingly, attempts count up within a run."""
        return (self.run_id, self.attempt, self.workflow)

    @property
    def failed(self) -> bool:
        return bool(self.jobs) or self.legacy_failed > 0 or not self.green

    def meta(self) -> dict[str, Any]:
        return {
            "head_sha": self.head_sha,
            "branch": self.branch,
            "repository": self.repository,
            "pr": self.pr_number,
            "run_url": self.run_url,
            "server_url": self.server_url,
            "fix_request": self.fix_request,
            "unlisted": self.unlisted_reason,
            "green_run": dict(self.green_run) if self.green_run else None,
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunDoc) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(_json(self.to_dict()))

    def to_dict(self) -> dict[str, Any]:
        data = {
            "workflow": self.workflow,
            "run_id": self.run_id,
            "attempt": self.attempt,
            "created_at": self.created_at,
            "green": self.green,
            "jobs": [j.to_dict() for j in self.jobs],
            **self.meta(),
        }
        if self.legacy_failed or self.legacy_top:
            data.update(legacy_failed=self.legacy_failed, legacy_top=self.legacy_top)
        return data

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RunDoc:
        jobs = [JobDoc.from_dict(j) for j in d.get("jobs") or () if isinstance(j, dict)]
        return cls(
            workflow=as_str(d.get("workflow")),
            run_id=as_int(d.get("run_id")),
            attempt=max(1, as_int(d.get("attempt"), 1)),
            created_at=as_str(d.get("created_at")),
            head_sha=as_str(d.get("head_sha")),
            branch=as_str(d.get("branch")),
            repository=as_str(d.get("repository")),
            pr_number=as_opt_int(d.get("pr")),
            run_url=d.get("run_url") if isinstance(d.get("run_url"), str) else None,
            server_url=as_str(d.get("server_url")) or "https://github.com",
            fix_request=d.get("fix_request") if isinstance(d.get("fix_request"), str) else None,
            unlisted_reason=d.get("unlisted") if isinstance(d.get("unlisted"), str) else None,
            green_run=d.get("green_run") if isinstance(d.get("green_run"), dict) else None,
            green=d.get("green") is True,
            jobs=_union_jobs(jobs, ()),
            legacy_failed=as_int(d.get("legacy_failed")),
            legacy_top=as_str(d.get("legacy_top")),
        )

    def compacted(self) -> RunDoc:
        return replace(self, jobs=tuple(replace(j, detail=None) for j in self.jobs))


def _union_jobs(a: Iterable[JobDoc], b: Iterable[JobDoc]) -> tuple[JobDoc, ...]:
    best: dict[JobKey, JobDoc] = {}
    for job in (*a, *b):
        held = best.get(job.key)
        if held is None or job.rank > held.rank:
            best[job.key] = job
    return tuple(best[k] for k in sorted(best))


def _later_meta(a: RunDoc, b: RunDoc) -> RunDoc:
    """The run fields other than jobs: identical from every writer in practice; a fixed choice otherwise."""
    return a if _json(a.meta()) >= _json(b.meta()) else b


def merge_runs(a: RunDoc, b: RunDoc) -> RunDoc:
    base = _later_meta(a, b)
    stamps = [s for s in (a.created_at, b.created_at) if s]
    return replace(
        base,
        created_at=min(stamps) if stamps else "",
        green=a.green or b.green,
        jobs=_union_jobs(a.jobs, b.jobs),
        legacy_failed=max(a.legacy_failed, b.legacy_failed),
        legacy_top=max(a.legacy_top, b.legacy_top),
    )


@dataclass(frozen=True)
class Flag:
    """A yes/no set by a comment at a time; the later (time, comment id) wins."""

    value: bool
    at: str
    by: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "at": self.at, "by": self.by}

    @classmethod
    def from_dict(cls, d: Any) -> Flag | None:
        if not isinstance(d, dict):
            return None
        return cls(d.get("value") is True, as_str(d.get("at")), as_int(d.get("by")))


def later_flag(a: Flag | None, b: Flag | None) -> Flag | None:
    if a is None or b is None:
        return a or b
    return a if (a.at, a.by, a.value) >= (b.at, b.by, b.value) else b


@dataclass(frozen=True)
class Claim:
    """A comment's claim on a limited action: a re-run of `key` (a head SHA) or a fix of `key` (a fingerprint)."""

    kind: str  # retry | fix
    key: str
    comment_id: int
    at: str
    user: str = ""
    agent: str = ""
    state: str = "claimed"  # claimed -> lost | failed | done

    @property
    def ident(self) -> tuple[str, int, str]:
        return (self.kind, self.comment_id, self.key)

    @property
    def rank(self) -> tuple[int, str]:
        return (CLAIM_STATES.index(self.state) if self.state in CLAIM_STATES else 0, _json(self.to_dict()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "comment": self.comment_id,
            "at": self.at,
            "user": self.user,
            "agent": self.agent,
            "state": self.state,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Claim:
        state = as_str(d.get("state"))
        return cls(
            kind=as_str(d.get("kind")),
            key=as_str(d.get("key")),
            comment_id=as_int(d.get("comment")),
            at=as_str(d.get("at")),
            user=as_str(d.get("user")),
            agent=as_str(d.get("agent")),
            state=state if state in CLAIM_STATES else "claimed",
        )


@dataclass(frozen=True)
class CommandEntry:
    """One line of the Commands log: the `index`-th command of comment `comment_id`."""

    comment_id: int
    index: int
    at: str
    user: str
    command: str
    result: str

    @property
    def ident(self) -> tuple[int, int]:
        return (self.comment_id, self.index)

    def to_dict(self) -> dict[str, Any]:
        return {
            "comment": self.comment_id,
            "index": self.index,
            "at": self.at,
            "user": self.user,
            "command": self.command,
            "result": self.result,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CommandEntry:
        return cls(
            as_int(d.get("comment")),
            as_int(d.get("index")),
            as_str(d.get("at")),
            as_str(d.get("user")),
            as_str(d.get("command")),
            as_str(d.get("result")),
        )


def _union_by(items: Iterable[Any], ident: Any, rank: Any, keep: int) -> tuple[Any, ...]:
    """Union keyed by `ident`, the highest `rank` per key, the `keep` largest keys kept, in key order."""
    best: dict[Any, Any] = {}
    for item in items:
        k = ident(item)
        if k not in best or rank(item) > rank(best[k]):
            best[k] = item
    keys = sorted(best)[-keep:] if keep else []
    return tuple(best[k] for k in keys)


@dataclass(frozen=True)
class StateDoc:
    runs: tuple[RunDoc, ...] = ()  # in run order
    muted: Flag | None = None
    breaker: Flag | None = None
    claims: tuple[Claim, ...] = ()
    commands: tuple[CommandEntry, ...] = ()
    processed: tuple[int, ...] = ()
    reset_after: int = 0  # fix claims of comments before this one were cleared by `/nexus reset`

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": DOC_VERSION,
            "runs": [r.to_dict() for r in self.runs],
            "muted": self.muted.to_dict() if self.muted else None,
            "breaker": self.breaker.to_dict() if self.breaker else None,
            "claims": [c.to_dict() for c in self.claims],
            "commands": [c.to_dict() for c in self.commands],
            "processed": list(self.processed),
            "reset_after": self.reset_after,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StateDoc:
        def dicts(key: str) -> list[dict[str, Any]]:
            value = d.get(key)
            return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

        processed = d.get("processed")
        return canonical(
            cls(
                runs=tuple(RunDoc.from_dict(r) for r in dicts("runs")),
                muted=Flag.from_dict(d.get("muted")),
                breaker=Flag.from_dict(d.get("breaker")),
                claims=tuple(Claim.from_dict(c) for c in dicts("claims")),
                commands=tuple(CommandEntry.from_dict(c) for c in dicts("commands")),
                processed=tuple(
                    i for i in (processed if isinstance(processed, list) else ()) if as_opt_int(i) is not None
                ),
                reset_after=as_int(d.get("reset_after")),
            )
        )

    def run(self, key: RunKey) -> RunDoc | None:
        return next((r for r in self.runs if r.key == key), None)


def canonical(doc: StateDoc, runs_kept: int = RUNS_KEPT) -> StateDoc:
    """The one form of a document: every set deduplicated by key, ordered, bounded to its newest entries."""
    runs: dict[RunKey, RunDoc] = {}
    for run in (replace(r, jobs=_union_jobs(r.jobs, ())) for r in doc.runs):
        runs[run.key] = merge_runs(runs[run.key], run) if run.key in runs else run
    ordered = sorted(runs.values(), key=lambda r: r.order)[-runs_kept:] if runs_kept else []
    cut = len(ordered) - DETAIL_RUNS
    kept = tuple(r.compacted() if i < cut else r for i, r in enumerate(ordered))
    return StateDoc(
        runs=kept,
        muted=doc.muted,
        breaker=doc.breaker,
        claims=_union_by(doc.claims, lambda c: c.ident, lambda c: c.rank, CLAIMS_KEPT),
        commands=_union_by(doc.commands, lambda c: c.ident, lambda c: _json(c.to_dict()), COMMANDS_KEPT),
        processed=tuple(sorted(set(doc.processed)))[-PROCESSED_KEPT:],
        reset_after=doc.reset_after,
    )


def merge(a: StateDoc, b: StateDoc, runs_kept: int = RUNS_KEPT) -> StateDoc:
    """The document holding both: commutative, associative and idempotent (tests/report/test_document.py)."""
    return canonical(
        StateDoc(
            runs=(*a.runs, *b.runs),
            muted=later_flag(a.muted, b.muted),
            breaker=later_flag(a.breaker, b.breaker),
            claims=(*a.claims, *b.claims),
            commands=(*a.commands, *b.commands),
            processed=(*a.processed, *b.processed),
            reset_after=max(a.reset_after, b.reset_after),
        ),
        runs_kept,
    )


def merge_all(docs: Iterable[StateDoc], runs_kept: int = RUNS_KEPT) -> StateDoc:
    out = StateDoc()
    for doc in docs:
        out = merge(out, doc, runs_kept)
    return out


def run_of(snapshot: Snapshot, *, at: str, matrix: Mapping[str, str] | None = None) -> RunDoc:
    """This writer's update: the snapshot's run attempt with the jobs it saw, stamped `at`."""
    values = matrix or {}
    return RunDoc(
        workflow=snapshot.workflow,
        run_id=snapshot.run_id or 0,
        attempt=snapshot.run_attempt,
        created_at=snapshot.created_at,
        head_sha=snapshot.head_sha,
        branch=snapshot.branch,
        repository=snapshot.repository,
        pr_number=snapshot.pr_number,
        run_url=snapshot.run_url,
        server_url=snapshot.server_url,
        fix_request=snapshot.fix_request,
        unlisted_reason=snapshot.unlisted_reason,
        green_run=snapshot.green.to_dict() if snapshot.green else None,
        green=not snapshot.failed and snapshot.conclusion == "success",
        jobs=_union_jobs((JobDoc.of(j, at=at, matrix=values.get(j.name, "")) for j in snapshot.jobs), ()),
    )
