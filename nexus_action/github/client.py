"""PyGithub set-up and the one narrow door every GitHub call goes through.

`GitHubApi` wraps PyGithub's `Requester` (so retries, auth and GHES base URLs are PyGithub's) and turns every
failure into a `CallFailure`: the HTTP status (or None for a timeout / reset), a kind the fallback chain can
act on, and a short reason for the outcome. It also counts the API requests made.

Every body goes through one checked reader (`nexus_action.github.answer`): the caller names what it expects
(`read=`) and a body that is not that (HTML on a 201, an empty 200, `"id": "x"`) is a `bad-answer` failure,
never a crash. Every request runs under the run's `Deadline` (`nexus_action.github.deadline`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import requests
from github import Auth, Github
from github.GithubException import GithubException, RateLimitExceededExceedsMaxWait
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass, Requester

from nexus_action.config.settings import Settings
from nexus_action.github.answer import BadAnswer, decode, ignore
from nexus_action.github.bounded import BoundedAdapter, read_within, stream_within
from nexus_action.github.deadline import Deadline, DeadlinePassed
from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.ledger import CallLedger
from nexus_action.github.policy import NexusRetry, rate_limit_wait

T = TypeVar("T")

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
    if isinstance(exc, DeadlinePassed):
        return CallFailure(operation, None, "deadline", str(exc))
    if isinstance(exc, BadAnswer):
        return CallFailure(operation, None, "bad-answer", f"GitHub's answer was not usable: {exc}")
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


def _error_data(output: str) -> dict[str, Any]:
    """The body of a 4xx/5xx as PyGithub's exceptions want it: an object with a `message` (an HTML error page
    or a JSON list becomes a message holding its start)."""
    try:
        data = decode(output)
    except BadAnswer:
        data = None
    if isinstance(data, dict):
        return data
    return {"message": " ".join(str(output or "")[:200].split())}


class GitHubApi:
    """The REST calls NEXUS makes, through PyGithub's requester. Paths are relative to the API URL.

    Each call takes `read`, the checked reader of its body (see `nexus_action.github.answer`): it raises
    BadAnswer for a body of the wrong shape, which becomes a `bad-answer` CallFailure like any other failure.
    """

    def __init__(
        self,
        github: Github,
        ledger: CallLedger,
        *,
        storage: requests.Session,
        timeout: float,
        deadline: Deadline | None = None,
    ) -> None:
        self._requester = github.requester
        self._storage = storage
        self.timeout = timeout
        self.ledger = ledger
        self.deadline = deadline or ledger.deadline

    @property
    def api_calls(self) -> int:
        return self.ledger.requests + self.ledger.retries

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        if self.deadline.passed:  # not counted: no request is made
            raise GitHubCallError(failure_from_exception(operation, DeadlinePassed(self._late(operation)), 0.0))
        self.ledger.requests += 1
        try:
            return fn()
        except (GithubException, requests.RequestException, BadAnswer, DeadlinePassed) as exc:
            raise GitHubCallError(failure_from_exception(operation, exc, self.ledger.clock())) from None
        except RuntimeError as exc:  # PyGithub refuses a redirect to another host or scheme this way
            raise GitHubCallError(CallFailure(operation, None, "bad-answer", str(exc)[:300])) from None

    def _late(self, operation: str) -> str:
        return f"{self.deadline.which} has passed; {operation} skipped"

    def _request(
        self, verb: str, url: str, params: dict[str, Any] | None, body: Any, read: Callable[[Any], T]
    ) -> tuple[dict[str, Any], T]:
        """One request through PyGithub; the status is checked here and the body read by `read`."""
        status, headers, output = self._requester.requestJson(verb, url, params, None, body)
        if status >= 400:
            raise Requester.createException(status, headers, _error_data(output))
        if read is ignore:
            return headers, read(None)
        return headers, read(decode(output))

    def get(self, path: str, params: dict[str, Any] | None = None, *, read: Callable[[Any], T]) -> T:
        """GET one JSON document, read by `read`."""
        return self._call(f"GET {path}", lambda: self._request("GET", path, params, None, read))[1]

    def pages(
        self, path: str, params: dict[str, Any] | None = None, *, read: Callable[[Any], T], max_pages: int = 10
    ) -> Iterator[T]:
        """GET every page (following `Link: rel="next"`), up to max_pages; yields each page read by `read`."""
        url: str | None = path
        query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
        for _ in range(max_pages):
            if url is None:
                return
            request = functools.partial(self._request, "GET", url, query, None, read)
            headers, data = self._call(f"GET {path}", request)
            yield data
            found = _NEXT_LINK.search(str(headers.get("link") or ""))
            url, query = (found.group(1), None) if found else (None, None)

    def send(self, verb: str, path: str, body: dict[str, Any] | None = None, *, read: Callable[[Any], T]) -> T:
        """POST / PATCH / DELETE with a JSON body; the answer is read by `read` (`answer.ignore` when unused)."""
        return self._call(f"{verb} {path}", lambda: self._request(verb, path, None, body, read))[1]

    def download(self, path: str) -> bytes:
        """GET a redirecting download (job logs) in two steps, as PyGithub's `WorkflowJob.logs_url` does.

        The API answers 302 with a short-lived signed URL on another host (blob storage on github.com),
        which PyGithub refuses to follow; it is fetched with a plain session, without the token, under
        the same retry policy and within one request's share of the deadline. Only the first request is
        a GitHub API call.

        Calls: GET {path} (302), then GET <Location>
        """
        headers, _ = self._call(f"GET {path}", lambda: self._request("GET", path, None, None, ignore))
        location = str(headers.get("location") or "")
        if not location:
            raise GitHubCallError(CallFailure(f"GET {path}", None, "unavailable", "no redirect to the log"))
        return self._fetch(f"GET {path} (storage)", location)

    def download_to(self, path: str, dest: Path, *, max_bytes: int = MAX_LOG_BYTES) -> int:
        """`download`, streamed into the file `dest` as it arrives (eight 60 MB job logs held in memory at once
        took 577 MB); the bytes written, at most `max_bytes` (the head: line numbers stay true).

        Calls: GET {path} (302), then GET <Location>
        """
        headers, _ = self._call(f"GET {path}", lambda: self._request("GET", path, None, None, ignore))
        location = str(headers.get("location") or "")
        if not location:
            raise GitHubCallError(CallFailure(f"GET {path}", None, "unavailable", "no redirect to the log"))
        operation = f"GET {path} (storage)"
        try:
            with self._storage.get(location, stream=True, timeout=self.deadline.timeout(self.timeout)) as response:
                response.raise_for_status()
                with dest.open("wb") as out:
                    return stream_within(
                        response.raw, self.deadline.part(), out.write, limit=max_bytes, read_timeout=self.timeout
                    )
        except (GithubException, requests.RequestException, DeadlinePassed) as exc:
            raise GitHubCallError(failure_from_exception(operation, exc, self.ledger.clock())) from None
        except OSError as exc:
            raise GitHubCallError(CallFailure(operation, None, "unavailable", f"cannot write {dest}: {exc}")) from None

    def _fetch(self, operation: str, url: str) -> bytes:
        try:
            with self._storage.get(url, stream=True, timeout=self.deadline.timeout(self.timeout)) as response:
                response.raise_for_status()
                # Keep the head: line numbers must stay true. 64 MiB is far beyond any log worth reading.
                limit = self.deadline.part()
                return read_within(response.raw, limit, limit=MAX_LOG_BYTES, read_timeout=self.timeout)
        except (GithubException, requests.RequestException, DeadlinePassed) as exc:
            # The retry policy raises GithubException; a dripping body raises DeadlinePassed.
            raise GitHubCallError(failure_from_exception(operation, exc, self.ledger.clock())) from None


def _bounded(base: type[Any], deadline: Deadline) -> type[Any]:
    """PyGithub's connection class with our BoundedAdapter mounted, so API answers are read within the deadline
    (PyGithub reads each body whole with only a per-read timeout, which a dripping answer never trips)."""

    class BoundedConnection(base):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.adapter = BoundedAdapter(
                deadline, max_retries=self.retry, pool_connections=self.pool_size, pool_maxsize=self.pool_size
            )
            self.session.mount(f"{self.protocol}://", self.adapter)

    return BoundedConnection


def connect(
    settings: Settings,
    api_url: str,
    *,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    random_fn: Callable[[], float],
    timeout: int = 15,
    deadline: Deadline | None = None,
) -> GitHubApi:
    """A client for `api_url` (GITHUB_API_URL: github.com, GHES `/api/v3`, or a local stand-in).

    `deadline` is the run's (share it with the webhook sender); without one, a new one of
    `settings.deadline_seconds` starts now.
    """
    deadline = deadline or Deadline(settings.deadline_seconds)
    ledger = CallLedger(sleep_fn=sleep, clock=clock, random_fn=random_fn, deadline=deadline)
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
    # PyGithub has no option for the adapter of its session; its requester picks the connection class per
    # instance from this attribute, so only this client is changed.
    connection_attr = "_Requester__connectionClass"
    if not hasattr(github.requester, connection_attr):
        raise RuntimeError("PyGithub's Requester no longer has its connection class attribute; update connect()")
    secure = api_url.startswith("https:")
    base = HTTPSRequestsConnectionClass if secure else HTTPRequestsConnectionClass
    setattr(github.requester, connection_attr, _bounded(base, deadline))
    # Log storage: a plain session (no token: the URL is signed), same retries, sleeps, cap and deadline.
    storage = requests.Session()
    storage.mount("https://", BoundedAdapter(deadline, max_retries=retry))
    storage.mount("http://", BoundedAdapter(deadline, max_retries=retry))
    storage.headers["User-Agent"] = USER_AGENT
    return GitHubApi(github, ledger, storage=storage, timeout=timeout, deadline=deadline)
