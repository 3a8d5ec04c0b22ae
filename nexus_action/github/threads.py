"""Where the report lives on GitHub: the sticky PR comment, and the fallback issue.

Both are found by listing (never the search API: it lags behind writes, so two runs would both miss a
fresh issue) and both only trust bodies written by our own identity: anyone can paste a marker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from nexus_action.github.answer import ignore, objects
from nexus_action.github.deadline import DeadlinePassed
from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.port import RestApi
from nexus_action.github.post import Post, oldest_first

MAX_COMMENT_PAGES = 30  # 3,000 comments: far beyond any PR a person still reads
MAX_ISSUE_PAGES = 5
ISSUE_TITLE = "NEXUS AutoFix report for PR #{number}"
LABEL_COLOR = "d73a4a"
CONVERGE_ROUNDS = 5  # write-and-re-read rounds before giving up on a body that keeps changing
SETTLE_MIN = 0.3  # seconds before the re-read that follows a write
SETTLE_MAX = 3.0

IsReport = Callable[[str], bool]


class StickyComment:
    """The one PR comment NEXUS keeps up to date."""

    def __init__(self, api: RestApi, repository: str, pr_number: int, bot_login: str, is_report: IsReport) -> None:
        self.api = api
        self.repository = repository
        self.pr_number = pr_number
        self.bot_login = bot_login
        self.is_report = is_report
        self.listing: list[Post] = []  # every comment of the PR as last listed (slash commands read them)

    def find_all(self) -> list[Post]:
        """Our report comments, oldest first.

        Calls: GET /repos/{owner}/{repo}/issues/{issue_number}/comments (paginated)
        """
        ours = []
        self.listing = []
        path = f"/repos/{self.repository}/issues/{self.pr_number}/comments"
        for page in self.api.pages(path, read=Post.list_from_api, max_pages=MAX_COMMENT_PAGES):
            self.listing += page
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
        adopt our comment if it is there (`converge` then merges into it and settles duplicates).

        Calls: POST /repos/{owner}/{repo}/issues/{issue_number}/comments; the listing above after a 5xx
        """
        path = f"/repos/{self.repository}/issues/{self.pr_number}/comments"
        for attempt in range(retries + 1):
            try:
                return self.api.send("POST", path, {"body": body}, read=Post.from_api)
            except GitHubCallError as err:
                if err.failure.kind != "unavailable":
                    raise
                found = self.find_all()
                if found:  # the write happened after all (or another run's did): never post a second one
                    return found[0]
                if attempt == retries:
                    raise
                _pause(self.api, _backoff(attempt, self.api), f"POST {path}")
        raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover

    def write(self, comment: Post, body: str) -> Post:
        return self.update(comment, body)

    def retire(self, duplicate: Post, keeper: Post) -> None:
        """A second report comment goes (its state was merged into the keeper first).

        Calls: DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}; PATCH it when it cannot be deleted
        """
        try:
            self.delete(duplicate)
        except GitHubCallError as err:
            if err.failure.kind == "not-found":
                return  # another writer retired it already
            # Cannot delete: at least stop it being a second report (no marker, so never trusted or updated).
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
        """Our issue for this PR (the oldest open one, else the oldest).

        Calls: GET /repos/{owner}/{repo}/issues?labels={label}&state=all (paginated)
        """
        found = self.find_all()
        return found[0] if found else None

    def find_all(self) -> list[Post]:
        """Our issues for this PR: the canonical one first (the oldest open, else the oldest closed), then the
        other open ones (duplicates left by concurrent runs). Closed duplicates are history, not listed.

        Calls: GET /repos/{owner}/{repo}/issues?labels={label}&state=all (paginated)
        """
        listed = labelled_issues(self.api, self.repository, self.label)
        matches = oldest_first([p for p in listed if p.title == self.title and p.author == self.bot_login])
        opened = [p for p in matches if p.state == "open"]
        return opened if opened else matches[:1]

    def write(self, issue: Post, body: str) -> Post:
        """The body, reopening the issue when it was closed (a write happens only for a failing run)."""
        return self.update(issue, body, state="open" if issue.state == "closed" else None)

    def retire(self, duplicate: Post, keeper: Post) -> None:
        """Close a duplicate with a link to the keeper (its state was merged into the keeper first); the new title
        keeps it from being taken for this PR's report again.

        Calls: PATCH /repos/{owner}/{repo}/issues/{issue_number}
        """
        change = {
            "title": f"{self.title} (duplicate of #{keeper.number})",
            "body": f"Duplicate: NEXUS AutoFix keeps this PR's report in #{keeper.number} ({keeper.url}).",
            "state": "closed",
            "state_reason": "not_planned",
        }
        self.api.send("PATCH", f"/repos/{self.repository}/issues/{duplicate.number}", change, read=ignore)

    def ensure_label(self) -> None:
        ensure_label(
            self.api,
            self.repository,
            self.label,
            color=LABEL_COLOR,
            description="Reports kept by NEXUS AutoFix when it cannot comment on a PR",
        )

    def create(self, body: str) -> Post:
        """Create the issue (and our label, when missing). After a 5xx or timeout, look for it before giving up
        (the write may have happened). Duplicates from concurrent runs are settled by `converge`, which re-lists
        after every write.

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
            return found

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


__all__ = ["Converged", "FallbackIssue", "Post", "StickyComment", "Thread", "converge", "ensure_label", "oldest_first"]


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


class Thread(Protocol):
    """A place that holds one report: the sticky comment, the fallback issue, the dashboard issue."""

    def find_all(self) -> list[Post]: ...  # ours, the canonical one first

    def write(self, post: Post, body: str) -> Post: ...

    def retire(self, duplicate: Post, keeper: Post) -> None: ...


@dataclass
class Converged:
    """Where the report ended up, and what it took."""

    post: Post | None
    body: str | None  # the body we last wrote or found settled
    rounds: int = 0
    writes: int = 0
    retired: list[Post] = field(default_factory=list)
    created: bool = False  # the post was created by this writer
    settled: bool = True  # False: still changing after the last round (another writer kept writing)


def converge(
    thread: Thread,
    render: Callable[[str | None], str | None],
    *,
    combine: Callable[[list[str]], str | None],
    same: Callable[[str, str], bool],
    create: Callable[[str], Post],
    api: RestApi,
    rounds: int = CONVERGE_ROUNDS,
    listed: Sequence[Post] | None = None,
) -> Converged:
    """Read, merge, write, re-read until the body holds our update and no duplicate is left.

    `render(previous)` is the body with our update merged into `previous` (the merged state of every copy we
    found; None: nothing to write); `combine` merges the states of several bodies into one; `same` says two
    bodies hold the same state. GitHub has no compare-and-swap, so after writing we wait a little (long enough
    for a writer that read before our write to land its own) and re-read: a changed body is merged again.
    Among duplicates the oldest is canonical; the others' state is merged into it, then they are retired.

    `listed`: the thread as listed earlier (before the jobs were gathered), taken for the first listing where
    acting on it cannot undo another writer's update: to find that nothing needs writing, or to create the first
    post (a duplicate created meanwhile is merged and retired after the re-read). Before overwriting or retiring
    a post the thread is listed again: that listing is seconds or minutes old, far longer than the pause other
    writers wait before re-reading, so a PATCH from it could drop what another writer wrote since.

    Calls: the thread's listing (1 GET unless `listed` stands, once more after every round that wrote), its
    PATCH/POST/DELETE
    """
    posts = list(listed) if listed is not None else thread.find_all()
    earlier = listed is not None
    result = Converged(None, None)
    for result.rounds in range(1, rounds + 1):
        started = api.ledger.clock()
        wanted = render(combine([p.body for p in posts]))
        if earlier and wanted is not None and _would_change(posts, wanted, same):
            posts = thread.find_all()
            started = api.ledger.clock()
            wanted = render(combine([p.body for p in posts]))
        earlier = False
        keeper = posts[0] if posts else None
        result.post, result.body = keeper, wanted
        if wanted is None:
            return result
        try:
            keeper, wrote = _write_round(thread, posts, wanted, same=same, create=create, result=result)
        except GitHubCallError:
            if not result.writes:
                raise
            # Our body is already on GitHub (in a copy that is not the canonical one): the report is delivered,
            # and the next writer that lists both merges them.
            result.settled = False
            return result
        result.post = keeper
        if not wrote:
            return result
        result.writes += 1
        api.ledger.settle(_settle(api, api.ledger.clock() - started))
        posts = thread.find_all()
        if len(posts) == 1 and posts[0].id == keeper.id and same(posts[0].body, wanted):
            result.post = posts[0]
            return result
    result.settled = False
    return result


def _would_change(posts: Sequence[Post], wanted: str, same: Callable[[str, str], bool]) -> bool:
    """Whether writing `wanted` would overwrite or retire a post listed (creating the first one changes none)."""
    return len(posts) > 1 or (len(posts) == 1 and not same(posts[0].body, wanted))


def _write_round(
    thread: Thread,
    posts: list[Post],
    wanted: str,
    *,
    same: Callable[[str, str], bool],
    create: Callable[[str], Post],
    result: Converged,
) -> tuple[Post, bool]:
    """One round's writes: the keeper (created when there is none), then the retired duplicates."""
    keeper = posts[0] if posts else None
    wrote = False
    if keeper is None:
        keeper = create(wanted)
        result.created = wrote = True
    elif not same(keeper.body, wanted):
        keeper = thread.write(keeper, wanted)
        wrote = True
    result.post = keeper
    for extra in posts[1:]:
        if extra.id != keeper.id:
            thread.retire(extra, keeper)
            result.retired.append(extra)
            wrote = True
    return keeper, wrote


def _settle(api: RestApi, took: float) -> float:
    """How long to wait before the re-read: a few times what our own read-render-write took (a concurrent
    writer that read before our write lands within about that), jittered so writers do not re-read in step."""
    base = min(SETTLE_MAX, max(SETTLE_MIN, 3.0 * max(0.0, took)))
    return round(base * (0.5 + api.ledger.random_fn()), 3)
