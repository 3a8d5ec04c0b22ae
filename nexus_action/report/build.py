"""build_report: one snapshot + the previous body -> the next state and every rendered text.

The state is a mergeable document (`report.document`): this run's update is merged into the previous one, and
everything shown is derived from the result (`report.derive`), so the order in which concurrent writers land
does not matter. The placement only labels the update:
- the same run attempt processed again merges its jobs into the same history entry (no second alert);
- attempt 2 of a run is a new entry that says it re-runs attempt 1 and whether that fixed it (flaky candidate);
- a run older than the one the report shows is recorded in history only (run order, not arrival order).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nexus_action.classify.model import BaselineSummary, Blocker, Classification
from nexus_action.config.settings import Settings
from nexus_action.report.budget import fit_to_budget
from nexus_action.report.derive import derive, read_doc
from nexus_action.report.document import RunDoc, StateDoc, merge, run_of
from nexus_action.report.issue import issue_title, render_history_comment, render_issue_body, render_summary
from nexus_action.report.model import FailedJob, Snapshot
from nexus_action.report.neutralise import neutralise
from nexus_action.report.redact import Redactor, redactor_for
from nexus_action.report.render import render_comment
from nexus_action.report.state import ReportState
from nexus_action.report.transition import Transition

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


def placement(previous: StateDoc, update: RunDoc) -> str:
    """new, rerun, repeat (this run attempt is already in the state) or stale (older than what the report shows).

    Only a label for the warning and the alert decision: the state itself is the merge, whatever the label."""
    if previous.run(update.key) is not None:
        return REPEAT
    if previous.runs and update.order < previous.runs[-1].order:
        return STALE
    same_run = [r for r in previous.runs if (r.workflow, r.run_id) == (update.workflow, update.run_id)]
    return RERUN if update.run_id and same_run else NEW


def merge_update(previous: StateDoc, snap: Snapshot, *, now: str, history_limit: int) -> StateDoc:
    """The previous document with this snapshot's run merged in (bounded to the history the report keeps)."""
    return merge(previous, StateDoc(runs=(run_of(snap, at=now),)), history_limit)


def build_report(
    snapshot: Snapshot,
    previous_body: str | None,
    *,
    settings: Settings,
    now: str,
) -> Report:
    """The next report. `now` is the time of this processing (ISO 8601 UTC); the core has no clock."""
    previous, warnings = read_doc(previous_body)
    integrity = tuple(warnings)  # what was wrong with the previous state: shown in the report itself
    snap = prepare_snapshot(snapshot, settings.secret_values())
    where = placement(previous, run_of(snap, at=now))
    if where == STALE:
        shown = previous.runs[-1]
        warnings.append(
            f"run {snap.run_id} (attempt {snap.run_attempt}) is older than run {shown.run_id} (attempt "
            f"{shown.attempt}) this report shows: recorded in history only"
        )
    elif where == REPEAT:
        # The same attempt keeps the time it was first reported (the earliest wins), so "since" does not move.
        warnings.append(f"run {snap.run_id} attempt {snap.run_attempt} was already reported: its jobs were merged")
    doc = merge_update(previous, snap, now=now, history_limit=settings.history_limit)
    state = replace(derive(doc, history_limit=settings.history_limit), integrity_warnings=integrity)
    entry = next(
        (e for e in reversed(state.history) if (e.run_id, e.run_attempt) == (snap.run_id, snap.run_attempt)),
        state.history[-1] if state.history else None,
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
    history_md = (
        render_history_comment(entry, state, settings=settings)
        if settings.comment_issue_append and entry is not None
        else None
    )
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
