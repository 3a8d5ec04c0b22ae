"""Webhook payloads, all four formats built from the same Snapshot and redacted like the report. Pure.

`build_payload(fmt, snapshot, secrets=..., headline=..., transition_lines=...)` returns the JSON body to POST:

- `json`: NEXUS AutoFix's own documented schema (`nexus_action/schemas/webhook.schema.json`, docs/webhooks.md)
  for custom receivers;
- `slack_blocks`: a Slack incoming-webhook Block Kit message (see `slack.py`);
- `teams_adaptive`: a Teams Workflows message with an Adaptive Card 1.4 (see `teams.py`);
- `teams_messagecard`: a legacy Office 365 connector MessageCard (see `teams.py`).

Every payload carries the run's `dedupe_key`, so a receiver (or the action itself) can drop a second copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from nexus_action.errors import NexusError
from nexus_action.notify.digest import REPO_NAME, AlertDigest, JobLine, build_digest, payload_bytes
from nexus_action.notify.routes import PAYLOAD_FORMATS
from nexus_action.notify.slack import slack_payload
from nexus_action.notify.teams import teams_adaptive_payload, teams_messagecard_payload
from nexus_action.report.markdown import clip
from nexus_action.report.model import Snapshot
from nexus_action.report.redact import redactor_for

__all__ = ["JSON_SCHEMA_VERSION", "PAYLOAD_FORMATS", "build_payload", "dedupe_key", "payload_bytes"]

# Receivers switch on these two: the name never changes, the version goes up on an incompatible change.
JSON_SCHEMA_NAME = "nexus-autofix/webhook"
JSON_SCHEMA_VERSION = 1
JSON_MAX_JOBS = 100
JSON_JOB_BLOCKER_LIMIT = 1000
TOP_BLOCKER_LIMIT = 2000


def dedupe_key(snapshot: Snapshot) -> str:
    """`nexus:v1:org/repo:RUN_ID:ATTEMPT:HASH`, HASH over the sorted job fingerprints: the same for the same
    run attempt with the same failures, however often or in whatever order the jobs are reported."""
    repo = snapshot.repository.strip().lower()
    if not REPO_NAME.match(repo):
        repo = "unknown"
    basis = "\n".join(sorted(job.fingerprint for job in snapshot.jobs))
    digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]
    return f"nexus:v1:{repo}:{snapshot.run_id or 0}:{snapshot.run_attempt}:{digest}"


def _job_json(job: JobLine, blocker_limit: int) -> dict[str, Any]:
    return {
        "name": job.name,
        "domain": job.domain,
        "kind": job.kind,
        "failure_type": job.failure_type,
        "agent": job.agent,
        "blocker": clip(job.blocker, blocker_limit) or None,
        "location": job.location or None,
        "step": job.step or None,
        "log_url": job.log_url,
        "log_available": job.log_available,
    }


def json_payload(d: AlertDigest) -> dict[str, Any]:
    """The versioned `json` format; see nexus_action/schemas/webhook.schema.json."""
    run_link = next((link.url for link in d.links if link.title == "Workflow run"), None)
    jobs = d.jobs[:JSON_MAX_JOBS]
    top = None
    if d.top:
        top = {"job": d.top.name, **_job_json(d.top, TOP_BLOCKER_LIMIT)}
        del top["name"]
    return {
        "schema": JSON_SCHEMA_NAME,
        "schema_version": JSON_SCHEMA_VERSION,
        "event": "ci.failed" if d.failed else "ci.recovered",
        "dedupe_key": d.dedupe_key,
        "headline": d.headline,
        "summary": d.summary,
        "repository": d.repository,
        "workflow": d.workflow or None,
        "branch": d.branch or None,
        "head_sha": d.head_sha or None,
        "pull_request": d.pr_number,
        "run": {"id": d.run_id, "attempt": d.run_attempt, "url": run_link},
        "created_at": d.created_at or None,
        "conclusion": d.conclusion,
        "transition": list(d.transition),
        "top_blocker": top,
        "failed_job_count": d.job_count,
        "omitted_jobs": d.job_count - len(jobs),
        "failed_jobs": [_job_json(j, JSON_JOB_BLOCKER_LIMIT) for j in jobs],
        "links": [{"title": link.title, "url": link.url} for link in d.links],
    }


_BUILDERS = {
    "json": json_payload,
    "slack_blocks": slack_payload,
    "teams_adaptive": teams_adaptive_payload,
    "teams_messagecard": teams_messagecard_payload,
}


def build_payload(
    fmt: str,
    snapshot: Snapshot,
    *,
    secrets: Sequence[str] = (),
    headline: str | None = None,
    transition_lines: Sequence[str] = (),
) -> dict[str, Any]:
    """The webhook body for `fmt`, every snapshot string redacted with `secrets` and escaped for the format."""
    builder = _BUILDERS.get(fmt)
    if builder is None:
        raise NexusError(
            "NEXUS-CONFIG-INVALID",
            f"webhook format must be one of {', '.join(PAYLOAD_FORMATS)}; got {fmt!r}",
        )
    known = tuple(dict.fromkeys((*secrets, *snapshot.masked_values)))
    digest = build_digest(
        snapshot,
        secrets=known,
        headline=headline,
        transition_lines=transition_lines,
        dedupe_key=dedupe_key(snapshot),
        blocker_limit=TOP_BLOCKER_LIMIT,
    )
    # The last pass, over the finished body: every string in it, with the run's secrets and announced masks.
    final: dict[str, Any] = redactor_for(known).redact_json(builder(digest))
    return final
