"""The fallback chain: sticky PR comment -> fallback issue -> webhook -> (always) step summary.

No report is lost: each channel's failure is recorded with its status and the reason the chain moved
on, and the caller writes the full report to the step summary and the --out folder whatever happened.

Choices (where the issue is silent):
- On a failing run whose comment was delivered, the fallback issue is not touched (it keeps the
  steady-state path at 6 calls, 8 comparing with green); it is brought up to date when the comment fails,
  and closed on green.
- On a green run with no earlier report on the PR, nothing is posted (a "recovered" note on a PR that
  never failed is noise); the outcome is `summary-only` with a note, and does not count as a failure.
- The webhook fires when comment and issue both failed (`webhook-on: fallback`, the default), on every
  failing run (`always`), or never; and for a failing push with no PR when a webhook is configured.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from nexus_action.config.settings import Settings
from nexus_action.github.earlier import EarlierListing
from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.port import RestApi
from nexus_action.github.threads import Converged, FallbackIssue, IsReport, Post, StickyComment, converge
from nexus_action.report.derive import merged_body, same_state
from nexus_action.report.model import Snapshot

RECOVERED_NOTE = (
    "All checks of PR #{number} passed again (run {run}): closing this report. "
    "NEXUS AutoFix reopens it if the PR fails again."
)


class RenderedReport(Protocol):
    """What `nexus_action.report.build_report` returns (only the fields delivery reads)."""

    @property
    def comment_md(self) -> str: ...
    @property
    def issue_title(self) -> str: ...
    @property
    def issue_md(self) -> str: ...
    @property
    def issue_history_comment_md(self) -> str | None: ...
    @property
    def summary_md(self) -> str: ...
    @property
    def should_alert(self) -> bool: ...
    @property
    def muted(self) -> bool: ...


Render = Callable[[str | None], RenderedReport]  # previous body of our comment/issue -> report


@dataclass(frozen=True)
class AlertResult:
    delivered: bool
    failures: tuple[str, ...] = ()
    status: int | None = None  # the webhook's last HTTP status, when it answered
    code: str = "NEXUS-WEBHOOK-REJECTED"


Alert = Callable[[Snapshot, bool, bool], AlertResult]  # (snapshot, comment_ok, issue_ok) -> result


@dataclass(frozen=True)
class Attempt:
    """One channel that did not deliver, and why the chain moved on."""

    channel: str  # comment | issue | webhook
    operation: str
    status: int | None
    reason: str
    code: str

    @classmethod
    def from_failure(cls, channel: str, failure: CallFailure) -> Attempt:
        return cls(channel, failure.operation, failure.status, f"{failure.kind}: {failure.reason}", failure.code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "operation": self.operation,
            "status": self.status,
            "reason": self.reason,
            "code": self.code,
        }


@dataclass
class DeliveryOutcome:
    delivered_via: str = "summary-only"  # comment | issue | webhook | summary-only
    comment_url: str | None = None
    issue_url: str | None = None
    api_calls: int = 0
    slept_seconds: float = 0.0
    attempts: list[Attempt] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    report: RenderedReport | None = None
    expected_delivery: bool = True  # False when there was nothing to post (green, no earlier report)

    @property
    def failed(self) -> bool:
        """Some channel should have carried the report and none did (exit non-zero under fail-on-error)."""
        return self.expected_delivery and self.delivered_via == "summary-only"

    def outputs(self) -> dict[str, str]:
        return {
            "delivered-via": self.delivered_via,
            "comment-url": self.comment_url or "",
            "issue-url": self.issue_url or "",
            "api-calls": str(self.api_calls),
            "delivery-attempts": json.dumps([a.to_dict() for a in self.attempts], separators=(",", ":")),
        }

    def summary_md(self, *, dry_run: bool = False) -> str:
        """The delivery section of the step summary (a dry run says where a live run would deliver)."""
        verb = "a live run would deliver via" if dry_run else "delivered via"
        lines = ["### Delivery", "", f"- {verb}: **{self.delivered_via}**"]
        if self.comment_url:
            lines.append(f"- comment: {self.comment_url}")
        if self.issue_url:
            lines.append(f"- issue: {self.issue_url}")
        lines.append(f"- GitHub API calls: {self.api_calls}; waited {self.slept_seconds:g}s for retries")
        lines += [f"- {note}" for note in self.notes]
        if self.attempts:
            lines += ["", "| channel | call | status | why the chain moved on |", "|---|---|---|---|"]
            for a in self.attempts:
                status = str(a.status) if a.status is not None else "no answer"
                lines.append(f"| {a.channel} | `{a.operation}` | {status} | {a.code}: {a.reason.replace('|', '/')} |")
        return "\n".join(lines) + "\n"


@dataclass
class _Chain:
    api: RestApi
    repository: str
    pr_number: int
    snapshot: Snapshot
    settings: Settings
    render: Render
    is_report: IsReport
    outcome: DeliveryOutcome
    previous_body: str | None = None
    muted: bool = False
    listed: EarlierListing | None = None  # the PR's comments as listed before gathering

    def comment(self) -> bool:
        """The sticky comment, converged with whatever other writers put there (see `threads.converge`)."""
        if self.listed is not None and self.listed.failure is not None:
            # Listing again would meet the same failure (or wait for it again): the comment fails as if listed now.
            self.outcome.attempts.append(Attempt.from_failure("comment", self.listed.failure))
            return False
        sticky = StickyComment(self.api, self.repository, self.pr_number, self.settings.bot_login, self.is_report)
        skipped: list[str] = []

        def render(previous: str | None) -> str | None:
            self.previous_body = previous
            report = self.outcome.report = self.render(previous)
            skipped.clear()
            if previous is not None and report.muted:
                skipped.append("muted")
                return None
            if previous is None and not self.snapshot.failed:
                skipped.append("green")
                return None
            return report.comment_md

        try:
            done = converge(
                sticky,
                render,
                combine=merged_body,
                same=same_state,
                create=lambda body: sticky.create(body, self.settings.http_retries),
                api=self.api,
                listed=self.listed.posts if self.listed is not None else None,
            )
        except GitHubCallError as err:
            self.outcome.attempts.append(Attempt.from_failure("comment", err.failure))
            return False
        self._converge_notes("comment", done)
        if "muted" in skipped:
            # `/nexus mute`: the comment stays as it is until `/nexus unmute`; no fallback issue either.
            self.outcome.notes.append("updates are muted on this PR (`/nexus unmute` resumes them)")
            self.outcome.expected_delivery = False
            self.outcome.comment_url = done.post.url if done.post else None
            self.muted = True
            return False
        if "green" in skipped:
            self.outcome.notes.append("the run is green and this PR has no earlier report: nothing to update")
            return False
        self.outcome.comment_url = done.post.url if done.post else None
        return done.post is not None

    def issue(self) -> bool:
        fallback = FallbackIssue(
            self.api, self.repository, self.pr_number, self.settings.issue_label, self.settings.bot_login
        )
        try:
            if not self.snapshot.failed:
                return self._close(fallback, fallback.find())

            def render(previous: str | None) -> str:
                report = self.outcome.report = self.render(previous if previous is not None else self.previous_body)
                return report.issue_md

            done = converge(
                fallback, render, combine=merged_body, same=same_state, create=fallback.create, api=self.api
            )
            posted = done.post
            report = self.outcome.report
            if posted is None or report is None:
                return False
            if self.settings.comment_issue_append and report.issue_history_comment_md:
                fallback.comment(posted, report.issue_history_comment_md)
        except GitHubCallError as err:
            self.outcome.attempts.append(Attempt.from_failure("issue", err.failure))
            return False
        self._converge_notes("fallback issue", done)
        self.outcome.issue_url = posted.url
        return True

    def _converge_notes(self, where: str, done: Converged) -> None:
        if done.retired:
            ids = ", ".join(str(p.id) for p in done.retired)
            self.outcome.notes.append(f"merged and retired {len(done.retired)} duplicate {where}(s): {ids}")
        if not done.settled:
            self.outcome.notes.append(f"the {where} was still changing after {done.rounds} rounds: other runs write it")

    def _close(self, fallback: FallbackIssue, found: Post | None) -> bool:
        """Calls: the issue listing, then POST a final note and PATCH state=closed when it is open."""
        if found is None or found.state == "closed":
            return False
        report = self.render(found.body)
        if self.outcome.report is None:
            self.outcome.report = report
        note = RECOVERED_NOTE.format(number=self.pr_number, run=self.snapshot.run_url or self.snapshot.run_id)
        fallback.comment(found, note)
        closed = fallback.update(found, report.issue_md, state="closed")
        self.outcome.issue_url = closed.url
        self.outcome.notes.append(f"closed the fallback issue {closed.url}")
        return True


def _webhook(
    alert: Alert | None, snapshot: Snapshot, comment_ok: bool, issue_ok: bool, outcome: DeliveryOutcome
) -> bool:
    if alert is None:
        return False
    result = alert(snapshot, comment_ok, issue_ok)
    for reason in result.failures:
        outcome.attempts.append(Attempt("webhook", "POST webhook", result.status, reason, result.code))
    return result.delivered


def _wants_webhook(
    settings: Settings, snapshot: Snapshot, comment_ok: bool, issue_ok: bool, report: RenderedReport | None
) -> bool:
    if not settings.webhook_configured or settings.alert_webhook_on == "never" or not snapshot.failed:
        return False
    if report is not None and not report.should_alert:
        # The same run attempt again (a re-run of the reporting job, a duplicated event), or a muted PR.
        return False
    return settings.alert_webhook_on == "always" or not (comment_ok or issue_ok)


def deliver_report(
    api: RestApi,
    *,
    repository: str,
    pr_number: int | None,
    snapshot: Snapshot,
    settings: Settings,
    render: Render,
    is_report: IsReport | None = None,
    alert: Alert | None = None,
    listed: EarlierListing | None = None,
) -> DeliveryOutcome:
    """Deliver one run's report through the chain; never raises for a GitHub or webhook failure.

    `listed`: the PR's comments as listed before the jobs were gathered (`github.earlier`), to start from
    instead of listing them again."""
    if is_report is None:
        from nexus_action.report.state import is_report_body

        is_report = is_report_body
    outcome = DeliveryOutcome()
    comment_ok = issue_ok = False
    if pr_number is None:
        outcome.report = render(None)
        outcome.notes.append("no pull request for this run: the report is in the step summary")
        outcome.expected_delivery = snapshot.failed and settings.webhook_configured
    else:
        if listed is not None and listed.pr_number != pr_number:
            listed = None  # listed for the PR the event named; gathering found the run in another one
        chain = _Chain(api, repository, pr_number, snapshot, settings, render, is_report, outcome, listed=listed)
        comment_ok = chain.comment()
        if chain.muted:
            return _finish(api, outcome)
        if not comment_ok or not snapshot.failed:
            issue_ok = chain.issue()
        if comment_ok:
            outcome.delivered_via = "comment"
        elif issue_ok:
            outcome.delivered_via = "issue"
        if not snapshot.failed and not comment_ok and not issue_ok and not outcome.attempts:
            outcome.expected_delivery = False
        if outcome.report is None:
            outcome.report = render(chain.previous_body)
    if _wants_webhook(settings, snapshot, comment_ok, issue_ok, outcome.report):
        sent = _webhook(alert, snapshot, comment_ok, issue_ok, outcome)
        if sent and outcome.delivered_via == "summary-only":
            outcome.delivered_via = "webhook"
    return _finish(api, outcome)


def _finish(api: RestApi, outcome: DeliveryOutcome) -> DeliveryOutcome:
    outcome.api_calls = api.api_calls
    outcome.slept_seconds = api.ledger.slept
    return outcome
