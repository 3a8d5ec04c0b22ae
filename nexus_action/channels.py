"""The channel set a report is delivered through: the live chain, or the dry run's recording chain.

Both hand the same things to `delivery.deliver_report`: a GitHub door (`RestApi`) and a webhook alert. Live,
the door is the real GitHub and the alert posts; in a dry run the door is `RecordingGitHub` (answering from
`--previous`) and the alert records the request it would have made. So the dry run takes every decision the
live run takes, and `plan.json` shows which channel would have carried the report and why.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from nexus_action.config.settings import Settings
from nexus_action.delivery import Alert, AlertResult
from nexus_action.github.deadline import Deadline
from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.ledger import CallLedger
from nexus_action.github.port import RestApi
from nexus_action.github.recording import PreviousThreads, RecordingGitHub, planned_request, read_previous
from nexus_action.report.model import Snapshot
from nexus_action.runner.context import RunContext

if TYPE_CHECKING:
    from nexus_action.notify.send import WebhookOutcome

T = TypeVar("T")


@dataclass
class Channels:
    api: RestApi
    alert: Alert | None
    dry_run: bool
    webhook_requests: list[dict[str, Any]] = field(default_factory=list)

    def plan(self) -> list[dict[str, Any]]:
        """Every request made (dry run: would have been made), GitHub's then the webhook's, in order."""
        made = self.api.requests if isinstance(self.api, RecordingGitHub) else []
        return [*made, *self.webhook_requests]


class UnreachableGitHub:
    """The door when there is no token: every call fails as unauthorized, so the chain moves on to the webhook."""

    def __init__(self) -> None:
        self.ledger = CallLedger(sleep_fn=lambda _s: None)

    @property
    def api_calls(self) -> int:
        return 0

    def _refuse(self, verb: str, path: str) -> GitHubCallError:
        return GitHubCallError(CallFailure(f"{verb} {path}", None, "unauthorized", "no GitHub token"))

    def get(self, path: str, params: dict[str, Any] | None = None, *, read: Callable[[Any], T]) -> T:
        raise self._refuse("GET", path)

    def pages(
        self, path: str, params: dict[str, Any] | None = None, *, read: Callable[[Any], T], max_pages: int = 10
    ) -> Iterator[T]:
        raise self._refuse("GET", path)

    def send(self, verb: str, path: str, body: dict[str, Any] | None = None, *, read: Callable[[Any], T]) -> T:
        raise self._refuse(verb, path)

    def download(self, path: str) -> bytes:
        raise self._refuse("GET", path)

    def download_to(self, path: str, dest: Path, *, max_bytes: int = 0) -> int:
        raise self._refuse("GET", path)


def live_channels(settings: Settings, ctx: RunContext, *, sleep: Callable[[float], None]) -> Channels:
    # One deadline for the run's network time, shared by GitHub and the webhook: starts now, before any call.
    deadline = Deadline(settings.deadline_seconds)
    if not settings.github_token:
        api: RestApi = UnreachableGitHub()
    else:
        from nexus_action.github.client import connect

        api = connect(settings, ctx.api_url, sleep=sleep, clock=time.time, random_fn=random.random, deadline=deadline)
    alert = None
    if settings.webhook_configured:
        from nexus_action.notify.send import WebhookSender

        sender = WebhookSender(
            timeout=10.0,
            retries=settings.http_retries,
            respect_retry_after=settings.respect_retry_after,
            max_wait=settings.max_wait_seconds,
            sleep=sleep,
            deadline=deadline,
        )
        alert = webhook_alert(settings, sender)
    return Channels(api=api, alert=alert, dry_run=False)


def dry_run_channels(settings: Settings, ctx: RunContext, previous: str | None) -> Channels:
    threads = _previous_threads(settings, ctx, previous)
    api = RecordingGitHub(ctx.repository, threads, pr_number=ctx.pr_number, bot_login=settings.bot_login)
    channels = Channels(api=api, alert=None, dry_run=True)
    if settings.webhook_configured:
        channels.alert = webhook_alert(settings, RecordingSender(channels.webhook_requests))
    return channels


def _previous_threads(settings: Settings, ctx: RunContext, previous: str | None) -> PreviousThreads:
    """A `--previous` dashboard body is the dashboard issue; any other body is our sticky comment."""
    from nexus_action.dashboard import DASHBOARD_MARKER
    from nexus_action.dashboard.model import DASHBOARD_LABEL

    if previous is None or DASHBOARD_MARKER not in previous:
        return read_previous(previous, bot_login=settings.bot_login, pr_number=ctx.pr_number)
    issue = {
        "id": 1,
        "number": 1,
        "user": {"login": settings.bot_login},
        "title": "CI failure dashboard",
        "body": previous,
        "labels": [{"name": DASHBOARD_LABEL}],
        "state": "open",
        "created_at": "1970-01-01T00:00:00Z",
        "html_url": "(previous dashboard issue)",
    }
    return PreviousThreads(issues=[issue])


class RecordingSender:
    """The dry run's webhook: writes the request it would send (host only: the URL is a secret) and says 200."""

    def __init__(self, requests: list[dict[str, Any]]) -> None:
        self.requests = requests

    def post(self, url: str, payload: dict[str, Any]) -> WebhookOutcome:
        from urllib.parse import urlsplit

        from nexus_action.notify.send import WebhookOutcome  # imports requests: only when an alert is planned

        host = urlsplit(url).hostname or "(webhook)"
        self.requests.append(planned_request("POST", f"https://{host}/***", "webhook alert", 200, payload))
        return WebhookOutcome(200, True, False, 1, 0.0, "dry run: recorded, not sent")


def webhook_alert(settings: Settings, sender: Any) -> Alert:
    """The chain's last resort: one alert per run attempt, through `sender` (real or recording)."""
    from nexus_action.notify.alert import send_alert

    sent: set[str] = set()

    def alert(snapshot: Snapshot, comment_ok: bool, issue_ok: bool) -> AlertResult:
        result = send_alert(
            snapshot,
            settings,
            comment_ok=comment_ok,
            issue_ok=issue_ok,
            sender=sender,
            already_sent=sent,
            secrets=settings.secret_values(),
        )
        if result.delivered or not result.sent or result.webhook is None:
            return AlertResult(delivered=result.delivered)
        answer = result.webhook
        return AlertResult(False, (result.line,), answer.status, answer.error_code or "NEXUS-DELIVERY-FAILED")

    return alert
