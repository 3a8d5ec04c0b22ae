"""The error policy in isolation: how long GitHub's answers make us wait, and what each failure is called."""

from __future__ import annotations

import pytest
import requests
from github.GithubException import GithubException, RateLimitExceededExceedsMaxWait

from nexus_action.github.client import failure_from_exception
from nexus_action.github.policy import CallLedger, NexusRetry, rate_limit_wait

NOW = 1_000_000.0


@pytest.mark.parametrize(
    ("status", "headers", "message", "wait"),
    [
        (429, {"Retry-After": "7"}, "", 7.0),
        (403, {"retry-after": "30"}, "You have exceeded a secondary rate limit.", 30.0),
        (
            403,
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 100)},
            "API rate limit exceeded",
            101.0,
        ),
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) - 5)}, "", 1.0),  # reset already passed
        (429, {}, "", 60.0),  # no hint: GitHub's "wait at least a minute"
        (403, {}, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", 60.0),
        (403, {}, "Resource not accessible by integration", None),  # permission: not a rate limit
        (403, {"X-RateLimit-Remaining": "12"}, "Must have admin rights", None),
        (500, {"Retry-After": "5"}, "", None),
    ],
)
def test_rate_limit_wait(status: int, headers: dict[str, str], message: str, wait: float | None) -> None:
    assert rate_limit_wait(status, headers, message, NOW) == wait


def test_backoff_is_jittered_exponential_and_capped() -> None:
    ledger = CallLedger(sleep_fn=lambda s: None, random_fn=lambda: 1.0)
    retry = NexusRetry(ledger=ledger, total=5, max_wait=3.0)
    waits = []
    for _ in range(4):
        retry = retry.increment("GET", "/x", error=requests.exceptions.ConnectionError())  # type: ignore[assignment]
        waits.append(retry.backoff_seconds())
    assert waits == [1.0, 2.0, 3.0, 3.0]  # 1, 2, 4 -> capped at max_wait
    low = NexusRetry(ledger=CallLedger(random_fn=lambda: 0.0), total=5).increment("GET", "/x", error=OSError())
    assert isinstance(low, NexusRetry)
    assert low.backoff_seconds() == 0.5


def test_post_is_not_retried_on_5xx_but_is_on_a_rate_limit() -> None:
    retry = NexusRetry(total=3)
    assert not retry.is_retry("POST", 502)
    assert retry.is_retry("GET", 502)
    assert retry.is_retry("PATCH", 503)
    assert retry.is_retry("POST", 429)
    assert retry.is_retry("POST", 403)  # looked at in increment: rate limit or permission
    assert not retry.is_retry("GET", 401)


def test_every_sleep_goes_through_the_ledger() -> None:
    slept: list[float] = []
    ledger = CallLedger(sleep_fn=slept.append, random_fn=lambda: 0.0)
    retry = NexusRetry(ledger=ledger, total=2, pending_wait=12.0)
    retry.sleep()
    NexusRetry(ledger=ledger, total=2).new(history=(object(),)).sleep()
    assert slept == [12.0, 0.5]
    assert ledger.slept == 12.5


@pytest.mark.parametrize(
    ("exc", "kind", "code"),
    [
        (GithubException(401, {"message": "Bad credentials"}, {}), "unauthorized", "NEXUS-TOKEN-FORBIDDEN"),
        (
            GithubException(403, {"message": "Resource not accessible by integration"}, {}),
            "forbidden",
            "NEXUS-TOKEN-FORBIDDEN",
        ),
        (
            GithubException(403, {"message": "Unable to create comment because issue is locked."}, {}),
            "locked",
            "NEXUS-DELIVERY-FAILED",
        ),
        (GithubException(429, {"message": "slow down"}, {}), "rate-limited", "NEXUS-RATE-LIMITED"),
        (RateLimitExceededExceedsMaxWait(429, {}, {}, wait=600), "rate-limited", "NEXUS-RATE-LIMITED"),
        (
            GithubException(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"message": "body is too long (maximum is 65536 characters)"}],
                },
                {},
            ),
            "too-long",
            "NEXUS-DELIVERY-FAILED",
        ),
        (GithubException(502, {"message": "Bad Gateway"}, {}), "unavailable", "NEXUS-GITHUB-UNAVAILABLE"),
        (requests.exceptions.ReadTimeout(), "unavailable", "NEXUS-GITHUB-UNAVAILABLE"),
        (requests.exceptions.ConnectionError(), "unavailable", "NEXUS-GITHUB-UNAVAILABLE"),
    ],
)
def test_failures_are_named_for_the_chain(exc: Exception, kind: str, code: str) -> None:
    failure = failure_from_exception("PATCH /x", exc, NOW)
    assert (failure.kind, failure.code) == (kind, code)
    assert failure.reason
