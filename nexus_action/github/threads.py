"""Where the report lives on GitHub: the sticky PR comment, and the fallback issue.

Both are found by listing (never the search API: it lags behind writes, so two runs would both miss a
fresh issue) and both only trust bodies written by our own identity: anyone can paste a marker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from nexus_action.github.answer import ignore, objects
from nexus_action.github.deadline import DeadlinePassed
from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.port import RestApi
from nexus_action.github.post import Post, oldest_first

MAX_COMMENT_PAGES = 30  # 3,000 comments: far beyond any PR a person still reads
MAX_ISSUE_PAGES = 5
ISSUE_TITLE = "NEXUS AutoFix report for PR #{number}"
LABEL_COLOR = "d73a4a"

IsReport = Callable[[str], bool]


class StickyComment:
    """The one PR comment NEXUS keeps up to date."""

    def __init__(self, api: RestApi, repository: str, pr_number: int, bot_login: str, is_report: IsReport) -> None:
        self.api = api
        self.repository = repository
        self.pr_number = pr_number
        self.bot_login = bot_login
        self.is_report = is_report

    def find_all(self) -> list[Post]:
        """Our report comments, oldest first.

        Calls: GET /repos/{owner}/{repo}/issues/{issue_number}/comments (paginated)
        """
        ours = []
        path = f"/repos/{self.repository}/issues/{self.pr_number}/comments"
        for page in self.api.pages(path, read=Post.list_from_api, max_pages=MAX_COMMENT_PAGES):
            ours += [post for post in page if post.author == self.bot_login and self.is_report(post.body)]
        return oldest_first(ours)

    def update(self, comment: Post, body: str) -> Post:
        """Calls: PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"""
        path = f"/repos/{self.repository}/issues/comments/{comment.id}"
        return self.api.send("PATCH", path, {"body": body}, read=Post.from_api)

    def delete(self, comment: Post) -> None:
        """Calls: DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}"""
        self.api.send("DELETE", f"/repos/{self.repository}/issues/comments/{comment.id}", read=ignore)

    def create(self, body: str, retries: int) -> Post:
        """Create the comment without ever posting it twice.

        A 5xx or timeout on POST can hide a write that happened, so before trying again we re-list and
        adopt our comment if it is there. Then, since another run may have created one at the same
        moment, we re-list once more: the oldest wins and ours is deleted (the winner gets our body).

        Calls: POST /repos/{owner}/{repo}/issues/{issue_number}/comments, then the listing above
        """
        path = f"/repos/{self.repository}/issues/{self.pr_number}/comments"
        for attempt in range(retries + 1):
            try:
                created = self.api.send("POST", path, {"body": body}, read=Post.from_api)
                break
            except GitHubCallError as err:
                if err.failure.kind != "unavailable":
                    raise
                found = self.find_all()
                if found:  # the write happened after all (or another run's did): never post a second one
                    return found[0] if found[0].body == body else self.update(found[0], body)
                if attempt == retries:
                    raise
                _pause(self.api, _backoff(attempt, self.api), f"POST {path}")
        return self.settle_duplicates(created, body)

    def settle_duplicates(self, created: Post, body: str) -> Post:
        """After a create: if another run created one too, the oldest wins and ours goes.

        Calls: the listing above; DELETE our newer comment; PATCH the oldest with our body
        """
        try:
            mine = self.find_all()
        except GitHubCallError:
            return created  # ours is posted; a concurrent run settling after us still keeps only the oldest
        if len(mine) <= 1 or mine[0].id == created.id:
            return created
        keeper = mine[0]
        if any(extra.id == created.id for extra in mine[1:]):
            self._retire(created, keeper)  # only ever our own creation: the other run owns its own
        try:
            return self.update(keeper, body)
        except GitHubCallError:
            return keeper  # the other run's report stands for this one

    def _retire(self, duplicate: Post, keeper: Post) -> None:
        try:
            self.delete(duplicate)
        except GitHubCallError:
            # Cannot delete: at least stop it being a second report (no marker, so never trusted or updated).
            with contextlib.suppress(GitHubCallError):
                self.update(duplicate, f"Superseded by the NEXUS AutoFix report above: {keeper.url}")


def _pause(api: RestApi, seconds: float, operation: str) -> None:
    """Wait between our own attempts, under the run's deadline (past it: a failure of the call, not a wait)."""
    try:
        api.ledger.sleep(seconds)
    except DeadlinePassed as exc:
        raise GitHubCallError(CallFailure(operation, None, "deadline", str(exc))) from None


def _backoff(attempt: int, api: RestApi) -> float:
    return round(min(30.0, 2.0**attempt) * (0.5 + 0.5 * api.ledger.random_fn()), 3)


class FallbackIssue:
    """The issue `NEXUS AutoFix report for PR #<N>`, found by listing issues with our label."""

    def __init__(self, api: RestApi, repository: str, pr_number: int, label: str, bot_login: str) -> None:
        self.api = api
        self.repository = repository
        self.pr_number = pr_number
        self.label = label
        self.bot_login = bot_login

    @property
    def title(self) -> str:
        return ISSUE_TITLE.format(number=self.pr_number)

    def find(self) -> Post | None:
        """Our issue for this PR (open first, then the oldest).

        Calls: GET /repos/{owner}/{repo}/issues?labels={label}&state=all (paginated)
        """
        listed = labelled_issues(self.api, self.repository, self.label)
        matches = oldest_first([p for p in listed if p.title == self.title and p.author == self.bot_login])
        return next((p for p in matches if p.state == "open"), matches[0] if matches else None)

    def ensure_label(self) -> None:
        ensure_label(
            self.api,
            self.repository,
            self.label,
            color=LABEL_COLOR,
            description="Reports kept by NEXUS AutoFix when it cannot comment on a PR",
        )

    def create(self, body: str) -> Post:
        """Create the issue; after a 5xx or timeout, look for it before giving up (the write may have happened).

        Calls: POST /repos/{owner}/{repo}/issues
        """
        self.ensure_label()
        fields = {"title": self.title, "body": body, "labels": [self.label]}
        try:
            return self.api.send("POST", f"/repos/{self.repository}/issues", fields, read=Post.from_api)
        except GitHubCallError as err:
            if err.failure.kind != "unavailable":
                raise
            found = self.find()
            if found is None:
                raise
            return self.update(found, body)

    def update(self, issue: Post, body: str, *, state: str | None = None) -> Post:
        """Calls: PATCH /repos/{owner}/{repo}/issues/{issue_number}"""
        change: dict[str, Any] = {"body": body}
        if state:
            change["state"] = state
            if state == "closed":
                change["state_reason"] = "completed"
        return self.api.send("PATCH", f"/repos/{self.repository}/issues/{issue.number}", change, read=Post.from_api)

    def comment(self, issue: Post, body: str) -> Post:
        """Calls: POST /repos/{owner}/{repo}/issues/{issue_number}/comments"""
        path = f"/repos/{self.repository}/issues/{issue.number}/comments"
        return self.api.send("POST", path, {"body": body}, read=Post.from_api)


__all__ = ["FallbackIssue", "Post", "StickyComment", "ensure_label", "oldest_first"]


def labelled_issues(api: RestApi, repository: str, label: str) -> Iterator[Post]:
    """Issues carrying our label, oldest first; listing by label, never search (search lags behind writes).

    Calls: GET /repos/{owner}/{repo}/issues?labels={label}&state=all (paginated, at most MAX_ISSUE_PAGES)
    """
    params = {"labels": label, "state": "all", "sort": "created", "direction": "asc"}
    for page in api.pages(f"/repos/{repository}/issues", params, read=issues_only, max_pages=MAX_ISSUE_PAGES):
        yield from page


def issues_only(data: Any) -> list[Post]:
    """A page of the issues endpoint without its pull requests (it lists both)."""
    return [Post.from_api(item) for item in objects(data, "the list of issues") if not item.get("pull_request")]


def ensure_label(api: RestApi, repository: str, name: str, *, color: str, description: str) -> None:
    """Create the label our issues are listed by, when the repository does not have it yet.

    Calls: GET /repos/{owner}/{repo}/labels/{name}; POST /repos/{owner}/{repo}/labels when missing
    """
    try:
        api.get(f"/repos/{repository}/labels/{name}", read=ignore)
    except GitHubCallError as err:
        if err.failure.kind != "not-found":
            raise
        label = {"name": name, "color": color, "description": description}
        api.send("POST", f"/repos/{repository}/labels", label, read=ignore)
