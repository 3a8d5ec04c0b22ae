"""`/nexus explain [job]`: every blocker and the evidence behind one job's classification, as markdown. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from nexus_action.report import markdown as md
from nexus_action.report.model import FailedJob, Snapshot
from nexus_action.report.redact import sanitize

MAX_BLOCKERS = 20
MAX_EVIDENCE = 12
MAX_LINE = 300


def find_job(snapshot: Snapshot, wanted: str | None) -> FailedJob | str:
    """The job named `wanted` (exact, then case-insensitive, then a unique substring), else the top job."""
    if not wanted:
        return snapshot.top_job or snapshot.jobs[0]
    key = wanted.strip().lower()
    for job in snapshot.jobs:
        if job.name == wanted.strip():
            return job
    exact = [j for j in snapshot.jobs if j.name.lower() == key]
    if exact:
        return exact[0]
    partial = [j for j in snapshot.jobs if key in j.name.lower()]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(f"`{j.name}`" for j in snapshot.jobs)
    which = "several jobs match" if partial else "no failed job matches"
    return f"{which} {wanted!r}; failed jobs: {names}"


def explain_job(snapshot: Snapshot, wanted: str | None, secrets: Sequence[str] = ()) -> tuple[str, str] | str:
    """(job name, markdown) for the reply comment, or a message saying which jobs exist."""
    job = find_job(snapshot, wanted)
    if isinstance(job, str):
        return job
    c = job.classification
    name = sanitize(job.name, secrets)
    lines = [
        f"**Why `{name}` failed** — domain `{c.domain}`, kind `{c.kind}` (`{c.failure_type}`), "
        f"routed to **{c.agent}**, confidence {c.confidence:.2f}",
    ]
    if job.url:
        lines.append(f"Job log: {job.url}")
    lines.append("")
    lines.append("Blockers, most likely cause first:")
    blockers = list(c.blockers[:MAX_BLOCKERS]) or ([c.top_blocker] if c.top_blocker else [])
    for i, b in enumerate(blockers, start=1):
        where = f"{b.file}:{b.line}" if b.file and b.line else "log"
        step = f", step {sanitize(b.step, secrets)}" if b.step else ""
        lines.append(f"{i}. {where} (log line {b.log_line}{step}): {md.cell_code(sanitize(b.text, secrets), MAX_LINE)}")
    if not blockers:
        lines.append("- none found; the log may have been unavailable")
    if len(c.blockers) > MAX_BLOCKERS:
        lines.append(f"- … and {len(c.blockers) - MAX_BLOCKERS} more in the log")
    lines.append("")
    lines.append("Evidence for the classification:")
    for ev in c.evidence[:MAX_EVIDENCE]:
        at = f" at log line {ev.log_line}" if ev.log_line else ""
        lines.append(f"- {ev.signal} / `{ev.rule}`{at}: {md.cell_code(sanitize(ev.detail, secrets), MAX_LINE)}")
    if not c.evidence:
        lines.append("- no rule fired; routed by default")
    return job.name, "\n".join(lines)
