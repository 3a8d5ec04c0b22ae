"""The only HTTP for webhooks: one POST per alert, with bounded, honest retries (requests + urllib3 Retry).

Policy, and why:
- 429 (and 503) with `Retry-After`: wait as told when `respect_retry_after` is on and the wait is at most
  `max_wait`; a longer wait is not shortened (the receiver would only refuse again) but given up at once, and the
  outcome says how long the receiver asked for.
- 5xx, 429 without `Retry-After`, and connection failures before the request was sent: up to `retries` retries,
  with exponential backoff plus jitter (1 s, 2 s, 4 s ... each + up to 0.5 s, never above `max_wait`).
- A read timeout or a reset after the body was sent is NOT retried: the receiver may already have posted the
  message, and a duplicate alert is worse than a missing retry. It is reported as "timed out".
- Any other 4xx is final and reported with the receiver's answer (Slack answers `invalid_blocks`,
  `no_text`, `channel_is_archived` ... as a text body).
- 202 Accepted (Teams Workflows) is accepted but not confirmed: the flow runs later and may still fail.
- Redirects are not followed: a webhook that redirects is misconfigured, and following would send the payload
  somewhere we were not told to.
Every wait goes through the injected `sleep` (tests pass a recorder); every request has a timeout. All of it
runs under the run's `Deadline`, shared with the GitHub client: past it the POST is not made (or a wait not
waited, or a dripping answer not read further) and the outcome says NEXUS-DEADLINE. The URL is a secret:
nothing here puts it, or an exception text holding it, into the outcome.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from nexus_action.github.bounded import BoundedAdapter
from nexus_action.github.deadline import DEFAULT_SECONDS, Deadline, DeadlinePassed
from nexus_action.notify.payloads import payload_bytes
from nexus_action.notify.routes import redact_url
from nexus_action.report.redact import redact_secrets

USER_AGENT = "nexus-autofix/0.1.0 (+webhook)"
ANSWER_LIMIT = 300
BACKOFF_FACTOR = 1.0
BACKOFF_JITTER = 0.5
RETRY_STATUSES = frozenset({429, *range(500, 600)})
# Legacy Office 365 connectors answer 200 with the real error in the body when Teams throttles or refuses.
_CONNECTOR_ERROR = re.compile(r"Microsoft Teams endpoint returned HTTP error (\d{3})")


@dataclass(frozen=True)
class WebhookOutcome:
    """What happened to one POST. `accepted` = the receiver took it; `confirmed` = it said it was delivered."""

    status: int | None  # last HTTP status, None when no answer came (timeout, connection failure)
    accepted: bool
    confirmed: bool
    attempts: int
    slept_seconds: float
    detail: str  # one line for the step summary, never holding the URL
    waits: tuple[float, ...] = ()
    late: bool = False  # stopped by the run's deadline

    @property
    def error_code(self) -> str | None:
        """NEXUS-WEBHOOK-REJECTED for a final 4xx, NEXUS-DEADLINE when time ran out, NEXUS-DELIVERY-FAILED for
        anything else not accepted."""
        if self.accepted:
            return None
        if self.late:
            return "NEXUS-DEADLINE"
        if self.status is not None and 400 <= self.status < 500:
            return "NEXUS-WEBHOOK-REJECTED"
        return "NEXUS-DELIVERY-FAILED"


@dataclass
class _Journal:
    """Shared by every Retry copy of one POST (urllib3 makes a new Retry per attempt): waits and counts."""

    sleep: Callable[[float], None]
    max_wait: float
    jitter: Callable[[], float]
    deadline: Deadline
    retries: int = 0
    waits: list[float] = field(default_factory=list)
    refused_wait: float | None = None

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self.deadline.sleep(seconds, self.sleep)  # raises DeadlinePassed rather than wait past it
            self.waits.append(seconds)


class _JournaledRetry(Retry):
    """urllib3's Retry with its sleeps sent to the injected `sleep`, jittered backoff from the first retry, and a
    refusal (instead of a capped wait) when Retry-After asks for more than max_wait."""

    journal: _Journal

    def new(self, **kw: Any) -> _JournaledRetry:
        fresh = super().new(**kw)
        fresh.journal = self.journal
        return fresh

    def increment(self, *args: Any, **kwargs: Any) -> _JournaledRetry:
        response = kwargs.get("response")
        if response is not None and self.respect_retry_after_header:
            asked = self.get_retry_after(response)
            if asked is not None and asked > self.journal.max_wait:
                self.journal.refused_wait = asked
                raise MaxRetryError(kwargs.get("_pool"), kwargs.get("url"), ResponseError("Retry-After too long"))  # type: ignore[arg-type]
        fresh = super().increment(*args, **kwargs)
        self.journal.retries += 1
        return fresh

    def get_backoff_time(self) -> float:
        tries = len(self.history)
        if tries == 0:
            return 0.0
        value = self.backoff_factor * (2 ** (tries - 1)) + self.journal.jitter() * self.backoff_jitter
        return float(min(value, self.backoff_max, self.journal.max_wait))

    def sleep(self, response: Any = None) -> None:
        if self.respect_retry_after_header and response is not None:
            asked = self.get_retry_after(response)
            if asked is not None:
                self.journal.wait(asked)
                return
        self.journal.wait(self.get_backoff_time())


def _answer(response: requests.Response, secrets: tuple[str, ...]) -> str:
    try:
        text = response.text
    except (UnicodeDecodeError, requests.RequestException):
        return "(unreadable answer)"
    text = " ".join(redact_secrets(text[: ANSWER_LIMIT * 4], secrets).split())
    return text[:ANSWER_LIMIT] or "(empty answer)"


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost error, through requests' and urllib3's wrappers (MaxRetryError.reason, args[0])."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException) and exc.args and isinstance(exc.args[0], BaseException):
            inner = exc.args[0]
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


class WebhookSender:
    """POSTs JSON payloads to webhook URLs. One instance per run; `sleep` is injected (time.sleep in the CLI)."""

    def __init__(
        self,
        *,
        timeout: float,
        retries: int,
        respect_retry_after: bool,
        max_wait: float,
        sleep: Callable[[float], None],
        session: requests.Session | None = None,
        jitter: Callable[[], float] = random.random,
        deadline: Deadline | None = None,
    ) -> None:
        self.timeout = timeout
        self.retries = max(0, retries)
        self.respect_retry_after = respect_retry_after
        self.max_wait = max(0.0, max_wait)
        self.sleep = sleep
        self.session = session or requests.Session()
        self.jitter = jitter
        self.deadline = deadline or Deadline(DEFAULT_SECONDS)

    def _retry(self, journal: _Journal) -> _JournaledRetry:
        retry = _JournaledRetry(
            total=self.retries,
            connect=self.retries,
            read=False,  # the body may have arrived: never re-send after a read timeout or reset
            redirect=0,
            status=self.retries,
            other=0,
            allowed_methods=frozenset({"POST"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=BACKOFF_FACTOR,
            backoff_jitter=BACKOFF_JITTER,
            backoff_max=self.max_wait,
            retry_after_max=10**9,  # compared against max_wait ourselves, so the real ask is known
            respect_retry_after_header=self.respect_retry_after,
            raise_on_status=False,
            raise_on_redirect=False,
        )
        retry.journal = journal
        return retry

    def post(self, url: str, payload: dict[str, Any]) -> WebhookOutcome:
        """POST `payload` as JSON to `url`. Never raises for HTTP or network failures: they are the outcome."""
        journal = _Journal(sleep=self.sleep, max_wait=self.max_wait, jitter=self.jitter, deadline=self.deadline)
        if self.deadline.passed:
            return self._late(journal, f"{self.deadline.which} had passed; not sent")
        adapter = BoundedAdapter(self.deadline, max_bytes=64 * 1024, max_retries=self._retry(journal))
        # Mounted for this exact URL only, so a caller's session keeps its own adapters for everything else.
        self.session.mount(url, adapter)
        secrets = (url, urlsplit(url).path) if urlsplit(url).path not in ("", "/") else (url,)
        try:
            response = self.session.post(
                url,
                data=payload_bytes(payload),
                headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
                timeout=(self.timeout, self.timeout),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return self._failure(exc, journal, secrets)
        except DeadlinePassed as exc:
            return self._late(journal, str(exc))
        finally:
            adapter.close()
            self.session.adapters.pop(url, None)
        return self._judge(response, journal, secrets)

    def _outcome(
        self, journal: _Journal, status: int | None, accepted: bool, confirmed: bool, detail: str
    ) -> WebhookOutcome:
        return WebhookOutcome(
            status=status,
            accepted=accepted,
            confirmed=confirmed,
            attempts=journal.retries + 1,
            slept_seconds=round(sum(journal.waits), 3),
            detail=detail,
            waits=tuple(journal.waits),
        )

    def _late(self, journal: _Journal, why: str) -> WebhookOutcome:
        attempts = journal.retries + (1 if journal.retries else 0)
        detail = f"NEXUS-DEADLINE: {why}" + (f" after {attempts} attempts" if attempts > 1 else "")
        outcome = self._outcome(journal, None, False, False, detail)
        return replace(outcome, late=True, attempts=attempts)

    def _failure(self, exc: requests.RequestException, journal: _Journal, secrets: tuple[str, ...]) -> WebhookOutcome:
        root = _root_cause(exc)
        if isinstance(exc, requests.ReadTimeout) or "ReadTimeout" in type(root).__name__:
            detail = (
                f"no answer within {self.timeout:g} s (timed out); not re-sent, because the receiver may already "
                "have posted it"
            )
        elif isinstance(exc, requests.ConnectTimeout) or "ConnectTimeout" in type(root).__name__:
            detail = f"could not connect within {self.timeout:g} s"
        else:
            reason = " ".join(redact_secrets(str(root), secrets).split())[:ANSWER_LIMIT]
            detail = f"request failed ({type(root).__name__}): {reason}"
        attempts = journal.retries + 1
        if attempts > 1:
            detail += f" after {attempts} attempts"
        return self._outcome(journal, None, False, False, detail)

    def _judge(self, response: requests.Response, journal: _Journal, secrets: tuple[str, ...]) -> WebhookOutcome:
        status = response.status_code
        answer = _answer(response, secrets)
        attempts = journal.retries + 1
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if status == 202:
            detail = (
                "202 Accepted: the receiver queued the message; delivery is not confirmed "
                "(Teams Workflows answer this way)"
            )
            return self._outcome(journal, status, True, False, detail + tries)
        if 200 <= status < 300:
            embedded = _CONNECTOR_ERROR.search(answer)
            if embedded:
                return self._outcome(
                    journal, int(embedded.group(1)), False, False, f"HTTP {status} with an error inside: {answer}"
                )
            return self._outcome(journal, status, True, True, f"HTTP {status}: {answer}{tries}")
        if 300 <= status < 400:
            where = redact_url(response.headers.get("Location", ""))
            detail = f"HTTP {status}: the webhook redirects (to {where}); redirects are not followed, check the URL"
            return self._outcome(journal, status, False, False, detail)
        if journal.refused_wait is not None:
            detail = (
                f"HTTP {status}: the receiver asked to wait {journal.refused_wait:g} s (Retry-After), more than "
                f"max-wait {self.max_wait:g} s; not retried: {answer}"
            )
            return self._outcome(journal, status, False, False, detail + tries)
        if status in RETRY_STATUSES:
            return self._outcome(journal, status, False, False, f"HTTP {status}{tries}: {answer}")
        return self._outcome(journal, status, False, False, f"HTTP {status} (final, not retried): {answer}")
