"""build_report: one snapshot + the previous body -> the next state and every rendered text.

History-level guards live here because they decide how the state moves:
- the same run attempt processed twice updates its history entry (and says so: no second alert);
- attempt 2 of a run is a new entry that says it re-runs attempt 1 and whether that fixed it (flaky candidate);
- a report for an older head SHA than the one already shown is recorded in history only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nexus_action.classify.model import BaselineSummary, Blocker, Classification
from nexus_action.config.settings import Settings
from nexus_action.report.budget import fit_to_budget
from nexus_action.report.issue import issue_title, render_history_comment, render_issue_body, render_summary
from nexus_action.report.model import FailedJob, Snapshot
from nexus_action.report.neutralise import neutralise
from nexus_action.report.redact import Redactor, redactor_for
from nexus_action.report.render import render_comment
from nexus_action.report.state import GENESIS, HistoryEntry, ReportState, read_state, seal_chain
from nexus_action.report.transition import Transition, advance, compute_transition

TOP_TEXT_LIMIT = 2_000  # the top blocker is never cut by the size budget, so cap it once, up front
TEXT_LIMIT = 500
EXTRA_BLOCKERS = 3
EVIDENCE_KEPT = 8  # for `/nexus explain` on the top job

# How a snapshot relates to the state it lands on.
NEW, RERUN, REPEAT, STALE = "new", "rerun", "repeat", "stale"


@dataclass(frozen=True)
class Report:
    state: ReportState
    comment_md: str
    issue_title: str
    issue_md: str
    issue_history_comment_md: str | None
    summary_md: str
    warnings: tuple[str, ...]
    placement: str = NEW  # new | rerun | repeat | stale

    @property
    def transition(self) -> Transition | None:
        return self.state.transition

    @property
    def should_alert(self) -> bool:
        """False when this attempt was already reported (no second webhook) or is for an older commit."""
        return self.placement in (NEW, RERUN) and not self.state.muted

    @property
    def muted(self) -> bool:
        """`/nexus mute` was said on this PR: delivery leaves the sticky comment as it is."""
        return self.state.muted


def run_redactor(snapshot: Snapshot, secrets: tuple[str, ...]) -> Redactor:
    """The configured secrets and every value the jobs' logs announced with `::add-mask::`."""
    return redactor_for(tuple(dict.fromkeys((*secrets, *snapshot.masked_values))))


def prepare_snapshot(snapshot: Snapshot, secrets: tuple[str, ...]) -> Snapshot:
    """Redact, then cut, then neutralise every untrusted string; keep evidence only for the top job.

    Redaction comes before the cut (`Redactor.cut`), so a secret is never cut into a piece no rule recognises."""
    top_job = snapshot.top_job
    redactor = run_redactor(snapshot, secrets)

    def clean(text: str, limit: int | None = None) -> str:
        return neutralise(redactor.cut(text, limit) if limit else redactor.redact(text))

    def blocker(b: Blocker, limit: int) -> Blocker:
        return replace(
            b,
            text=clean(b.text, limit),
            file=clean(b.file) if b.file else b.file,
            step=clean(b.step) if b.step else b.step,
        )

    def new_since_green(b: BaselineSummary | None) -> BaselineSummary | None:
        """The new blocks' log text and the note are untrusted like any blocker text."""
        if b is None:
            return None
        blocks = tuple(
            replace(k, text=clean(k.text, TEXT_LIMIT), step=clean(k.step, 200) if k.step else None)
            for k in b.new_blocks
        )
        return replace(b, new_blocks=blocks, note=clean(b.note, TEXT_LIMIT) if b.note else None)

    def job(j: FailedJob) -> FailedJob:
        c = j.classification
        top = blocker(c.top_blocker, TOP_TEXT_LIMIT) if c.top_blocker else None
        extra = [blocker(b, TEXT_LIMIT) for b in c.blockers if b != c.top_blocker]
        evidence = tuple(replace(e, detail=clean(e.detail, TEXT_LIMIT)) for e in c.evidence[:EVIDENCE_KEPT])
        return replace(
            j,
            name=clean(j.name, 200),
            step=clean(j.step, 200) if j.step else j.step,
            classification=Classification(
                domain=clean(c.domain),
                agent=clean(c.agent),
                kind=clean(c.kind),
                failure_type=clean(c.failure_type),
                confidence=c.confidence,
                top_blocker=top,
                blockers=tuple(extra[:EXTRA_BLOCKERS]),
                evidence=evidence if j is top_job else (),
                masked_values=c.masked_values,
                baseline=new_since_green(c.baseline),
            ),
        )

    return replace(
        snapshot,
        branch=clean(snapshot.branch, 200),
        workflow=clean(snapshot.workflow, 200),
        fix_request=clean(snapshot.fix_request, 80) if snapshot.fix_request else None,
        jobs=tuple(job(j) for j in snapshot.jobs),
        green=replace(snapshot.green, branch=clean(snapshot.green.branch, 200)) if snapshot.green else None,
    )


def _cut(text: str, limit: int) -> str:
    """Cut text that is already redacted (the history line is built from prepared, redacted fields)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def placement(state: ReportState, snap: Snapshot, current_head_sha: str | None) -> str:
    """new, rerun, repeat (same run attempt again) or stale (older than what the report shows)."""
    latest = state.latest
    if latest is None:
        return NEW
    same_run = snap.run_id is not None and snap.run_id == latest.run_id
    if same_run and snap.run_attempt == latest.run_attempt:
        return REPEAT
    if current_head_sha and snap.head_sha and snap.head_sha != current_head_sha:
        return STALE
    if same_run:
        return RERUN if snap.run_attempt > latest.run_attempt else STALE
    # Without the PR's current head, run ids tell the order: GitHub numbers runs increasingly.
    older_run = snap.run_id is not None and latest.run_id is not None and snap.run_id < latest.run_id
    if not current_head_sha and older_run and snap.head_sha != latest.head_sha:
        return STALE
    return NEW


def _entry(snap: Snapshot, seq: int) -> HistoryEntry:
    top = snap.top_job
    summary = ""
    if top:
        text = top.classification.top_blocker.text if top.classification.top_blocker else ""
        summary = _cut(f"{top.name}: {top.classification.failure_type}: {' '.join(text.split())}", 160)
    return HistoryEntry(
        seq=seq,
        run_id=snap.run_id,
        run_attempt=snap.run_attempt,
        head_sha=snap.head_sha,
        at=snap.created_at,
        conclusion="failure" if snap.failed else "success",
        failed_jobs=len(snap.jobs),
        fingerprints=tuple(j.fingerprint for j in snap.jobs[:50]),
        top=summary,
        run_url=snap.run_url,
        workflow=snap.workflow,
    )


def _find(history: tuple[HistoryEntry, ...], entry: HistoryEntry) -> int | None:
    if entry.run_id is None:
        return None
    for i in range(len(history) - 1, -1, -1):
        if (history[i].run_id, history[i].run_attempt) == (entry.run_id, entry.run_attempt):
            return i
    return None


def _record(state: ReportState, entry: HistoryEntry, clean_chain: bool, limit: int) -> tuple[ReportState, HistoryEntry]:
    """Put `entry` in the history: replace the same run attempt's entry if present, else append.

    Returns the new state and the entry as written (sealed), wherever it landed in the history."""
    history = state.history
    index = _find(history, entry)
    if index is not None:
        old = history[index]
        updated = replace(entry, seq=old.seq, updates=old.updates + 1, prev_hash=old.prev_hash)
        entries = (*history[:index], updated, *history[index + 1 :])
        # Re-seal the later entries only when the chain was intact: never launder an edit someone made.
        sealed = (
            seal_chain(entries, index)
            if clean_chain
            else (*seal_chain(entries[: index + 1], index), *entries[index + 1 :])
        )
        next_seq = state.next_seq
        written = sealed[index]
    else:
        sealed = (*history, entry.sealed(history[-1].hash if history else GENESIS))
        next_seq = state.next_seq + 1
        written = sealed[-1]
    sealed = sealed[-limit:]
    return replace(state, history=sealed, head_hash=sealed[-1].hash if sealed else "", next_seq=next_seq), written


def advance_state(
    state: ReportState, snap: Snapshot, where: str, *, clean_chain: bool, history_limit: int
) -> tuple[ReportState, HistoryEntry]:
    entry = _entry(snap, state.next_seq)
    if where == STALE:
        entry = replace(entry, stale=True)
        return _record(state, entry, clean_chain, history_limit)
    latest = state.latest
    prior = state.prior if where == REPEAT else state.streak
    after = advance(prior, snap)
    rerun_of: int | None = None
    flaky = False
    if where == RERUN and latest:
        rerun_of = latest.run_attempt
    elif where == REPEAT and state.transition:
        rerun_of = state.transition.rerun_of
    transition = compute_transition(prior, after, snap, rerun_of=rerun_of)
    if rerun_of:
        # Same commit, same workflow: whatever passed on the re-run failed for reasons outside the code.
        flaky = transition.fixed_count > 0
        transition = replace(transition, flaky=flaky)
        entry = replace(entry, rerun_of=rerun_of, rerun_fixed=not snap.failed)
    moved = replace(
        state,
        latest=snap,
        prior=prior,
        streak=after,
        transition=transition,
        omitted_jobs=0,
    )
    return _record(moved, entry, clean_chain, history_limit)


def build_report(
    snapshot: Snapshot,
    previous_body: str | None,
    *,
    settings: Settings,
    now: str,
    current_head_sha: str | None = None,
) -> Report:
    """The next report. `now` is the time of this processing (ISO 8601 UTC); the core has no clock."""
    previous, warnings = read_state(previous_body)
    integrity = tuple(warnings)  # what was wrong with the previous state: shown in the report itself
    clean_chain = not any("history" in w or "chain" in w for w in warnings)
    snap = prepare_snapshot(snapshot, settings.secret_values())
    where = placement(previous, snap, current_head_sha)
    if where == STALE:
        shown = previous.latest.head_sha[:7] if previous.latest else "?"
        warnings.append(
            f"run {snap.run_id} (attempt {snap.run_attempt}) is for commit {snap.head_sha[:7]}, older than the "
            f"commit {shown} this report shows: recorded in history only"
        )
    elif where == REPEAT:
        # The same attempt keeps the time it was first reported, so "since" and time-to-fix do not move.
        if previous.latest and previous.latest.created_at:
            snap = replace(snap, created_at=previous.latest.created_at)
        warnings.append(f"run {snap.run_id} attempt {snap.run_attempt} was already reported: its entry was updated")
    state, entry = advance_state(
        replace(previous, integrity_warnings=integrity),
        snap,
        where,
        clean_chain=clean_chain,
        history_limit=settings.history_limit,
    )
    rendered: dict[int, tuple[ReportState, str, str]] = {}  # the last state measured, and its two bodies

    def measure(s: ReportState) -> int:
        comment, issue = render_comment(s, settings=settings), render_issue_body(s, settings=settings)
        rendered[0] = (s, comment, issue)
        return max(len(comment), len(issue))

    state, trimmed = fit_to_budget(state, measure)
    warnings.extend(trimmed)
    measured, comment_md, issue_md = rendered[0]
    if measured is not state:  # the budget returned a state it did not render last: render it now
        comment_md, issue_md = render_comment(state, settings=settings), render_issue_body(state, settings=settings)
    latest = state.latest or snap
    # The last pass, over each final text after all cutting and formatting (and over the hidden state's JSON).
    final = run_redactor(snapshot, settings.secret_values()).redact_body
    history_md = render_history_comment(entry, state, settings=settings) if settings.comment_issue_append else None
    return Report(
        state=state,
        comment_md=final(comment_md),
        issue_title=final(issue_title(latest.pr_number, latest.branch)),
        issue_md=final(issue_md),
        issue_history_comment_md=final(history_md) if history_md is not None else None,
        summary_md=final(render_summary(state, settings=settings, warnings=list(warnings))),
        warnings=tuple(final(w) for w in warnings),
        placement=where,
    )
