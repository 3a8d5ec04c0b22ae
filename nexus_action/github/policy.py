"""The error policy for GitHub calls: which answers are retried, how long we wait, and when we give up.

Retries are done by urllib3 through PyGithub's `GithubRetry` (subclassed here), not by hand loops:

- 401 and a permission 403 are never retried: the chain moves on at once.
- Rate limits (429, or 403 with `retry-after`, `x-ratelimit-remaining: 0` or a rate-limit message) wait as
  the headers say when `respect_retry_after` is on, and never longer than `max_wait`; a longer (or disallowed)
  wait gives up at once (waiting less than GitHub asked would only fail again).
- 5xx, timeouts and connection resets get `retries` jittered exponential retries.
- POST is not retried on 5xx / timeout / reset (GithubRetry would: a 5xx can hide a write that happened);
  the caller re-lists and looks for its marker instead. A rate-limited POST was not processed, so it may repeat.

Every wait goes through `CallLedger.sleep`, which calls the injected sleep function (tests take no real time)
under the run's `Deadline`: a wait that would end past it is not made (`DeadlinePassed`, NEXUS-DEADLINE).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from github.GithubException import RateLimitExceededExceedsMaxWait
from github.GithubRetry import GithubRetry
from github.Requester import Requester
from urllib3 import Retry
from urllib3.exceptions import MaxRetryError

from nexus_action.github.ledger import CallLedger

# GitHub asks for "at least one minute" after a secondary rate limit without retry-after.
SECONDARY_RATE_WAIT = 60.0
RATE_LIMIT_STATUSES = frozenset({403, 429})
# PATCH of a body and DELETE are idempotent; POST is not (see module docstring).
RETRYABLE_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _header(headers: Mapping[str, Any], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return str(value).strip()
    return ""


def rate_limit_wait(status: int, headers: Mapping[str, Any], message: str, now: float) -> float | None:
    """Seconds GitHub asks us to wait, or None when the answer is not a rate limit (e.g. a permission 403)."""
    if status not in RATE_LIMIT_STATUSES:
        return None
    retry_after = _header(headers, "retry-after")
    if retry_after.isdigit():
        return float(retry_after)
    remaining, reset = _header(headers, "x-ratelimit-remaining"), _header(headers, "x-ratelimit-reset")
    if remaining == "0" and reset.isdigit():
        # +1: it is not known when within that second the window resets (as GithubRetry does).
        return max(0.0, int(reset) - now) + 1.0
    if status == 429 or Requester.isRateLimitError(message):
        return SECONDARY_RATE_WAIT
    return None


def _message(content: bytes) -> tuple[Any, str]:
    try:
        data = json.loads(content or b"{}")
    except ValueError:
        return {"message": content.decode("utf-8", "replace")[:200]}, ""
    message = data.get("message") if isinstance(data, dict) else None
    return data, message if isinstance(message, str) else ""


class NexusRetry(GithubRetry):
    """GithubRetry with a wait cap, 429 handling, no blind POST retries, and sleeps through the ledger."""

    def __init__(
        self,
        *,
        ledger: CallLedger | None = None,
        respect_retry_after: bool = True,
        max_wait: float = 60.0,
        pending_wait: float | None = None,
        **kwargs: Any,
    ) -> None:
        self.ledger = ledger or CallLedger()
        self.respect_retry_after = respect_retry_after
        self.max_wait = max_wait
        self.pending_wait = pending_wait
        kwargs.setdefault("status_forcelist", [*range(500, 600), 429])
        kwargs.setdefault("allowed_methods", RETRYABLE_METHODS)
        kwargs.setdefault("backoff_factor", 1.0)
        kwargs.setdefault("raise_on_status", False)
        kwargs.setdefault("raise_on_redirect", False)
        kwargs.setdefault("max_rate_limit_wait", max_wait)
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> NexusRetry:
        kw.update(ledger=self.ledger, respect_retry_after=self.respect_retry_after, max_wait=self.max_wait)
        retry = super().new(**kw)
        assert isinstance(retry, NexusRetry)  # noqa: S101 - urllib3 builds type(self)
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # A rate-limited request was refused before anything was written, so even POST may be retried.
        if status_code in RATE_LIMIT_STATUSES and self.total:
            return True
        return bool(super().is_retry(method, status_code, has_retry_after))

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        if response is None or response.status not in RATE_LIMIT_STATUSES:
            retry = Retry.increment(self, method, url, response, error, _pool, _stacktrace)
            self.ledger.retries += 1
            return retry
        content = GithubRetry.get_content(response, url or "")
        data, message = _message(content)
        headers = dict(response.headers)
        wait = rate_limit_wait(response.status, headers, message, self.ledger.clock())
        if wait is None:  # a permission 403: never retried
            raise Requester.createException(response.status, headers, data)
        if not self.respect_retry_after or wait > self.max_wait:
            raise RateLimitExceededExceedsMaxWait(response.status, data, headers, message, wait=wait)
        try:
            retry = Retry.increment(self, method, url, response, error, _pool, _stacktrace)
        except MaxRetryError:
            raise Requester.createException(response.status, headers, data) from None
        assert isinstance(retry, NexusRetry)  # noqa: S101 - Retry.new() builds our own type
        retry.pending_wait = wait
        self.ledger.retries += 1
        return retry

    def backoff_seconds(self) -> float:
        """Exponential backoff with jitter (half to full of 1, 2, 4 ... seconds), never above the cap."""
        consecutive = len(self.history)
        if consecutive <= 1 and self.backoff_factor == 0:
            return 0.0
        base = min(self.backoff_max, self.backoff_factor * (2 ** max(0, consecutive - 1)))
        return float(min(self.max_wait, round(base * (0.5 + 0.5 * self.ledger.random_fn()), 3)))

    def sleep(self, response: Any = None) -> None:
        wait = self.pending_wait if self.pending_wait is not None else self.backoff_seconds()
        self.ledger.sleep(wait)
