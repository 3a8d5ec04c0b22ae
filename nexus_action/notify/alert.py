"""The webhook alert: decide whether to send, pick the route, build the payload, send it once per run attempt.

When (AUTOFIX_ALERT_WEBHOOK_ON, default `fallback`):
- `fallback`: only when both the PR comment and the fallback issue failed (or there was no PR to write to and the
  caller says so with comment_ok=False, issue_ok=False): the webhook is the last resort of the chain;
- `always`: every failing run (e.g. failures on the default branch, which have no PR);
- `never`: not at all, even as the last resort.
A run with no failed jobs (a recovery) sends no alert: chat channels would get one for every green run.

Once: the payload's `dedupe_key` (repo, run id, attempt, fingerprints) goes into `already_sent` as soon as a
request is made, whatever its answer, because a timed-out POST may still have been delivered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from nexus_action.config.settings import Settings
from nexus_action.notify.payloads import build_payload, dedupe_key
from nexus_action.notify.routes import Route, parse_route_map, resolve_route, webhook_urls
from nexus_action.notify.send import WebhookOutcome
from nexus_action.report.model import Snapshot


class Sender(Protocol):
    def post(self, url: str, payload: dict[str, Any]) -> WebhookOutcome: ...


@dataclass(frozen=True)
class AlertOutcome:
    """What the alert step did and why; `webhook` is the HTTP outcome when a request was made."""

    sent: bool  # a request was made (or, in a dry run, would have been)
    reason: str
    dedupe_key: str
    route: Route | None = None
    webhook: WebhookOutcome | None = None

    @property
    def delivered(self) -> bool:
        return self.webhook is not None and self.webhook.accepted

    @property
    def line(self) -> str:
        """One line for the step summary and logs; the URL appears redacted only."""
        where = f" [{self.route.display}]" if self.route else ""
        if self.webhook is None:
            return f"webhook: {self.reason}{where}"
        state = "delivered" if self.webhook.confirmed else "accepted" if self.webhook.accepted else "failed"
        return f"webhook {state}: {self.webhook.detail}{where}"


def _skip_reason(settings: Settings, snapshot: Snapshot, comment_ok: bool, issue_ok: bool) -> str | None:
    if not snapshot.failed:
        return "not sent: the run has no failed jobs"
    if settings.alert_webhook_on == "fallback" and (comment_ok or issue_ok):
        channel = "PR comment" if comment_ok else "fallback issue"
        return f"not needed: the report was delivered by the {channel} (AUTOFIX_ALERT_WEBHOOK_ON is fallback)"
    return None


def route_for(settings: Settings, repository: str) -> Route | None:
    """The route map's choice for `repository`, else AUTOFIX_ALERT_WEBHOOK_URL; NEXUS-CONFIG-INVALID when malformed."""
    return resolve_route(
        parse_route_map(settings.alert_webhook_route_map),
        repository,
        default_url=settings.alert_webhook_url,
        default_format=settings.alert_webhook_format,
    )


def alert_secrets(settings: Settings, secrets: Sequence[str] = ()) -> tuple[str, ...]:
    """Everything to mask in a payload: the caller's secrets, the settings' secrets, and every webhook URL."""
    urls = webhook_urls(settings.alert_webhook_route_map, settings.alert_webhook_url)
    return tuple(dict.fromkeys((*secrets, *settings.secret_values(), *urls)))


def send_alert(
    snapshot: Snapshot,
    settings: Settings,
    *,
    comment_ok: bool,
    issue_ok: bool,
    sender: Sender,
    already_sent: set[str],
    secrets: Sequence[str],
    headline: str | None = None,
    transition_lines: Sequence[str] = (),
) -> AlertOutcome:
    """Send the alert when settings and the chain's state call for it; never the same dedupe_key twice."""
    key = dedupe_key(snapshot)
    if not settings.alert_webhook_enabled:
        return AlertOutcome(sent=False, reason="not enabled (AUTOFIX_ALERT_WEBHOOK_ENABLED is false)", dedupe_key=key)
    if settings.alert_webhook_on == "never":
        return AlertOutcome(sent=False, reason="not sent: AUTOFIX_ALERT_WEBHOOK_ON is never", dedupe_key=key)
    # Resolved before deciding, so a malformed map fails on the first run, not on the day it is the last resort.
    route = route_for(settings, snapshot.repository)
    reason = _skip_reason(settings, snapshot, comment_ok, issue_ok)
    if reason:
        return AlertOutcome(sent=False, reason=reason, dedupe_key=key, route=route)
    if route is None:
        return AlertOutcome(
            sent=False,
            reason=f"not sent: no webhook URL for {snapshot.repository} (no route-map entry, no default, no URL)",
            dedupe_key=key,
        )
    if key in already_sent:
        return AlertOutcome(
            sent=False, reason="not sent again: this run attempt was already alerted", dedupe_key=key, route=route
        )
    payload = build_payload(
        route.format,
        snapshot,
        secrets=alert_secrets(settings, secrets),
        headline=headline,
        transition_lines=transition_lines,
    )
    already_sent.add(key)
    # A dry run passes a sender that records instead of posting: the decision above is the same either way.
    outcome = sender.post(route.url, payload)
    return AlertOutcome(sent=True, reason="sent", dedupe_key=key, route=route, webhook=outcome)
