"""PyGithub set-up and the one narrow door every GitHub call goes through.

`GitHubApi` wraps PyGithub's `Requester` (so retries, auth, GHES base URLs and redirects are PyGithub's)
and turns every failure into a `CallFailure`: the HTTP status (or None for a timeout / reset), a kind the
fallback chain can act on, and a short reason for the outcome. It also counts the API requests made.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

import requests
from github import Auth, Github
from github.GithubException import GithubException, RateLimitExceededExceedsMaxWait
from requests.adapters import HTTPAdapter

from nexus_action.config.settings import Settings
from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.ledger import CallLedger
from nexus_action.github.policy import NexusRetry, rate_limit_wait

USER_AGENT = "nexus-autofix/0.1 (+https://github.com/nexus-autofix)"
# Logs can be large; anything past this is cut.
MAX_LOG_BYTES = 64 * 1024 * 1024
_NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


def _message(data: Any) -> str:
    if isinstance(data, dict):
        message = str(data.get("message") or "")
        errors = data.get("errors")
        if isinstance(errors, list):
            details = [str(e.get("message") or e.get("code") or "") for e in errors if isinstance(e, dict)]
            message = "; ".join(x for x in (message, *details) if x)
        return message[:300]
    return str(data or "")[:300]


def failure_from_exception(operation: str, exc: Exception, now: float) -> CallFailure:
    """Name what went wrong in the user's words; the kind decides what the delivery chain does next."""
    if isinstance(exc, GithubException):
        status, message = exc.status, _message(exc.data) or (exc.message or "")
        lowered = message.lower()
        if isinstance(exc, RateLimitExceededExceedsMaxWait):
            wait = f"{exc.wait:g}s" if exc.wait is not None else "an unknown time"
            return CallFailure(operation, status, "rate-limited", f"rate limited; GitHub asks to wait {wait}")
        if status == 401:
            return CallFailure(operation, status, "unauthorized", message or "bad credentials")
        if status in (403, 422) and "locked" in lowered:
            return CallFailure(operation, status, "locked", message or "conversation is locked")
        if status in (403, 429) and rate_limit_wait(status, exc.headers or {}, message, now) is not None:
            return CallFailure(operation, status, "rate-limited", message or "rate limited")
        if status == 403:
            return CallFailure(operation, status, "forbidden", message or "resource not accessible by integration")
        if status == 404:
            return CallFailure(operation, status, "not-found", message or "not found")
        if status == 422 and "too long" in lowered:
            return CallFailure(operation, status, "too-long", message)
        if status >= 500:
            return CallFailure(operation, status, "unavailable", message or "server error")
        return CallFailure(operation, status, "invalid", message or f"HTTP {status}")
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        # Log storage downloads raise requests' own error for a final 4xx/5xx.
        status = exc.response.status_code
        kind = {401: "unauthorized", 403: "forbidden", 404: "not-found"}.get(status, "unavailable")
        return CallFailure(operation, status, kind, exc.response.reason or f"HTTP {status}")
    if isinstance(exc, requests.Timeout):
        return CallFailure(operation, None, "unavailable", "timed out")
    if isinstance(exc, requests.ConnectionError):
        return CallFailure(operation, None, "unavailable", "connection failed or was reset")
    return CallFailure(operation, None, "unavailable", f"{type(exc).__name__}: {exc}"[:300])


class GitHubApi:
    """The REST calls NEXUS makes, through PyGithub's requester. Paths are relative to the API URL."""

    def __init__(self, github: Github, ledger: CallLedger, *, storage: requests.Session, timeout: float) -> None:
        self._requester = github.requester
        self._storage = storage
        self.timeout = timeout
        self.ledger = ledger

    @property
    def api_calls(self) -> int:
        return self.ledger.requests + self.ledger.retries

    def _call(self, operation: str, fn: Callable[[], Any]) -> Any:
        self.ledger.requests += 1
        try:
            return fn()
        except (GithubException, requests.RequestException) as exc:
            raise GitHubCallError(failure_from_exception(operation, exc, self.ledger.clock())) from None

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET one JSON document."""
        _, data = self._call(f"GET {path}", lambda: self._requester.requestJsonAndCheck("GET", path, params))
        return data

    def pages(self, path: str, params: dict[str, Any] | None = None, *, max_pages: int = 10) -> Iterator[Any]:
        """GET every page (following `Link: rel="next"`), up to max_pages; yields each page's JSON."""
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        for _ in range(max_pages):
            if url is None:
                return
            headers, data = self._call(
                f"GET {path}", functools.partial(self._requester.requestJsonAndCheck, "GET", url, query)
            )
            yield data
            found = _NEXT_LINK.search(str(headers.get("link") or ""))
            url, query = (found.group(1), None) if found else (None, None)

    def send(self, verb: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST / PATCH / DELETE with a JSON body."""
        _, data = self._call(f"{verb} {path}", lambda: self._requester.requestJsonAndCheck(verb, path, input=body))
        return data

    def download(self, path: str) -> bytes:
        """GET a redirecting download (job logs) in two steps, as PyGithub's `WorkflowJob.logs_url` does.

        The API answers 302 with a short-lived signed URL on another host (blob storage on github.com),
        which PyGithub refuses to follow; it is fetched with a plain session, without the token, under
        the same retry policy. Only the first request is a GitHub API call.

        Calls: GET {path} (302), then GET <Location>
        """
        headers, _ = self._call(f"GET {path}", lambda: self._requester.requestBlobAndCheck("GET", path))
        location = str(headers.get("location") or "")
        if not location:
            raise GitHubCallError(CallFailure(f"GET {path}", None, "unavailable", "no redirect to the log"))
        return self._fetch(f"GET {path} (storage)", location)

    def _fetch(self, operation: str, url: str) -> bytes:
        out = bytearray()
        try:
            with self._storage.get(url, stream=True, timeout=self.timeout) as response:
                response.raise_for_status()
                # Keep the head: line numbers must stay true. 64 MiB is far beyond any log worth reading.
                for chunk in response.iter_content(chunk_size=64 * 1024):
                    out.extend(chunk)
                    if len(out) >= MAX_LOG_BYTES:
                        break
        except (GithubException, requests.RequestException) as exc:  # the retry policy raises GithubException
            raise GitHubCallError(failure_from_exception(operation, exc, self.ledger.clock())) from None
        return bytes(out)


def connect(
    settings: Settings,
    api_url: str,
    *,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    random_fn: Callable[[], float],
    timeout: int = 15,
) -> GitHubApi:
    """A client for `api_url` (GITHUB_API_URL: github.com, GHES `/api/v3`, or a local stand-in)."""
    ledger = CallLedger(sleep_fn=sleep, clock=clock, random_fn=random_fn)
    retry = NexusRetry(
        ledger=ledger,
        total=settings.http_retries,
        respect_retry_after=settings.respect_retry_after,
        max_wait=settings.max_wait_seconds,
    )
    github = Github(
        auth=Auth.Token(settings.github_token) if settings.github_token else None,
        base_url=api_url.rstrip("/"),
        timeout=timeout,
        user_agent=USER_AGENT,
        per_page=100,
        retry=retry,
        # PyGithub's default throttle calls time.sleep between requests; our writes are few, and every
        # wait must go through the injected sleep.
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    # Log storage: a plain session (no token: the URL is signed), same retries, sleeps and cap.
    storage = requests.Session()
    storage.mount("https://", HTTPAdapter(max_retries=retry))
    storage.mount("http://", HTTPAdapter(max_retries=retry))
    storage.headers["User-Agent"] = USER_AGENT
    return GitHubApi(github, ledger, storage=storage, timeout=timeout)
