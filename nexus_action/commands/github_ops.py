"""The GitHub REST calls slash commands make, over one `requests.Session`. The only HTTP in commands/.

Small on purpose: each method is one endpoint (named in its docstring) and turns GitHub's refusals into
NexusError codes. `sleep` is injected so tests never wait. `api_url` is honoured (GitHub Enterprise).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests

from nexus_action.commands.execute import RunRef
from nexus_action.errors import NexusError

API_VERSION = "2022-11-28"
TIMEOUT_SECONDS = 20
MAX_PAGES = 10  # 1,000 comments / runs: enough for one PR, bounded for a runaway thread


def _is_rate_limited(response: requests.Response) -> bool:
    if response.status_code == 429:
        return True
    if response.status_code != 403:
        return False
    return (
        "retry-after" in response.headers
        or response.headers.get("x-ratelimit-remaining") == "0"
        or "rate limit" in response.text.lower()
    )


class GitHubCommandOps:
    """Reads and writes for one repository. Raises NexusError with a stable code when GitHub says no."""

    def __init__(
        self,
        *,
        token: str,
        repository: str,
        api_url: str = "https://api.github.com",
        retries: int = 3,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.repository = repository
        self.api_url = api_url.rstrip("/")
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.session = session or requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "nexus-autofix",
            }
        )

    # ---- transport ------------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.api_url}/repos/{self.repository}{path}"
        for attempt in range(self.retries + 1):
            try:
                response = self.session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt >= self.retries:
                    raise NexusError("NEXUS-GITHUB-UNAVAILABLE", f"{method} {path}: {exc}") from None
                self.sleep(min(2.0**attempt, self.max_wait))
                continue
            if response.status_code >= 500 and attempt < self.retries:
                self.sleep(min(2.0**attempt, self.max_wait))
                continue
            if _is_rate_limited(response):
                wait = float(response.headers.get("retry-after") or 60)
                if wait > self.max_wait or attempt >= self.retries:
                    raise NexusError("NEXUS-RATE-LIMITED", f"{method} {path}: rate limited (retry after {wait:g}s)")
                self.sleep(wait)
                continue
            return self._checked(method, path, response)
        raise NexusError("NEXUS-GITHUB-UNAVAILABLE", f"{method} {path}: no answer after {self.retries} retries")

    @staticmethod
    def _checked(method: str, path: str, response: requests.Response) -> requests.Response:
        status = response.status_code
        if status < 400:
            return response
        try:
            detail = str(response.json().get("message") or "")
        except ValueError:
            detail = response.text[:200]
        where = f"{method} {path} answered {status}: {detail}"
        if status in (401, 403):
            raise NexusError("NEXUS-TOKEN-FORBIDDEN", where)
        if status >= 500:
            raise NexusError("NEXUS-GITHUB-UNAVAILABLE", where)
        raise NexusError("NEXUS-COMMAND-REFUSED", where, "GitHub refused the request; the message says why.")

    def _pages(self, path: str, params: Mapping[str, str], key: str | None) -> Iterator[dict[str, Any]]:
        url: str | None = path
        query: Mapping[str, str] | None = {**params, "per_page": "100"}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._request("GET", url, params=query)
            data = response.json()
            yield from data[key] if key else data
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query

    # ---- reads ------------------------------------------------------------------------------------

    def permission(self, user: str) -> tuple[str, str | None]:
        """(permission, role_name) of `user`. Calls: GET /repos/{owner}/{repo}/collaborators/{username}/permission"""
        try:
            data = self._request("GET", f"/collaborators/{quote(user, safe='')}/permission").json()
        except NexusError as err:
            if err.code == "NEXUS-COMMAND-REFUSED" and " 404:" in err.message:
                return "none", None  # not a collaborator (and not a user GitHub knows)
            raise
        return str(data.get("permission") or "none"), data.get("role_name")

    def head_sha(self, pr_number: int) -> str:
        """The PR's current head commit. Calls: GET /repos/{owner}/{repo}/pulls/{pull_number}"""
        data = self._request("GET", f"/pulls/{pr_number}").json()
        return str(data["head"]["sha"])

    def failed_runs(self, head_sha: str) -> Sequence[RunRef]:
        """Failed runs of a commit. Calls: GET /repos/{owner}/{repo}/actions/runs?head_sha=&status=failure"""
        params = {"head_sha": head_sha, "status": "failure"}
        return [
            RunRef(int(r["id"]), str(r.get("name") or r.get("workflow_id") or ""), str(r.get("html_url") or ""))
            for r in self._pages("/actions/runs", params, "workflow_runs")
            if r.get("head_sha") == head_sha  # a commit reachable by several branches: keep the exact SHA
        ]

    def comments(self, issue_number: int) -> Iterator[dict[str, Any]]:
        """Calls: GET /repos/{owner}/{repo}/issues/{issue_number}/comments"""
        return self._pages(f"/issues/{issue_number}/comments", {}, None)

    # ---- writes -----------------------------------------------------------------------------------

    def react(self, comment_id: int, content: str) -> int:
        """200 = the reaction already existed, 201 = created.
        Calls: POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"""
        return self._request("POST", f"/issues/comments/{comment_id}/reactions", json={"content": content}).status_code

    def rerun_failed_jobs(self, run_id: int) -> None:
        """Calls: POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs"""
        self._request("POST", f"/actions/runs/{run_id}/rerun-failed-jobs")

    def dispatch(self, event_type: str, client_payload: Mapping[str, Any]) -> None:
        """Calls: POST /repos/{owner}/{repo}/dispatches (204 No Content)"""
        self._request("POST", "/dispatches", json={"event_type": event_type, "client_payload": dict(client_payload)})

    def update_comment(self, comment_id: int, body: str) -> None:
        """Calls: PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"""
        self._request("PATCH", f"/issues/comments/{comment_id}", json={"body": body})

    def create_comment(self, issue_number: int, body: str) -> int:
        """Calls: POST /repos/{owner}/{repo}/issues/{issue_number}/comments"""
        return int(self._request("POST", f"/issues/{issue_number}/comments", json={"body": body}).json()["id"])
