"""The GitHub REST calls slash commands make, through the shared client (`nexus_action.github.client`).

Each method is one endpoint (named in its docstring). GitHub's refusals become NexusError with the client's
stable codes, so the command logic can fail one command and carry on with the next.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from nexus_action.commands.execute import RunRef
from nexus_action.errors import NexusError
from nexus_action.github.client import GitHubApi
from nexus_action.github.failure import GitHubCallError
from nexus_action.github.threads import Post, StickyComment
from nexus_action.report import is_report_body

MAX_RUN_PAGES = 3  # 300 failed runs of one commit is far more than any PR has


def _nexus(err: GitHubCallError) -> NexusError:
    failure = err.failure
    code = failure.code if failure.code != "NEXUS-DELIVERY-FAILED" else "NEXUS-COMMAND-REFUSED"
    status = failure.status if failure.status is not None else "no answer"
    return NexusError(code, f"{failure.operation} answered {status}: {failure.reason}")


class GitHubCommandOps:
    """Reads and writes for one pull request's commands."""

    def __init__(self, api: GitHubApi, repository: str, pr_number: int, bot_login: str) -> None:
        self.api = api
        self.repository = repository
        self.pr_number = pr_number
        self.repo_path = f"/repos/{repository}"
        self.sticky = StickyComment(api, repository, pr_number, bot_login, is_report_body)

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return self.api.get(self.repo_path + path, params)
        except GitHubCallError as err:
            raise _nexus(err) from None

    def _send(self, verb: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            return self.api.send(verb, self.repo_path + path, body)
        except GitHubCallError as err:
            raise _nexus(err) from None

    # ---- reads ------------------------------------------------------------------------------------

    def permission(self, user: str) -> tuple[str, str | None]:
        """(permission, role_name). Calls: GET /repos/{owner}/{repo}/collaborators/{username}/permission"""
        try:
            data = self.api.get(f"{self.repo_path}/collaborators/{quote(user, safe='')}/permission")
        except GitHubCallError as err:
            if err.failure.kind == "not-found":
                return "none", None  # not a collaborator, or a login GitHub does not know
            raise _nexus(err) from None
        role = data.get("role_name")
        return str(data.get("permission") or "none"), role if isinstance(role, str) else None

    def head_sha(self, pr_number: int) -> str:
        """The PR's current head commit. Calls: GET /repos/{owner}/{repo}/pulls/{pull_number}"""
        data = self._get(f"/pulls/{pr_number}")
        return str(data["head"]["sha"])

    def failed_runs(self, head_sha: str) -> Sequence[RunRef]:
        """Failed runs of exactly this commit.

        Calls: GET /repos/{owner}/{repo}/actions/runs?head_sha={sha}&status=failure (paginated)
        """
        runs: list[RunRef] = []
        try:
            pages = self.api.pages(
                f"{self.repo_path}/actions/runs", {"head_sha": head_sha, "status": "failure"}, max_pages=MAX_RUN_PAGES
            )
            for page in pages:
                for r in page.get("workflow_runs", ()) if isinstance(page, dict) else ():
                    if r.get("head_sha") == head_sha:
                        runs.append(RunRef(int(r["id"]), str(r.get("name") or ""), str(r.get("html_url") or "")))
        except GitHubCallError as err:
            raise _nexus(err) from None
        return runs

    def report_comment(self) -> Post | None:
        """Our sticky report comment (the oldest if a race left two). Calls: GET .../issues/{n}/comments"""
        try:
            found = self.sticky.find_all()
        except GitHubCallError as err:
            raise _nexus(err) from None
        return found[0] if found else None

    # ---- writes -----------------------------------------------------------------------------------

    def react(self, comment_id: int, content: str) -> None:
        """GitHub answers 200 when the reaction already existed, 201 when created: both are fine here.

        Calls: POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions
        """
        self._send("POST", f"/issues/comments/{comment_id}/reactions", {"content": content})

    def rerun_failed_jobs(self, run_id: int) -> None:
        """Calls: POST /repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs"""
        self._send("POST", f"/actions/runs/{run_id}/rerun-failed-jobs")

    def dispatch(self, event_type: str, client_payload: Mapping[str, Any]) -> None:
        """Calls: POST /repos/{owner}/{repo}/dispatches (204 No Content)"""
        self._send("POST", "/dispatches", {"event_type": event_type, "client_payload": dict(client_payload)})

    def update_comment(self, comment_id: int, body: str) -> None:
        """Calls: PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"""
        self._send("PATCH", f"/issues/comments/{comment_id}", {"body": body})

    def reply(self, body: str) -> None:
        """Calls: POST /repos/{owner}/{repo}/issues/{issue_number}/comments"""
        self._send("POST", f"/issues/{self.pr_number}/comments", {"body": body})

    def create_report(self, body: str, retries: int) -> None:
        """The sticky comment when no report exists yet, so counts and the Commands log persist.

        Calls: POST /repos/{owner}/{repo}/issues/{issue_number}/comments (re-listing first on 5xx, see StickyComment)
        """
        try:
            self.sticky.create(body, retries)
        except GitHubCallError as err:
            raise _nexus(err) from None

    def repo_file(self, path: str) -> str | None:
        """A text file from the default branch (never the PR's code), or None when it does not exist.

        Calls: GET /repos/{owner}/{repo}/contents/{path}
        """
        try:
            data = self.api.get(f"{self.repo_path}/contents/{quote(path)}")
        except GitHubCallError as err:
            if err.failure.kind == "not-found":
                return None
            raise _nexus(err) from None
        if not isinstance(data, dict) or data.get("encoding") != "base64":
            return None
        return base64.b64decode(str(data.get("content") or "")).decode("utf-8", "replace")
