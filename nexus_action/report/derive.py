"""From the merged document to what the report shows: the latest run, the Transition, the history chain and the
command counts. Pure, and a function of the document alone, so every writer that holds the same document renders
the same report whatever order the updates reached it in.

Version-1 states (one `latest` snapshot plus a history list) are read into a document here too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from nexus_action.classify.model import Blocker, Classification
from nexus_action.report.document import (
    Claim,
    CommandEntry,
    Flag,
    JobDoc,
    RunDoc,
    StateDoc,
    canonical,
    merge,
    merge_all,
    run_of,
)
from nexus_action.report.model import FailedJob, GreenRun, Snapshot
from nexus_action.report.state import (
    GENESIS,
    CommandRecord,
    FixRequest,
    HistoryEntry,
    ReportState,
    decode_block,
    verify_chain,
)
from nexus_action.report.state import (
    read_state as read_v1_state,
)
from nexus_action.report.transition import JobStreak, Streak, Transition, compute_transition

DOC_KIND = "state"


def _stub_job(job: JobDoc) -> FailedJob:
    """A job whose detail was not kept: what its compact record still says."""
    top = Blocker(log_line=0, text=job.top) if job.top else None
    classification = Classification(
        domain="unknown", agent="", kind="unknown", failure_type=job.failure_type, confidence=0.0, top_blocker=top
    )
    return FailedJob(name=job.name, classification=classification, job_id=job.check_run_id or None)


def snapshot_of(run: RunDoc) -> tuple[Snapshot, int]:
    """The run as a Snapshot, and how many of its jobs have no detail left (they are counted, not listed)."""
    jobs = [(j, j.job()) for j in run.jobs]
    full = tuple(job for _, job in jobs if job is not None)
    snap = Snapshot(
        repository=run.repository,
        run_id=run.run_id or None,
        run_attempt=run.attempt,
        head_sha=run.head_sha,
        branch=run.branch,
        created_at=run.created_at,
        jobs=full if full or not run.jobs else tuple(_stub_job(j) for j, _ in jobs),
        pr_number=run.pr_number,
        run_url=run.run_url,
        workflow=run.workflow,
        server_url=run.server_url,
        conclusion="failure" if run.failed else "success",
        fix_request=run.fix_request,
        unlisted_reason=run.unlisted_reason,
        green=GreenRun.from_dict(dict(run.green_run)) if run.green_run else None,
    )
    return snap, max(len(run.jobs), run.legacy_failed) - len(snap.jobs)


def _advance(prior: Streak, run: RunDoc) -> Streak:
    """`transition.advance` on a run's compact jobs (fingerprints are stored, not recomputed)."""
    if not run.failed:
        return Streak(conclusion="success")
    before = {j.name: j for j in prior.jobs} if prior.failing else {}
    jobs = []
    for job in run.jobs:
        old = before.get(job.name)
        since = old.since if old else run.created_at
        jobs.append(JobStreak(job.name, job.fingerprint, job.failure_type, since, old.attempts + 1 if old else 1))
    return Streak(
        conclusion="failure",
        first_failure_at=(prior.first_failure_at if prior.failing else None) or run.created_at,
        failing_runs=prior.failing_runs + 1 if prior.failing else 1,
        jobs=tuple(jobs),
    )


def _rerun_of(doc: StateDoc, run: RunDoc) -> int | None:
    earlier = [r.attempt for r in doc.runs if (r.workflow, r.run_id) == (run.workflow, run.run_id)]
    lower = [a for a in earlier if a < run.attempt]
    return max(lower) if lower and run.run_id else None


def _summary(run: RunDoc) -> str:
    if run.legacy_top and not run.jobs:
        return run.legacy_top
    # The job the report leads with (Snapshot.top_job): one with a blocker, the most confident, the first.
    top = max(run.jobs, key=lambda j: (bool(j.top), j.confidence), default=None)
    if top is None:
        return ""
    text = f"{top.name}: {top.failure_type}: {top.top}"
    return text if len(text) <= 160 else text[:159] + "…"


def history_of(doc: StateDoc) -> tuple[HistoryEntry, ...]:
    """One entry per run in run order, chained from the genesis hash: rebuilt after every merge."""
    entries: list[HistoryEntry] = []
    prev = GENESIS
    for seq, run in enumerate(doc.runs, start=1):
        rerun_of = _rerun_of(doc, run)
        entry = HistoryEntry(
            seq=seq,
            run_id=run.run_id or None,
            run_attempt=run.attempt,
            head_sha=run.head_sha,
            at=run.created_at,
            conclusion="failure" if run.failed else "success",
            failed_jobs=max(len(run.jobs), run.legacy_failed),
            fingerprints=tuple(j.fingerprint for j in run.jobs[:50]),
            top=_summary(run),
            run_url=run.run_url,
            workflow=run.workflow,
            rerun_of=rerun_of,
            rerun_fixed=(not run.failed) if rerun_of else None,
        ).sealed(prev)
        entries.append(entry)
        prev = entry.hash
    return tuple(entries)


def cleared(doc: StateDoc, claim: Claim) -> bool:
    """A fix claim made before the last `/nexus reset` (ids grow with time) no longer counts; one made by the
    reset's own comment (`/nexus reset` then `/nexus fix`) does."""
    return doc.reset_after > 0 and claim.comment_id < doc.reset_after


def _command_fields(doc: StateDoc) -> dict[str, Any]:
    retries: dict[str, int] = {}
    fixes = []
    for claim in doc.claims:
        if claim.state == "lost":
            continue
        if claim.kind == "retry":
            retries[claim.key] = retries.get(claim.key, 0) + 1
        elif claim.kind == "fix" and not cleared(doc, claim):
            fixes.append(FixRequest(claim.key, claim.agent, claim.at, claim.state == "done"))
    return {
        "muted": bool(doc.muted and doc.muted.value),
        "breaker_open": bool(doc.breaker and doc.breaker.value),
        "retries_by_sha": retries,
        "fix_requests": tuple(fixes),
        "command_log": tuple(CommandRecord(c.at, c.user, c.command, c.result) for c in doc.commands),
        "processed_comment_ids": doc.processed,
    }


def derive(doc: StateDoc, *, history_limit: int = 20) -> ReportState:
    """The report's view of a document (latest run, streaks, Transition, history, command counts)."""
    fields = _command_fields(doc)
    if not doc.runs:
        return ReportState(doc=doc, **fields)
    prior = Streak()
    for run in doc.runs[:-1]:
        prior = _advance(prior, run)
    last = doc.runs[-1]
    after = _advance(prior, last)
    latest, omitted = snapshot_of(last)
    rerun_of = _rerun_of(doc, last)
    transition: Transition = compute_transition(prior, after, latest, rerun_of=rerun_of)
    if rerun_of:
        # Same commit, same workflow: whatever passed on the re-run failed for reasons outside the code.
        transition = replace(transition, flaky=transition.fixed_count > 0)
    history = history_of(doc)
    return ReportState(
        latest=latest,
        history=history[-history_limit:],
        head_hash=history[-1].hash,
        next_seq=len(history) + 1,
        streak=after,
        prior=prior,
        transition=transition,
        omitted_jobs=omitted,
        doc=doc,
        **fields,
    )


def doc_from_v1(state: ReportState) -> StateDoc:
    """A version-1 state as a document: its history entries become runs (summaries only), `latest` keeps detail,
    counters become claims by earlier-than-any comment ids (so they still count, and count first)."""
    runs = []
    for e in state.history:
        runs.append(
            RunDoc(
                workflow=e.workflow,
                run_id=e.run_id or 0,
                attempt=e.run_attempt,
                created_at=e.at,
                head_sha=e.head_sha,
                run_url=e.run_url,
                green=e.conclusion == "success",
                legacy_failed=e.failed_jobs,
                legacy_top=e.top,
            )
        )
    if state.latest is not None:
        runs.append(run_of(state.latest, at=state.latest.created_at))
    claims = []
    synthetic = 0
    for sha, count in sorted(state.retries_by_sha.items()):
        for _ in range(count):
            synthetic -= 1
            claims.append(Claim("retry", sha, synthetic, "", state="done"))
    for fix in state.fix_requests:
        synthetic -= 1
        claims.append(Claim("fix", fix.fingerprint, synthetic, fix.at, agent=fix.agent, state="done"))
    commands = tuple(
        CommandEntry(0, i, c.at, c.user, c.command, c.result) for i, c in enumerate(state.command_log, start=1)
    )
    return canonical(
        StateDoc(
            runs=tuple(runs),
            muted=Flag(True, "") if state.muted else None,
            breaker=Flag(True, "") if state.breaker_open else None,
            claims=tuple(claims),
            commands=commands,
            processed=state.processed_comment_ids,
        )
    )


def read_doc(body: str | None) -> tuple[StateDoc, list[str]]:
    """The document in a comment or issue body (version 2, or version 1 converted); empty plus warnings when it
    cannot be trusted. A tampered history shows as a warning: the stored chain head must match the runs."""
    data, warnings = decode_block(body, DOC_KIND)
    if data is None:
        return StateDoc(), warnings if body else []
    try:
        if data.get("v") == 2:
            doc = StateDoc.from_dict(data)
            seal = data.get("seal")
            if isinstance(seal, str) and seal != runs_seal(doc):
                warnings.append("the hidden history was edited: its sha256 seal does not match the runs")
            return doc, warnings
        legacy = ReportState.from_dict(data)
    except Exception as exc:  # tolerant by contract: a hand-edited block must never stop the report
        return StateDoc(), [*warnings, f"nexus:state block has an unexpected shape ({exc}): starting fresh"]
    return doc_from_v1(legacy), [*warnings, *verify_chain(legacy.history, legacy.head_hash)]


def merged_body(bodies: list[str]) -> str | None:
    """One body whose hidden state merges the states of all `bodies` (duplicates, or what others wrote).

    A single body is returned as it is, so what reading it finds wrong (an edited history) is still reported."""
    if len(bodies) == 1:
        return bodies[0]
    docs = [read_doc(b)[0] for b in bodies if b]
    if not docs:
        return None
    total = StateDoc()
    for doc in docs:
        total = merge(total, doc)
    return encode_doc(total)


def green_runs(bodies: Iterable[str]) -> tuple[GreenRun, ...]:
    """The last green runs earlier reports were compared with, the newest run's first, from the hidden states of
    `bodies` merged (either version; a green run the state does not hold in full is left out)."""
    doc = merge_all(read_doc(body)[0] for body in bodies)
    found = (GreenRun.from_dict(dict(run.green_run)) for run in reversed(doc.runs) if run.green_run)
    return tuple(run for run in found if run is not None)


def encode_doc(doc: StateDoc, extra: Mapping[str, Any] | None = None) -> str:
    from nexus_action.report.state import encode_block

    data = {**doc.to_dict(), "seal": runs_seal(doc), **(extra or {})}
    return encode_block(DOC_KIND, json.loads(json.dumps(data)), version=2)


def runs_seal(doc: StateDoc) -> str:
    """sha256 over every run as stored: tamper evidence for hand edits (not a signature: anyone who can edit the
    comment can recompute it). Written by every writer after merging, so it never flags a merge."""
    raw = json.dumps([r.to_dict() for r in doc.runs], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def stored_doc(state: ReportState) -> StateDoc:
    """The document to write under a view that the size budget may have cut: only the runs its history still
    shows, and the newest run's jobs with the detail the view kept (jobs left out keep their compact record)."""
    doc = state.doc or StateDoc()
    if not doc.runs:
        return doc
    shown = {(e.workflow, e.run_id or 0, e.run_attempt) for e in state.history}
    runs = [r for r in doc.runs[:-1] if r.key in shown] if len(shown) < len(doc.runs) else list(doc.runs[:-1])
    last = doc.runs[-1]
    if state.latest is not None and state.latest.jobs and not state.omitted_jobs and _same_detail(last, state):
        return replace(doc, runs=(*runs, last))
    kept = {j.name: j.to_dict() for j in state.latest.jobs} if state.latest else {}
    # Jobs the view left out are dropped, and only counted: a run too big for one comment keeps its count.
    jobs = tuple(replace(j, detail=kept[j.name]) for j in last.jobs if j.name in kept)
    count = max(len(last.jobs), last.legacy_failed)
    return replace(doc, runs=(*runs, replace(last, jobs=jobs, legacy_failed=count if len(jobs) < count else 0)))


def _same_detail(run: RunDoc, state: ReportState) -> bool:
    shown = {j.name: j.to_dict() for j in state.latest.jobs} if state.latest else {}
    return all(j.detail is None or shown.get(j.name) == dict(j.detail) for j in run.jobs)


def same_state(a: str, b: str) -> bool:
    """Whether two bodies hold the same document (the visible text may differ: settings, a newer renderer).

    Bodies without a document to compare (none, or one that cannot be read) are the same only as text."""
    if a == b:
        return True
    first, _ = read_doc(a)
    second, _ = read_doc(b)
    if first == StateDoc() or second == StateDoc():
        return False
    return first == second


def encode_state(state: ReportState) -> str:
    """The hidden block of a view: its document (as the size budget left it), or version 1 for a bare view."""
    return encode_doc(stored_doc(state)) if state.doc is not None else state.encode()


def read_state(body: str | None) -> tuple[ReportState, list[str]]:
    """The report's view of an earlier comment or issue body, whichever version its block is."""
    data, _ = decode_block(body, DOC_KIND)
    if data is not None and data.get("v") == 2:
        doc, warnings = read_doc(body)
        return derive(doc), warnings
    return read_v1_state(body)
