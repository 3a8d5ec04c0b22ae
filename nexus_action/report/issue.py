"""The fallback issue (when the PR comment cannot be written) and the step summary.

Issue body, top to bottom: marker, latest snapshot (status, Transition, top blocker, links, failed jobs), a
summary table by domain, then the history between `HISTORY_START` / `HISTORY_END` markers (or, with
`comment_issue_append`, a note that history is appended as issue comments), then the hidden state.
"""

from __future__ import annotations

from collections import Counter

from nexus_action.config.settings import Settings
from nexus_action.report import markdown as md
from nexus_action.report.derive import encode_state
from nexus_action.report.render import (
    Clean,
    _history_result,
    cleaner,
    history_table,
    report_sections,
    short_sha,
)
from nexus_action.report.state import REPORT_MARKER, HistoryEntry, ReportState

HISTORY_START = "<!-- nexus:history:start -->"
HISTORY_END = "<!-- nexus:history:end -->"
HISTORY_ENTRY_MARKER = "<!-- nexus:history-entry -->"


def issue_title(pr_number: int | None, branch: str = "") -> str:
    """`NEXUS AutoFix report for PR #<N>` (exact: the delivery finds the issue by label and this title)."""
    if pr_number:
        return f"NEXUS AutoFix report for PR #{pr_number}"
    return f"NEXUS AutoFix report for {branch or 'the default branch'}"


def summary_table(state: ReportState, clean: Clean) -> list[str]:
    snap = state.latest
    if not snap or not snap.jobs:
        return []
    counts = Counter((j.classification.domain, j.classification.agent) for j in snap.jobs)
    rows = [(md.text(clean(d)), md.text(clean(a)), str(n)) for (d, a), n in counts.most_common()]
    if state.omitted_jobs:
        rows.append(("(not listed)", "", str(state.omitted_jobs)))
    return ["#### Summary", "", md.table(("Domain", "Agent", "Failed jobs"), rows)]


def render_issue_body(state: ReportState, *, settings: Settings) -> str:
    clean = cleaner(settings)
    sections = report_sections(state, clean)
    sections.append(summary_table(state, clean))
    history = ["#### History", "", HISTORY_START]
    if settings.comment_issue_append:
        history.append("History is appended below as one issue comment per run.")
    elif state.history:
        snap = state.latest
        server, repo = (snap.server_url, snap.repository) if snap else ("https://github.com", "")
        history.append(history_table(state.history, server, repo, clean))
    else:
        history.append("_No earlier runs._")
    history.append(HISTORY_END)
    sections.append(history)
    body = "\n\n".join("\n".join(s) for s in sections if s)
    return f"{REPORT_MARKER}\n{body}\n\n{encode_state(state)}\n"


def render_history_comment(entry: HistoryEntry, state: ReportState, *, settings: Settings) -> str:
    """One history entry as an issue comment (comment_issue_append=true): no hidden state, just the record."""
    clean = cleaner(settings)
    snap = state.latest
    run = f"run {entry.run_id or '?'}" + (f" attempt {entry.run_attempt}" if entry.run_attempt > 1 else "")
    sha = short_sha(entry.head_sha)
    lines = [
        HISTORY_ENTRY_MARKER,
        f"**#{entry.seq}** · {md.text(entry.at)} · {md.link(run, entry.run_url)}" + (f" · `{sha}`" if sha else ""),
        "",
        _history_result(entry),
    ]
    if entry.top:
        lines += ["", md.code_block(clean(entry.top))]
    if snap and snap.workflow:
        lines += ["", f"Workflow: {md.text(clean(snap.workflow))}"]
    return "\n".join(lines) + "\n"


def render_summary(state: ReportState, *, settings: Settings, warnings: list[str], delivery_note: str = "") -> str:
    """Markdown for GITHUB_STEP_SUMMARY: the report without markers or hidden state, plus what happened."""
    clean = cleaner(settings)
    sections = report_sections(state, clean)
    if state.history:
        snap = state.latest
        server, repo = (snap.server_url, snap.repository) if snap else ("https://github.com", "")
        sections.append(["#### History", "", history_table(state.history[-20:], server, repo, clean)])
    extra = [f"> ⚠️ {md.text(w)}" for w in warnings if w not in state.integrity_warnings]
    if delivery_note:
        extra.append(f"> {md.text(delivery_note)}")
    if extra:
        sections.append(["#### Notes", "", *extra])
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"
