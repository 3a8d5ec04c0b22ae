"""The delivery plan of a dry run: the ordered GitHub and webhook requests a live run would make.

Each request names its method, path, when it happens (`always`, or the failure it answers) and the sha256
digest of the exact body it would send, so two dry runs can be compared and a live run checked against it.
Webhook URLs are secrets: only their host is written. The live chain is `nexus_action.delivery`; this plan
mirrors its order (comment -> fallback issue -> webhook), not its retries.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from nexus_action.config.settings import Settings
from nexus_action.report.build import Report
from nexus_action.report.model import Snapshot


def body_digest(body: Any) -> str:
    raw = body if isinstance(body, bytes) else json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _request(method: str, path: str, when: str, purpose: str, body: Any = None) -> dict[str, Any]:
    return {
        "method": method,
        "path": path,
        "when": when,
        "purpose": purpose,
        "body_sha256": body_digest(body) if body is not None else None,
        "body_chars": len(json.dumps(body)) if body is not None else 0,
    }


def webhook_host(url: str) -> str:
    return urlsplit(url).hostname or "(webhook)"


def plan_requests(
    report: Report,
    snapshot: Snapshot,
    *,
    settings: Settings,
    has_previous: bool,
    webhook_body: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """Ordered requests; `has_previous` says an earlier comment exists (update instead of create)."""
    repo, pr = snapshot.repository, snapshot.pr_number
    plan: list[dict[str, Any]] = []
    posts_anything = snapshot.failed or has_previous  # a green run with no earlier report posts nothing
    if pr is not None and posts_anything:
        comments = f"/repos/{repo}/issues/{pr}/comments"
        plan.append(_request("GET", comments + "?per_page=100", "always", "find our sticky comment"))
        body = {"body": report.comment_md}
        if has_previous:
            plan.append(_request("PATCH", f"/repos/{repo}/issues/comments/{{comment_id}}", "always", "update", body))
        else:
            plan.append(_request("POST", comments, "always", "create the sticky comment", body))
        issue_when = "always" if not snapshot.failed else "if the comment fails"
        label = settings.issue_label
        plan.append(
            _request("GET", f"/repos/{repo}/issues?labels={label}&state=all&per_page=100", issue_when, "find issue")
        )
        issue = {"title": report.issue_title, "body": report.issue_md}
        if snapshot.failed:
            plan.append(
                _request(
                    "POST",
                    f"/repos/{repo}/issues",
                    issue_when,
                    "create the fallback issue",
                    {**issue, "labels": [label]},
                )
            )
            if report.issue_history_comment_md:
                plan.append(
                    _request(
                        "POST",
                        f"/repos/{repo}/issues/{{issue_number}}/comments",
                        issue_when,
                        "append this run to the issue history",
                        {"body": report.issue_history_comment_md},
                    )
                )
        else:
            closed = {**issue, "state": "closed"}
            plan.append(
                _request("PATCH", f"/repos/{repo}/issues/{{issue_number}}", "if an issue is open", "close it", closed)
            )
    wanted = snapshot.failed and settings.alert_webhook_on != "never" and report.should_alert
    if webhook_body is not None and settings.webhook_configured and wanted:
        if settings.alert_webhook_on == "always" or pr is None:
            when = "always"
        else:
            when = "if the comment and the issue both fail"
        host = webhook_host(settings.alert_webhook_url) if settings.alert_webhook_url else "(route map)"
        plan.append(
            _request("POST", f"https://{host}/***", when, f"{settings.alert_webhook_format} alert", webhook_body)
        )
    return plan
