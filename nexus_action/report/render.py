"""The sticky PR comment, rendered from the ReportState alone (slash commands update the state, then re-render).

Every string that came from a log, a branch, a PR title, a job name or a commenter goes through `sanitize`
here as well as where the snapshot was built: rendering is the last line of defence before GitHub.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nexus_action.config.settings import Settings
from nexus_action.report import green as since_green
from nexus_action.report import markdown as md
from nexus_action.report.derive import encode_state
from nexus_action.report.model import FailedJob, Snapshot
from nexus_action.report.redact import sanitize
from nexus_action.report.state import REPORT_MARKER, HistoryEntry, ReportState
from nexus_action.report.transition import JobChange, Transition, format_duration

Clean = Callable[[str], str]
_SHA = re.compile(r"^[0-9a-f]{7,64}$")
LIST_SHOWN = 10  # jobs listed per Transition line before "and N more"
COMMANDS_SHOWN = 10


def cleaner(settings: Settings) -> Clean:
    secrets = settings.secret_values()
    return lambda value: sanitize(value or "", secrets)


def short_sha(sha: str) -> str:
    return sha[:7] if _SHA.match(sha) else ""


def commit_link(snapshot: Snapshot) -> str:
    short = short_sha(snapshot.head_sha)
    if not short:
        return "an unknown commit"
    return md.link(f"`{short}`", f"{snapshot.server_url}/{snapshot.repository}/commit/{snapshot.head_sha}")


def job_url(snapshot: Snapshot, job: FailedJob) -> str | None:
    if job.url:
        return job.url
    if job.job_id and snapshot.run_id:
        return f"{snapshot.server_url}/{snapshot.repository}/actions/runs/{snapshot.run_id}/job/{job.job_id}"
    return None


def log_line_url(snapshot: Snapshot, job: FailedJob) -> str | None:
    """The job log at the blocker's line: `.../job/<id>#step:<n>:<line>` (the line counts within the step)."""
    base = job_url(snapshot, job)
    if not base or not job.step_number:
        return None
    return f"{base}#step:{job.step_number}:{job.step_log_line or 1}"


def checks_url(snapshot: Snapshot) -> str | None:
    if not snapshot.pr_number:
        return None
    return f"{snapshot.server_url}/{snapshot.repository}/pull/{snapshot.pr_number}/checks"


def status_line(state: ReportState, clean: Clean) -> str:
    snap = state.latest
    if snap is None:
        return "⏳ **No run reported yet.**"
    where = f" in **{md.text(clean(snap.workflow))}**" if snap.workflow else ""
    branch = f" on {md.cell_code(clean(snap.branch), 80)}" if snap.branch else ""
    t = state.transition
    if not snap.failed:
        if t and t.recovered:
            took = (
                f"; time to fix {format_duration(t.time_to_fix_seconds)}" if t.time_to_fix_seconds is not None else ""
            )
            runs = f"after {t.attempts} failed attempt{'s' if t.attempts != 1 else ''}"
            return f"✅ **Recovered**: all jobs pass{where}{branch} at {commit_link(snap)}, {runs}{took}."
        return f"✅ **All jobs pass**{where}{branch} at {commit_link(snap)}."
    count = len(snap.jobs) + state.omitted_jobs
    top = snap.top_job
    routed = ""
    if top:
        c = top.classification
        routed = (
            f": {md.text(clean(c.domain))} / {md.cell_code(clean(c.failure_type), 60)} → **{md.text(clean(c.agent))}**"
        )
    since = ""
    if t and t.attempts > 1 and t.since:
        since = f" (attempt {t.attempts}, failing since {md.text(t.since)})"
    if not count:
        reason = f": {md.text(clean(snap.unlisted_reason))}" if snap.unlisted_reason else ""
        run = f" ({md.link('the run', snap.run_url)})" if snap.run_url else ""
        return (
            f"❌ **The run failed**{where}{branch} at {commit_link(snap)}, but no failed job could be listed"
            f"{reason}{run}.{since}"
        )
    jobs = f"{count} failed job{'s' if count != 1 else ''}"
    return f"❌ **{jobs}**{where}{branch} at {commit_link(snap)}{routed}{since}."


def _names(jobs: tuple[JobChange, ...], total: int, clean: Clean, detail: Callable[[JobChange], str]) -> str:
    shown = [f"{md.cell_code(clean(j.name), 80)}{detail(j)}" for j in jobs[:LIST_SHOWN]]
    more = total - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


_CHANGE_TEXT = {
    "first_failure": "🔴 First failure reported here.",
    "green_to_red": "🟢 → 🔴 **Broke**: the previous run passed.",
    "red_to_red": "🔴 → 🔴 **Still red**.",
    "red_to_green": "🔴 → 🟢 **Recovered**.",
    "green": "🟢 → 🟢 Still green.",
}


def transition_section(t: Transition | None, clean: Clean) -> list[str]:
    if t is None:
        return []
    lines = ["#### Transition", "", _CHANGE_TEXT.get(t.change, t.change)]
    if t.recovered and t.since:
        took = format_duration(t.time_to_fix_seconds) if t.time_to_fix_seconds is not None else "unknown"
        lines[-1] += f" Failing since {md.text(t.since)}: {t.attempts} failed attempt(s), time to fix {took}."
    if t.rerun_of:
        verdict = " It fixed failures at the same commit: **flaky candidate**." if t.flaky else ""
        lines.append(f"\n🔁 This is a re-run of attempt {t.rerun_of} at the same commit.{verdict}")
    items = []
    if t.new_count:
        items.append(f"- 🆕 New: {_names(t.new, t.new_count, clean, lambda j: f' ({md.text(clean(j.failure_type))})')}")
    if t.fixed_count:
        items.append(f"- ✅ Fixed: {_names(t.fixed, t.fixed_count, clean, lambda j: '')}")
    if t.still_count:

        def detail(j: JobChange) -> str:
            changed = ", now failing differently" if j.changed else ""
            return f" ({j.attempts} attempts since {md.text(j.since)}{changed})"

        items.append(f"- ⏳ Still failing: {_names(t.still_failing, t.still_count, clean, detail)}")
    if items:
        lines.extend(["", *items])
    return lines


def _blocker_heading(snap: Snapshot, job: FailedJob, clean: Clean) -> str:
    c = job.classification
    top = c.top_blocker
    parts = [f"**{md.text(clean(job.name))}**", f"{md.cell_code(clean(c.failure_type), 60)}"]
    if job.step or (top and top.step):
        parts.append(f"step {md.cell_code(clean(job.step or (top.step if top else '') or ''), 80)}")
    if top and top.file:
        place = f"{top.file}:{top.line}" if top.line else top.file
        url = md.blob_url(snap.server_url, snap.repository, snap.head_sha, clean(top.file), top.line)
        parts.append(md.link(md.cell_code(clean(place), 120), url))
    if top and top.log_line:
        first, last = top.span or (top.log_line, top.log_line)
        label = f"log lines {first}–{last}" if last > first else f"log line {top.log_line}"
        parts.append(md.link(label, log_line_url(snap, job)))
    return " · ".join(parts)


def top_blocker_section(snap: Snapshot, clean: Clean) -> list[str]:
    job = snap.top_job
    if job is None:
        return []
    top = job.classification.top_blocker
    # The block (head and the detail lines that explain it) when the classifier found one, else the head line.
    body = (
        md.code_block(clean(top.excerpt or top.text))
        if top
        else "_No error line was found in the log; open the failing job._"
    )
    lines = ["#### Top blocker", "", _blocker_heading(snap, job, clean), "", body]
    note = since_green.top_blocker_note(snap, job, clean)
    lines += ["", *note] if note else []
    extra = [b for b in job.classification.blockers if top is None or b != top]
    if extra:
        lines += ["", f"<details><summary>More blockers in this job ({len(extra)})</summary>", ""]
        for b in extra:
            where = f"{b.file}:{b.line}" if b.file and b.line else f"log line {b.log_line}"
            url = md.blob_url(snap.server_url, snap.repository, snap.head_sha, clean(b.file or ""), b.line)
            lines += [md.link(md.cell_code(clean(where), 120), url), "", md.code_block(clean(b.text)), ""]
        lines.append("</details>")
    new_blocks = since_green.new_since_green_section(snap, job, clean)
    return [*lines, "", *new_blocks] if new_blocks else lines


def quick_links_section(snap: Snapshot, clean: Clean) -> list[str]:
    links = [md.link("Workflow run", snap.run_url), md.link("Checks tab", checks_url(snap))]
    top = snap.top_job
    if top:
        links.append(md.link(f"Failing job: {md.text(clean(top.name), 80)}", job_url(snap, top)))
    shown = [x for x in links if x.startswith("[")]
    lines = ["#### Quick links", "", " · ".join(shown) if shown else "_No links: the run is not on GitHub._"]
    if top:
        check = md.link(md.text(clean(top.name), 120), job_url(snap, top) or checks_url(snap) or snap.run_url)
        lines += ["", f"**Top failing check:** {check}"]
    return lines


def jobs_table(snap: Snapshot, omitted: int, clean: Clean) -> list[str]:
    if not snap.jobs:
        return []
    rows = []
    for job in snap.jobs:
        c = job.classification
        top = c.top_blocker
        blocker = md.cell_code(clean(top.text)) if top else ("_log unavailable_" if not job.log_available else "")
        rows.append(
            (
                md.link(md.text(clean(job.name), 100), job_url(snap, job)),
                md.text(clean(c.domain)),
                md.text(clean(c.kind)),
                md.text(clean(c.agent)),
                blocker,
            )
        )
    lines = ["#### Failed jobs", "", md.table(("Job", "Domain", "Kind", "Agent", "Blocker"), rows)]
    if omitted:
        lines += ["", f"… and {omitted} more failed job(s) not listed, to keep this comment within GitHub's limit."]
    return lines


def commands_section(state: ReportState, settings: Settings, clean: Clean) -> list[str]:
    snap = state.latest
    failing = bool(snap and snap.failed)
    items = []
    if failing and snap:
        used = state.retries_by_sha.get(snap.head_sha, 0)
        left = max(0, settings.max_retries - used)
        items.append(
            f"- `/nexus retry`: re-run the failed jobs ({left} of {settings.max_retries} left for this commit)"
        )
        if state.breaker_open:
            items.append("- `/nexus fix` is paused: the circuit breaker is open, a person needs to look")
        else:
            agent = snap.top_job.classification.agent if snap.top_job else "the agent"
            items.append(f"- `/nexus fix`: ask {md.text(clean(agent))} for a fix")
        items.append("- `/nexus explain`: why this was classified this way")
    items.append("- `/nexus status`: refresh this report")
    items.append("- `/nexus unmute`: resume notifications" if state.muted else "- `/nexus mute`: stop notifications")
    items.append("- `/nexus help`: all commands")
    lines = ["<details><summary>Commands</summary>", "", *items]
    if state.command_log:
        recent = state.command_log[-COMMANDS_SHOWN:][::-1]
        rows = [
            (
                md.text(c.at),
                md.cell_code(clean(c.user), 60),
                md.cell_code(clean(c.command), 80),
                md.text(clean(c.result)),
            )
            for c in recent
        ]
        lines += [
            "",
            f"Recent commands ({len(state.command_log)} in all):",
            "",
            md.table(("When", "By", "Command", "Result"), rows),
        ]
    return [*lines, *claims_lines(state, clean), "", "</details>"]


CLAIMS_SHOWN = 10


def claims_lines(state: ReportState, clean: Clean) -> list[str]:
    """Which comments spent a re-run or a fix request (and which lost the race for one): the counts' receipts."""
    claims = [c for c in (state.doc.claims if state.doc else ()) if c.comment_id > 0][-CLAIMS_SHOWN:]
    if not claims:
        return []
    rows = [
        (
            md.text(c.kind),
            md.cell_code(short_sha(c.key) if c.kind == "retry" else c.key, 20),
            md.text(f"#{c.comment_id}"),
            md.cell_code(clean(c.user), 60),
            md.text(
                {"done": "spent", "failed": "spent (GitHub refused)", "lost": "not acted: limit"}.get(
                    c.state, "claimed"
                )
            ),
        )
        for c in reversed(claims)
    ]
    return [
        "",
        "Claims (the lowest comment ids win within the limits):",
        "",
        md.table(("Claim", "On", "Comment", "By", "State"), rows),
    ]


def _history_result(e: HistoryEntry) -> str:
    result = "✅ passed" if e.conclusion == "success" else f"❌ {e.failed_jobs} failed"
    if e.rerun_of:
        result += f", re-run of attempt {e.rerun_of}"
        if e.rerun_fixed:
            result += " (fixed it: flaky?)"
    if e.stale:
        result += ", older commit (not shown above)"
    if e.updates:
        result += f", processed {e.updates + 1}×"
    return result


def history_table(history: tuple[HistoryEntry, ...], server_url: str, repository: str, clean: Clean) -> str:
    rows = []
    for e in reversed(history):
        run = f"{e.run_id or '?'}" + (f" #{e.run_attempt}" if e.run_attempt > 1 else "")
        sha = short_sha(e.head_sha)
        commit = md.link(f"`{sha}`", f"{server_url}/{repository}/commit/{e.head_sha}") if sha else ""
        rows.append(
            (str(e.seq), md.text(e.at), md.link(run, e.run_url), commit, _history_result(e), md.cell_code(clean(e.top)))
        )
    return md.table(("#", "When", "Run", "Commit", "Result", "Top failure"), rows)


def history_section(state: ReportState, clean: Clean) -> list[str]:
    if not state.history:
        return []
    snap = state.latest
    server, repo = (snap.server_url, snap.repository) if snap else ("https://github.com", "")
    n = len(state.history)
    return [
        f"<details><summary>History ({n} run{'s' if n != 1 else ''})</summary>",
        "",
        history_table(state.history, server, repo, clean),
        "",
        "</details>",
    ]


def transition_lines(t: Transition | None) -> list[str]:
    """The Transition as short plain lines, for chat payloads (names only, no Markdown)."""
    if t is None:
        return []

    def names(jobs: tuple[JobChange, ...], total: int) -> str:
        shown = ", ".join(j.name for j in jobs[:LIST_SHOWN])
        return shown + (f" and {total - LIST_SHOWN} more" if total > LIST_SHOWN else "")

    lines = [_CHANGE_TEXT.get(t.change, t.change).replace("**", "")]
    if t.new_count:
        lines.append(f"New: {names(t.new, t.new_count)}")
    if t.fixed_count:
        lines.append(f"Fixed: {names(t.fixed, t.fixed_count)}")
    if t.still_count:
        lines.append(f"Still failing: {names(t.still_failing, t.still_count)} (attempt {t.attempts})")
    return lines


def notes(state: ReportState) -> list[str]:
    lines = []
    if state.latest and state.latest.fix_request:
        request = md.cell_code(state.latest.fix_request, 60)
        lines.append(f"> 🤖 This run tests a fix NEXUS AutoFix requested (request {request}).")
    if state.muted:
        lines.append("> 🔕 Muted: no notifications are sent for this pull request. `/nexus unmute` to resume.")
    for w in state.integrity_warnings:
        lines.append(f"> ⚠️ {md.text(w)}")
    return lines


def report_sections(state: ReportState, clean: Clean) -> list[list[str]]:
    """The body of the report shared by the comment, the issue and the step summary."""
    snap = state.latest
    sections = [["### NEXUS AutoFix", "", status_line(state, clean)], notes(state)]
    transition = transition_section(state.transition, clean)
    green_range = since_green.transition_lines(snap) if snap and snap.failed else []
    if green_range:
        transition = (transition or ["#### Transition"]) + ["", *green_range]
    sections.append(transition)
    if snap and snap.failed:
        sections += [top_blocker_section(snap, clean), quick_links_section(snap, clean)]
        sections.append(jobs_table(snap, state.omitted_jobs, clean))
    elif snap:
        sections.append(quick_links_section(snap, clean))
    return [s for s in sections if s]


def render_comment(state: ReportState, *, settings: Settings) -> str:
    """The sticky PR comment: a pure function of the state. Marker first, hidden state last."""
    clean = cleaner(settings)
    sections = report_sections(state, clean)
    sections += [commands_section(state, settings, clean), history_section(state, clean)]
    body = "\n\n".join("\n".join(s) for s in sections if s)
    return f"{REPORT_MARKER}\n{body}\n\n{encode_state(state)}\n"
