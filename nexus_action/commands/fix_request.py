"""`/nexus fix`: the remediation request for the routed agent, and the rules that bound it. Pure.

The request travels as a `repository_dispatch` event (POST /repos/{owner}/{repo}/dispatches), whose
`client_payload` GitHub accepts with at most 10 top-level keys; we also keep it well under 64 KB so it fits
in an action output and in any queue a downstream job forwards it to.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from nexus_action.classify.model import DOMAINS, Blocker
from nexus_action.commands.ledger import FixRecord, Ledger
from nexus_action.report.model import FailedJob, Snapshot
from nexus_action.report.redact import sanitize

SCHEMA = "nexus-autofix/fix-request@1"
DEDUPE_WINDOW = timedelta(minutes=10)
PAYLOAD_BUDGET = 48_000  # bytes of JSON; GitHub's hard limit is larger, this leaves room for forwarding
MAX_TOP_LEVEL_KEYS = 10  # GitHub rejects a client_payload with more
BLOCKERS_PER_JOB = 10
TEMPLATE_FOLDER = ".github/nexus/templates"


@dataclass(frozen=True)
class FixTarget:
    agent: str
    jobs: tuple[FailedJob, ...]

    @property
    def fingerprint(self) -> str:
        """Stable across reruns of the same failures: the jobs' own fingerprints, order-free."""
        basis = "\x1f".join(sorted(j.fingerprint for j in self.jobs)) + "\x1f" + self.agent.lower()
        return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def select_target(snapshot: Snapshot, wanted: str | None) -> FixTarget | str:
    """The jobs to ask for: those routed to `wanted` (an agent or a domain), else to the top job's agent.

    Returns a message for the user instead when nothing matches.
    """
    if not snapshot.jobs:
        return "the latest report has no failed jobs: nothing to fix"
    if not wanted:
        top = snapshot.top_job or snapshot.jobs[0]
        agent = top.classification.agent
        return FixTarget(agent, tuple(j for j in snapshot.jobs if j.classification.agent == agent))
    key = wanted.strip().lower()
    by_agent = tuple(j for j in snapshot.jobs if j.classification.agent.lower() == key)
    if by_agent:
        return FixTarget(by_agent[0].classification.agent, by_agent)
    by_domain = tuple(j for j in snapshot.jobs if j.classification.domain == key)
    if by_domain:
        return FixTarget(by_domain[0].classification.agent, by_domain)
    routed = sorted({f"{j.classification.agent} ({j.classification.domain})" for j in snapshot.jobs})
    kind = "domain" if key in DOMAINS else "agent or domain"
    return f"no failed job is routed to {kind} {wanted!r}; this report has: {', '.join(routed)}"


def recent_duplicate(ledger: Ledger, fingerprint: str, now: datetime) -> FixRecord | None:
    """A dispatch of the same failures less than DEDUPE_WINDOW ago, if any."""
    for record in reversed(ledger.fix_requests):
        if record.fingerprint != fingerprint or not record.dispatched:
            continue
        try:
            at = datetime.fromisoformat(record.at.replace("Z", "+00:00"))
        except ValueError:
            continue
        if at.tzinfo is None or now.tzinfo is None:
            at, now = at.replace(tzinfo=None), now.replace(tzinfo=None)
        if timedelta(0) <= now - at < DEDUPE_WINDOW:
            return record
    return None


def builtin_template(agent: str) -> str:
    """The packaged prompt template for an agent; agents we do not ship (custom routing) get Atlas's."""
    folder = resources.files("nexus_action") / "templates"
    candidate = folder / f"{agent.lower()}.md"
    chosen = candidate if candidate.is_file() else folder / "atlas.md"
    return chosen.read_text(encoding="utf-8")


def choose_template(agent: str, overrides: Mapping[str, str]) -> str:
    """The repo's `.github/nexus/templates/<agent>.md` (keys lower-case) wins over the packaged one."""
    return overrides.get(agent.lower()) or builtin_template(agent)


def _where(b: Blocker) -> str:
    if b.file and b.line:
        return f"{b.file}:{b.line}" + (f":{b.column}" if b.column else "")
    return f"log line {b.log_line}"


def _blocker_line(job: FailedJob, b: Blocker) -> str:
    return f"- [{job.name}] {_where(b)}: {b.text}"


def render_prompt(template: str, target: FixTarget, snapshot: Snapshot, request_id: str, pr_url: str) -> str:
    """Fill the template's $placeholders; unknown ones stay as written so a typo is visible, not fatal."""
    jobs = "\n".join(
        f"- {j.name}: {j.classification.kind} ({j.classification.failure_type}), domain {j.classification.domain}"
        + (f", log {j.url}" if j.url else "")
        for j in target.jobs
    )
    tops = [(j, j.classification.top_blocker) for j in target.jobs if j.classification.top_blocker]
    top = _blocker_line(*tops[0]) if tops else "- none found; read the job log from its end"
    rest = [
        _blocker_line(j, b)
        for j in target.jobs
        for b in j.classification.blockers[:BLOCKERS_PER_JOB]
        if b != j.classification.top_blocker
    ]
    values = {
        "agent": target.agent,
        "repository": snapshot.repository,
        "pr_number": str(snapshot.pr_number or ""),
        "pr_url": pr_url,
        "head_sha": snapshot.head_sha,
        "run_url": snapshot.run_url or "",
        "workflow": snapshot.workflow,
        "branch": snapshot.branch,
        "jobs": jobs,
        "top_blocker": top,
        "blockers": "\n".join(rest) or "- none",
        "request_id": request_id,
        "fingerprint": target.fingerprint,
    }
    return string.Template(template).safe_substitute(values)


def _job_entry(job: FailedJob, blockers: int) -> dict[str, Any]:
    c = job.classification
    return {
        "name": job.name,
        "url": job.url,
        "job_id": job.job_id,
        "step": job.step,
        "fingerprint": job.fingerprint,
        "domain": c.domain,
        "kind": c.kind,
        "failure_type": c.failure_type,
        "confidence": round(c.confidence, 3),
        "top_blocker": c.top_blocker.to_dict() if c.top_blocker else None,
        "blockers": [b.to_dict() for b in c.blockers[:blockers]],
    }


def _scrub(value: Any, secrets: Sequence[str]) -> Any:
    """Every string that came from a log is redacted and made inert before it leaves the runner."""
    if isinstance(value, str):
        return sanitize(value, secrets)
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


def payload_size(payload: Mapping[str, Any]) -> int:
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def build_payload(
    *,
    target: FixTarget,
    snapshot: Snapshot,
    prompt: str,
    request_id: str,
    requested_by: str,
    comment_url: str,
    pr_url: str,
    secrets: Sequence[str] = (),
) -> dict[str, Any]:
    """The client_payload: 10 top-level keys, trimmed (blockers, then the prompt) to PAYLOAD_BUDGET."""
    for blockers in (BLOCKERS_PER_JOB, 3, 1, 0):
        payload: dict[str, Any] = {
            "id": request_id,
            "schema": SCHEMA,
            "agent": target.agent,
            "fingerprint": target.fingerprint,
            "repository": snapshot.repository,
            "pr": {
                "number": snapshot.pr_number,
                "url": pr_url,
                "head_sha": snapshot.head_sha,
                "branch": snapshot.branch,
            },
            "run": {"id": snapshot.run_id, "url": snapshot.run_url, "workflow": snapshot.workflow},
            "jobs": [_job_entry(j, blockers) for j in target.jobs],
            "prompt": prompt,
            "requested_by": {"login": requested_by, "comment_url": comment_url},
        }
        payload = _scrub(payload, secrets)
        if payload_size(payload) <= PAYLOAD_BUDGET:
            return payload
    # Still too big (a huge prompt template or very many jobs): cut the prompt, keep the structure.
    overflow = payload_size(payload) - PAYLOAD_BUDGET
    marker = "\n[... prompt truncated to fit the dispatch size limit ...]"
    cut = max(0, len(payload["prompt"].encode("utf-8")) - overflow - len(marker.encode()) - 16)
    payload["prompt"] = payload["prompt"].encode("utf-8")[:cut].decode("utf-8", "ignore") + marker
    if payload_size(payload) > PAYLOAD_BUDGET:
        payload["jobs"] = payload["jobs"][:20]
    return payload


def request_id_for(target: FixTarget, comment_id: int) -> str:
    """One id per (failures, comment): a fixer's commit trailer names it, the guards recognise it."""
    return f"{target.fingerprint}-{comment_id}"
