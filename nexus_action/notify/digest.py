"""AlertDigest: the part of a Snapshot an alert shows, already redacted. Pure.

Every payload format is rendered from this one digest, so all of them say the same thing and none can forget
to redact: every string that came from the snapshot (job names, branch, workflow, blocker text, transition
lines, even URLs) passes through `sanitize` here, once. Format-specific escaping (Slack mrkdwn, Teams markdown,
MessageCard HTML) is the renderer's job, on top of this.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from nexus_action.report.markdown import clip, one_line
from nexus_action.report.model import FailedJob, Snapshot
from nexus_action.report.neutralise import neutralise
from nexus_action.report.redact import redact_secrets, redactor_for
from nexus_action.report.render import log_line_url

# No payload lists more jobs than this (JSON lists 100; chat formats fewer): the rest are only counted.
MAX_LISTED_JOBS = 100
JOB_BLOCKER_LIMIT = 1000
REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
# A link we put behind a button must be a plain http(s) URL: no spaces, quotes, angle brackets or pipes
# (each would break out of Slack's <url|label> or a markdown link), and not absurdly long.
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'|`\\]{1,1900}$")


P = TypeVar("P")


def escape_entities(text: str) -> str:
    """`&`, `<` and `>` as HTML entities: Slack's three control characters, and MessageCard's bit of HTML."""
    return html.escape(text, quote=False)


def payload_bytes(payload: dict[str, Any]) -> bytes:
    """The exact body the sender POSTs (UTF-8, compact): sizes are measured on this."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def fit_jobs(build: Callable[[int], P], size: Callable[[P], int], shown: int, budget: int) -> P:
    """`build(shown)` with a quarter fewer jobs each time until `size` of it is within `budget` (or none left)."""
    out = build(shown)
    while shown > 0 and size(out) > budget:
        shown = max(0, shown - max(1, shown // 4))
        out = build(shown)
    return out


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class JobLine:
    """One failed job as an alert lists it. All text is redacted; `log_url` points at the blocker's log line."""

    name: str
    domain: str
    kind: str
    failure_type: str
    agent: str
    blocker: str  # the top blocker's text, "" when none was found
    location: str  # "src/lib.rs:12" or "log line 340", "" when unknown
    step: str
    log_url: str | None
    log_available: bool


@dataclass(frozen=True)
class AlertDigest:
    failed: bool
    headline: str
    repository: str
    workflow: str
    branch: str
    head_sha: str
    run_id: int | None
    run_attempt: int
    pr_number: int | None
    created_at: str
    conclusion: str
    transition: tuple[str, ...]
    top: JobLine | None
    jobs: tuple[JobLine, ...]  # the top job first, then the others in run order; at most MAX_LISTED_JOBS
    job_count: int  # every failed job, listed or not
    links: tuple[Link, ...]
    dedupe_key: str

    @property
    def short_sha(self) -> str:
        return self.head_sha[:7]

    @property
    def summary(self) -> str:
        """One plain line: what a notification preview shows."""
        if not self.failed:
            return f"{self.headline}: all jobs passed."
        jobs = f"{self.job_count} failed job{'s' if self.job_count != 1 else ''}"
        top = f" Top blocker: {clip(one_line(self.top.blocker), 200)}" if self.top and self.top.blocker else ""
        return f"{self.headline}: {jobs}.{top}"

    @property
    def where(self) -> str:
        """`workflow CI on main @ abc1234 (PR #12)`, the parts that are known."""
        parts = []
        if self.workflow:
            parts.append(f"workflow {self.workflow}")
        if self.branch:
            parts.append(f"on {self.branch}")
        if self.short_sha:
            parts.append(f"@ {self.short_sha}")
        if self.pr_number:
            parts.append(f"(PR #{self.pr_number})")
        return " ".join(parts)


def safe_url(url: str | None, secrets: Sequence[str] = ()) -> str | None:
    """`url` when it is a plain http(s) link with nothing secret in it, else None (the link is left out)."""
    if not url or not _SAFE_URL.match(url):
        return None
    # A URL carrying a token (`?token=...`, a webhook path) is dropped whole rather than shown half-masked.
    return url if redact_secrets(url, secrets) == url else None


def _clean(text: str | None, secrets: Sequence[str], limit: int = 300) -> str:
    """One line, redacted before it is cut (`Redactor.cut`: no half secret at the edge), then made inert."""
    cut = redactor_for(tuple(secrets)).cut(one_line(text or ""), limit)
    return clip(one_line(neutralise(cut)), limit)


def _clean_block(text: str, secrets: Sequence[str], limit: int) -> str:
    """Multi-line text (a blocker) redacted before it is cut, then made inert."""
    return clip(neutralise(redactor_for(tuple(secrets)).cut(text, limit)).strip(), limit)


def _job_line(job: FailedJob, snapshot: Snapshot, secrets: Sequence[str], blocker_limit: int) -> JobLine:
    c = job.classification
    top = c.top_blocker
    location = ""
    if top and top.file:
        location = f"{top.file}:{top.line}" if top.line else top.file
    elif top and top.log_line:
        location = f"log line {top.log_line}"
    job_url = safe_url(job.url, secrets)
    if job_url is None and job.job_id and snapshot.run_id and REPO_NAME.match(snapshot.repository):
        base = safe_url(snapshot.server_url.rstrip("/"), secrets)
        if base:
            job_url = f"{base}/{snapshot.repository}/actions/runs/{snapshot.run_id}/job/{job.job_id}"
    if job_url and job.step_number:
        # The one step-relative `#step:N:line` link, as the report builds it.
        job_url = log_line_url(snapshot, replace(job, url=job_url))
    return JobLine(
        name=_clean(job.name, secrets, 200) or "(unnamed job)",
        domain=_clean(c.domain, secrets, 40),
        kind=_clean(c.kind, secrets, 40),
        failure_type=_clean(c.failure_type, secrets, 60),
        agent=_clean(c.agent, secrets, 60),
        blocker=_clean_block(top.excerpt or top.text, secrets, blocker_limit) if top else "",
        location=_clean(location, secrets, 200),
        step=_clean(job.step or (top.step if top else None), secrets, 200),
        log_url=job_url,
        log_available=job.log_available,
    )


def _links(snapshot: Snapshot, top: JobLine | None, secrets: Sequence[str]) -> tuple[Link, ...]:
    links: list[Link] = []
    base = safe_url(snapshot.server_url.rstrip("/"), secrets)
    repo_ok = bool(REPO_NAME.match(snapshot.repository))
    run_url = safe_url(snapshot.run_url, secrets)
    if run_url is None and base and repo_ok and snapshot.run_id:
        run_url = f"{base}/{snapshot.repository}/actions/runs/{snapshot.run_id}"
    if run_url:
        links.append(Link("Workflow run", run_url))
    if top and top.log_url:
        links.append(Link("Failing job log", top.log_url))
    if base and repo_ok and snapshot.pr_number:
        links.append(Link("Checks", f"{base}/{snapshot.repository}/pull/{snapshot.pr_number}/checks"))
        links.append(
            Link(f"Pull request #{snapshot.pr_number}", f"{base}/{snapshot.repository}/pull/{snapshot.pr_number}")
        )
    if base and repo_ok and _SHA.match(snapshot.head_sha):
        links.append(
            Link(f"Commit {snapshot.head_sha[:7]}", f"{base}/{snapshot.repository}/commit/{snapshot.head_sha}")
        )
    return tuple(links)


def default_headline(snapshot: Snapshot, repository: str) -> str:
    if snapshot.failed:
        return f"❌ CI failed in {repository}"
    return f"✅ CI recovered in {repository}"


def build_digest(
    snapshot: Snapshot,
    *,
    secrets: Sequence[str],
    headline: str | None,
    transition_lines: Sequence[str],
    dedupe_key: str,
    blocker_limit: int = 2000,
) -> AlertDigest:
    """Redact and shape `snapshot` for alerts. `blocker_limit` bounds each blocker's text (characters)."""
    repository = _clean(snapshot.repository, secrets, 140) or "(unknown repository)"
    top_job = snapshot.top_job
    ordered = ([top_job] if top_job else []) + [j for j in snapshot.jobs if j is not top_job]
    top = _job_line(ordered[0], snapshot, secrets, blocker_limit) if ordered else None
    rest = (_job_line(j, snapshot, secrets, JOB_BLOCKER_LIMIT) for j in ordered[1:MAX_LISTED_JOBS])
    jobs = (top, *rest) if top else ()
    sha = snapshot.head_sha if _SHA.match(snapshot.head_sha or "") else ""
    return AlertDigest(
        failed=snapshot.failed,
        headline=_clean(headline, secrets, 150) or clip(default_headline(snapshot, repository), 150),
        repository=repository,
        workflow=_clean(snapshot.workflow, secrets, 140),
        branch=_clean(snapshot.branch, secrets, 200),
        head_sha=sha.lower(),
        run_id=snapshot.run_id,
        run_attempt=snapshot.run_attempt,
        pr_number=snapshot.pr_number,
        created_at=_clean(snapshot.created_at, secrets, 40),
        conclusion=_clean(snapshot.conclusion, secrets, 40),
        transition=tuple(t for t in (_clean(line, secrets, 300) for line in transition_lines) if t)[:20],
        top=top,
        jobs=jobs,
        job_count=len(snapshot.jobs),
        links=_links(snapshot, top, secrets),
        dedupe_key=dedupe_key,
    )
