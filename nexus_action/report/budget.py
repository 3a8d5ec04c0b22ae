"""Keep a comment or issue body under GitHub's 65,536-character limit, with margin.

What goes, in order: the oldest history entries (the newest, this run, stays), then the extra blockers and
evidence, then the detail of failed jobs beyond the first few (counted as "not listed"), and only then the last
history entry. The markers, the top blocker and the links are never cut: they are what the reader needs.
Each step shrinks the *state*, so the hidden state and what is rendered from it always agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from nexus_action.report.model import FailedJob
from nexus_action.report.state import ReportState

BODY_LIMIT = 65_536  # GitHub rejects longer comment and issue bodies
BODY_BUDGET = 60_000  # our ceiling: room for an edit, a footer or a different line-ending count

Measure = Callable[[ReportState], int]


def _largest_fitting(low: int, high: int, fits: Callable[[int], bool]) -> int | None:
    """The largest n in [low, high] with fits(n), assuming fits is monotone (smaller n fits more)."""
    if high < low or not fits(low):
        return None
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def keep_history(state: ReportState, n: int) -> ReportState:
    history = state.history[len(state.history) - n :] if n else ()
    return replace(state, history=history)


def drop_extra_blockers(state: ReportState) -> ReportState:
    snap = state.latest
    if snap is None:
        return state

    def bare(j: FailedJob) -> FailedJob:
        return replace(j, classification=replace(j.classification, blockers=(), evidence=()))

    return replace(state, latest=replace(snap, jobs=tuple(bare(j) for j in snap.jobs)))


def keep_jobs(state: ReportState, n: int) -> ReportState:
    """Keep the detail of `n` failed jobs (the top job always among them); the rest are only counted."""
    snap = state.latest
    if snap is None or len(snap.jobs) <= n:
        return state
    top = snap.top_job
    kept = [j for j in snap.jobs if j is top] + [j for j in snap.jobs if j is not top][: max(0, n - 1)]
    kept_names = {j.name for j in kept}
    jobs = tuple(j for j in snap.jobs if j.name in kept_names)[:n]
    t = state.transition
    if t is not None:
        t = replace(t, new=t.new[:n], fixed=t.fixed[:n], still_failing=t.still_failing[:n])
    return replace(
        state,
        latest=replace(snap, jobs=jobs),
        omitted_jobs=state.omitted_jobs + len(snap.jobs) - len(jobs),
        # The streaks lose the left-out jobs too: if one keeps failing it shows as new next time, which is
        # the honest cost of a run too big for one comment.
        streak=replace(state.streak, jobs=tuple(j for j in state.streak.jobs if j.name in kept_names)),
        prior=replace(state.prior, jobs=state.prior.jobs[:n]),
        transition=t,
    )


def fit_to_budget(state: ReportState, measure: Measure, budget: int = BODY_BUDGET) -> tuple[ReportState, list[str]]:
    """The largest version of `state` whose rendered bodies fit in `budget`, and notes on what was cut."""
    if measure(state) <= budget:
        return state, []
    notes: list[str] = []
    total = len(state.history)

    def fits(s: ReportState) -> bool:
        return measure(s) <= budget

    n = _largest_fitting(1, total, lambda k: fits(keep_history(state, k))) if total else None
    if n is not None:
        state = keep_history(state, n)
        if n < total:
            notes.append(f"dropped the {total - n} oldest history entries to stay under GitHub's size limit")
        return state, notes
    if total:
        state = keep_history(state, 1)
        notes.append(f"dropped the {total - 1} oldest history entries to stay under GitHub's size limit")
    state = drop_extra_blockers(state)
    notes.append("left out the extra blockers to stay under GitHub's size limit")
    if fits(state):
        return state, notes
    jobs = len(state.latest.jobs) if state.latest else 0
    k = _largest_fitting(1, jobs, lambda k: fits(keep_jobs(state, k))) if jobs else None
    if k is not None:
        notes.append(f"listed {k} of {jobs} failed jobs to stay under GitHub's size limit")
        return keep_jobs(state, k), notes
    state = keep_history(keep_jobs(state, 1), 0)
    notes.append("kept only the top failed job and no history to stay under GitHub's size limit")
    if not fits(state):
        notes.append(f"the report is still {measure(state)} characters, over the {budget} budget")
    return state, notes
