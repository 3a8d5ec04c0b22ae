"""The GitHub REST calls slash commands make, through the shared client (`nexus_action.github.client`).

Each method is one endpoint (named in its docstring). GitHub's refusals become NexusError with the client's
stable codes, so the command logic can fail one command and carry on with the next.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from nexus_action.commands.execute import RunRef
from nexus_action.commands.plan import Published, Render
from nexus_action.errors import NexusError
from nexus_action.github.answer import (
    BadAnswer,
    as_object,
    field_int,
    field_list,
    field_obj,
    field_str,
    ignore,
    objects,
)
from nexus_action.github.client import GitHubApi
from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.threads import Post, StickyComment, converge
from nexus_action.report import is_report_body
from nexus_action.report.derive import merged_body, same_state

MAX_RUN_PAGES = 3  # 300 failed runs of one commit is far more than any PR has
T = TypeVar("T")


def _nexus(err: GitHubCallError) -> NexusError:
    failure = err.failure
    code = failure.code if failure.code != "NEXUS-DELIVERY-FAILED" else "NEXUS-COMMAND-REFUSED"
    status = failure.status if failure.status is not None else "no answer"
    return NexusError(code, f"{failure.operation} answered {status}: {failure.reason}")


class GitHubCommandOps:
    """Reads and writes for one pull request's commands."""

    def __init__(self, api: GitHubApi, repository: str, pr_number: int, bot_login: str, retries: int = 2) -> None:
        self.api = api
        self.repository = repository
        self.pr_number = pr_number
        self.repo_path = f"/repos/{repository}"
        self.sticky = StickyComment(api, repository, pr_number, bot_login, is_report_body)
        self.retries = retries

    def _get(self, path: str, read: Callable[[Any], T]) -> T:
        try:
            return self.api.get(self.repo_path + path, read=read)
        except GitHubCallError as err:
            raise _nexus(err) from None

    def _send(self, verb: str, path: str, body: dict[str, Any] | None = None) -> None:
        try:
            self.api.send(verb, self.repo_path + path, body, read=ignore)
        except GitHubCallError as err:
            raise _nexus(err) from None

    # ---- reads ------------------------------------------------------------------------------------

    def permission(self, user: str) -> tuple[str, str | None]:
        """(permission, role_name). Calls: GET /repos/{owner}/{repo}/collaborators/{username}/permission"""
        try:
            path = f"{self.repo_path}/collaborators/{quote(user, safe='')}/permission"
            return self.api.get(path, read=_read_permission)
        except GitHubCallError as err:
            if err.failure.kind == "not-found":
                return "none", None  # not a collaborator, or a login GitHub does not know
            raise _nexus(err) from None

    def head_sha(self, pr_number: int) -> str:
        """The PR's current head commit. Calls: GET /repos/{owner}/{repo}/pulls/{pull_number}"""
        sha = self._get(f"/pulls/{pr_number}", _read_head_sha)
        if not sha:
            raise _nexus(GitHubCallError(_bad(f"GET {self.repo_path}/pulls/{pr_number}", "the pull has no head.sha")))
        return sha

    def failed_runs(self, head_sha: str) -> Sequence[RunRef]:
        """Failed runs of exactly this commit.

        Calls: GET /repos/{owner}/{repo}/actions/runs?head_sha={sha}&status=failure (paginated)
        """
        runs: list[RunRef] = []
        try:
            query = {"head_sha": head_sha, "status": "failure"}
            path = f"{self.repo_path}/actions/runs"
            for page in self.api.pages(path, query, read=_read_runs, max_pages=MAX_RUN_PAGES):
                runs += [ref for ref, sha in page if sha == head_sha]
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

    def publish(self, render: Render) -> Published:
        """Merge our change into the sticky report and re-read until it settled (see `threads.converge`).

        Calls: the comment listing (GET, again after each write); PATCH, POST or DELETE of our comments
        """
        try:
            done = converge(
                self.sticky,
                render,
                combine=merged_body,
                same=same_state,
                create=lambda body: self.sticky.create(body, self.retries),
                api=self.api,
            )
        except GitHubCallError as err:
            raise _nexus(err) from None
        body = done.post.body if done.post and done.body is None else done.body
        return Published(body, tuple(self.sticky.listing))

    def repo_file(self, path: str) -> str | None:
        """A text file from the default branch (never the PR's code), or None when it does not exist.

        Calls: GET /repos/{owner}/{repo}/contents/{path}
        """
        try:
            return self.api.get(f"{self.repo_path}/contents/{quote(path)}", read=_read_file)
        except GitHubCallError as err:
            if err.failure.kind == "not-found":
                return None
            raise _nexus(err) from None


def _bad(operation: str, reason: str) -> CallFailure:
    return CallFailure(operation, None, "bad-answer", reason)


def _read_permission(data: Any) -> tuple[str, str | None]:
    obj = as_object(data, "the permission")
    return field_str(obj, "permission") or "none", field_str(obj, "role_name") or None


def _read_head_sha(data: Any) -> str:
    return field_str(field_obj(as_object(data, "the pull request"), "head"), "sha")


def _read_runs(data: Any) -> list[tuple[RunRef, str]]:
    """Each listed run as a RunRef, with its head SHA."""
    runs = objects(field_list(as_object(data, "the list of runs"), "workflow_runs"), "the runs")
    return [
        (RunRef(field_int(r, "id"), field_str(r, "name"), field_str(r, "html_url")), field_str(r, "head_sha"))
        for r in runs
    ]


def _read_file(data: Any) -> str | None:
    """A contents answer's text; None for a folder, a symlink or a file GitHub does not send as base64."""
    if not isinstance(data, dict) or data.get("encoding") != "base64":
        return None
    try:
        raw = base64.b64decode(field_str(data, "content"))
    except (binascii.Error, ValueError):
        raise BadAnswer("the file's content is not base64") from None
    return raw.decode("utf-8", "replace")
