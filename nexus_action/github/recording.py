"""A dry run's GitHub: held in memory, answering like GitHub from what `--previous` says was there.

The dry run hands this to the same delivery chain a live run uses, so the sticky comment is found (or not)
by the same rules, the fallback issue and the webhook are chosen by the same decisions, and `plan.json`
lists the requests a live run would have made, in order, with the digest of each body. Nothing leaves
the machine. Reads of things a dry run cannot know (job logs, pull request files) answer as GitHub would
for an empty repository.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from nexus_action.errors import NexusError
from nexus_action.github.answer import BadAnswer
from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.ledger import CallLedger

T = TypeVar("T")
FIRST_COMMENT_ID = 1_000_001  # ids the dry run hands out; bodies from --previous keep theirs
FIRST_ISSUE_NUMBER = 9_001

# What each request is for, in the plan (first match wins).
_PURPOSES = (
    (r"GET /repos/[^/]+/[^/]+/issues/\d+/comments", "list the PR's comments to find our sticky comment"),
    (r"POST /repos/[^/]+/[^/]+/issues/\d+/comments", "create a comment"),
    (r"PATCH /repos/[^/]+/[^/]+/issues/comments/\d+", "update our sticky comment"),
    (r"DELETE /repos/[^/]+/[^/]+/issues/comments/\d+", "delete a duplicate of our comment"),
    (r"GET /repos/[^/]+/[^/]+/issues", "list our labelled issues (fallback issue, dashboard)"),
    (r"POST /repos/[^/]+/[^/]+/issues", "create an issue"),
    (r"PATCH /repos/[^/]+/[^/]+/issues/\d+", "update an issue"),
    (r"GET /repos/[^/]+/[^/]+/labels/.+", "check that our label exists"),
    (r"POST /repos/[^/]+/[^/]+/labels", "create our label"),
    (r"GET /repos/[^/]+/[^/]+/commits/[^/]+/pulls", "find the run's pull request by its head commit"),
    (r"GET /repos/[^/]+/[^/]+/pulls/\d+/files", "list the PR's changed files (a routing signal)"),
    (r"GET /repos/[^/]+/[^/]+/actions/runs/\d+/jobs", "list the run's failed jobs"),
    (r"GET /repos/[^/]+/[^/]+/actions/jobs/\d+/logs", "download a job log"),
    (r"GET /repos/[^/]+/[^/]+/check-runs/\d+/annotations", "read a job's annotations"),
)


def body_digest(body: Any) -> str:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def planned_request(method: str, path: str, purpose: str, status: int, body: Any) -> dict[str, Any]:
    """One line of `plan.json`: a request as a live run would send it, its body only as digest and size."""
    return {
        "method": method,
        "path": path,
        "purpose": purpose,
        "status": status,
        "body_sha256": body_digest(body) if body is not None else None,
        "body_chars": len(json.dumps(body)) if body is not None else 0,
    }


def _purpose(operation: str) -> str:
    return next((text for pattern, text in _PURPOSES if re.fullmatch(pattern, operation)), "")


@dataclass
class PreviousThreads:
    """What `--previous` says GitHub already holds: comments on the PR and labelled issues."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)


def read_previous(text: str | None, *, bot_login: str, pr_number: int | None) -> PreviousThreads:
    """`--previous` is either a body (markdown: taken as our bot's sticky comment on the PR), or GitHub's JSON:
    a comment list as `GET .../issues/{n}/comments` returns it, or `{"comments": [...], "issues": [...]}`.

    The JSON form lets a dry run show what happens when the earlier report was written by someone else.
    """
    if text is None:
        return PreviousThreads()
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, list):
            return PreviousThreads(comments=_objects(data, "--previous"))
        if isinstance(data, dict) and ("comments" in data or "issues" in data):
            return PreviousThreads(
                comments=_objects(data.get("comments") or [], "--previous comments"),
                issues=_objects(data.get("issues") or [], "--previous issues"),
            )
    comment = {
        "id": FIRST_COMMENT_ID - 1,
        "user": {"login": bot_login},
        "body": text,
        "created_at": "1970-01-01T00:00:00Z",
        "html_url": f"(previous comment on PR #{pr_number})",
    }
    return PreviousThreads(comments=[comment])


def _objects(items: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("id"), int) and isinstance(i.get("body", ""), str) for i in items
    ):
        raise NexusError(
            "NEXUS-INPUT-INVALID",
            f"{name} must be a list of objects, each with an integer id and a string body (as GitHub lists them)",
            "Save a comment list with `gh api repos/OWNER/REPO/issues/N/comments`, or pass a markdown body.",
        )
    return [dict(i) for i in items]


class RecordingGitHub:
    """Implements `port.RestApi` over in-memory comments and issues; every request lands in `requests`."""

    def __init__(self, repository: str, previous: PreviousThreads, *, pr_number: int | None, bot_login: str) -> None:
        self.repository = repository
        self.bot_login = bot_login  # what we write is written under our own identity
        self.ledger = CallLedger(sleep_fn=lambda _s: None, clock=lambda: 0.0, random_fn=lambda: 0.5)
        self.requests: list[dict[str, Any]] = []
        self._comments: dict[int, list[dict[str, Any]]] = {}
        if pr_number is not None:
            self._comments[pr_number] = [dict(c) for c in previous.comments]
        self._issues = [dict(i) for i in previous.issues]
        self._labels = {name for issue in self._issues for name in _label_names(issue)}
        self._next_comment = FIRST_COMMENT_ID
        self._next_issue = FIRST_ISSUE_NUMBER

    @property
    def api_calls(self) -> int:
        return self.ledger.requests

    def _record(self, verb: str, path: str, params: Mapping[str, Any] | None, body: Any, status: int) -> None:
        self.ledger.requests += 1
        query = f"?{urlencode(sorted(params.items()))}" if params else ""
        self.requests.append(planned_request(verb, path + query, _purpose(f"{verb} {path}"), status, body))

    def _missing(self, verb: str, path: str, params: Mapping[str, Any] | None = None) -> GitHubCallError:
        self._record(verb, path, params, None, 404)
        return GitHubCallError(CallFailure(f"{verb} {path}", 404, "not-found", "Not Found"))

    def _read(self, operation: str, read: Callable[[Any], T], data: Any) -> T:
        """The same checked reader the live door uses, so a `--previous` GitHub would refuse is refused here."""
        try:
            return read(data)
        except BadAnswer as exc:
            reason = f"GitHub's answer was not usable: {exc}"
            raise GitHubCallError(CallFailure(operation, 200, "bad-answer", reason)) from None

    # --- reads ---------------------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None, *, read: Callable[[Any], T]) -> T:
        return self._read(f"GET {path}", read, self._get(path, params))

    def _get(self, path: str, params: dict[str, Any] | None) -> Any:
        rest = self._local(path)
        if re.fullmatch(r"commits/[^/]+/pulls", rest) or re.fullmatch(r"check-runs/\d+/annotations", rest):
            self._record("GET", path, params, None, 200)
            return []
        if (label := re.fullmatch(r"labels/(.+)", rest)) and label[1] in self._labels:
            self._record("GET", path, params, None, 200)
            return {"name": label[1]}
        raise self._missing("GET", path, params)

    def pages(
        self, path: str, params: dict[str, Any] | None = None, *, read: Callable[[Any], T], max_pages: int = 10
    ) -> Iterator[T]:
        for page in self._pages(path, params):
            yield self._read(f"GET {path}", read, page)

    def _pages(self, path: str, params: dict[str, Any] | None) -> Iterator[Any]:
        rest = self._local(path)
        if found := re.fullmatch(r"issues/(\d+)/comments", rest):
            self._record("GET", path, params, None, 200)
            yield [dict(c) for c in self._comments.get(int(found[1]), [])]
        elif rest == "issues":
            self._record("GET", path, params, None, 200)
            label = str((params or {}).get("labels") or "")
            yield [dict(i) for i in self._issues if not label or label in _label_names(i)]
        elif re.fullmatch(r"actions/runs/\d+/jobs", rest):
            self._record("GET", path, params, None, 200)
            yield {"total_count": 0, "jobs": []}
        elif re.fullmatch(r"pulls/\d+/files", rest):
            self._record("GET", path, params, None, 200)
            yield []
        else:
            raise self._missing("GET", path, params)

    def download(self, path: str) -> bytes:
        raise self._missing("GET", path)

    def download_to(self, path: str, dest: Path, *, max_bytes: int = 0) -> int:
        raise self._missing("GET", path)

    # --- writes --------------------------------------------------------------------------------------------

    def send(self, verb: str, path: str, body: dict[str, Any] | None = None, *, read: Callable[[Any], T]) -> T:
        return self._read(f"{verb} {path}", read, self._send(verb, path, body))

    def _send(self, verb: str, path: str, body: dict[str, Any] | None) -> Any:
        rest = self._local(path)
        if verb == "POST" and (found := re.fullmatch(r"issues/(\d+)/comments", rest)):
            return self._created(verb, path, body, self._new_comment(int(found[1]), body))
        if (found := re.fullmatch(r"issues/comments/(\d+)", rest)) and verb in ("PATCH", "DELETE"):
            for thread in self._comments.values():
                for index, comment in enumerate(thread):
                    if comment["id"] == int(found[1]):
                        self._record(verb, path, None, body, 200 if verb == "PATCH" else 204)
                        if verb == "DELETE":
                            del thread[index]
                            return None
                        comment.update(body or {})
                        return dict(comment)
            raise self._missing(verb, path)
        if verb == "POST" and rest == "issues":
            return self._created(verb, path, body, self._new_issue(body or {}))
        if verb == "PATCH" and (found := re.fullmatch(r"issues/(\d+)", rest)):
            for issue in self._issues:
                if issue.get("number") == int(found[1]):
                    issue.update(body or {})
                    self._record(verb, path, None, body, 200)
                    return dict(issue)
            raise self._missing(verb, path)
        if verb == "POST" and rest == "labels":
            self._labels.add(str((body or {}).get("name") or ""))
            self._record(verb, path, None, body, 201)
            return dict(body or {})
        raise self._missing(verb, path)

    def _created(self, verb: str, path: str, body: Any, item: dict[str, Any]) -> dict[str, Any]:
        self._record(verb, path, None, body, 201)
        return dict(item)

    def _new_comment(self, number: int, body: dict[str, Any] | None) -> dict[str, Any]:
        comment_id, self._next_comment = self._next_comment, self._next_comment + 1
        comment = {
            "id": comment_id,
            "user": {"login": self.bot_login},
            "body": str((body or {}).get("body") or ""),
            "created_at": "9999-12-31T23:59:59Z",
            "html_url": f"(new comment on #{number})",
        }
        self._comments.setdefault(number, []).append(comment)
        return comment

    def _new_issue(self, body: dict[str, Any]) -> dict[str, Any]:
        number, self._next_issue = self._next_issue, self._next_issue + 1
        issue = {
            "id": number,
            "number": number,
            "user": {"login": self.bot_login},
            "title": str(body.get("title") or ""),
            "body": str(body.get("body") or ""),
            "labels": [{"name": str(n)} for n in body.get("labels") or ()],
            "state": "open",
            "created_at": "9999-12-31T23:59:59Z",
            "html_url": f"(new issue #{number})",
        }
        self._issues.append(issue)
        return issue

    def _local(self, path: str) -> str:
        prefix = f"/repos/{self.repository}/"
        return path[len(prefix) :] if path.startswith(prefix) else path


def _label_names(issue: Mapping[str, Any]) -> set[str]:
    return {str(x.get("name") if isinstance(x, dict) else x) for x in issue.get("labels") or ()}
