"""`--dry-run` for slash commands: every request that would be made, written to plan.json instead.

`PlannedOps` passes reads to a real client when there is a token, and otherwise answers them from what is
known offline (the event, the `--previous` report body), saying so in the plan. Writes are only recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from nexus_action.commands.execute import RunRef
from nexus_action.github.post import Post
from nexus_action.report.model import Snapshot

Render = Callable[[str | None], str | None]  # the report body as it stands -> the body to write


@dataclass(frozen=True)
class Published:
    """The report body once our change settled in it, and the PR's comments as last listed (for claims)."""

    body: str | None
    listing: tuple[Post, ...] = ()


# What GitHub's author_association suggests, for a dry run on a laptop without a token. A real run
# always asks the collaborator permission endpoint.
ASSOCIATION_PERMISSION = {"OWNER": "admin", "MEMBER": "write", "COLLABORATOR": "write"}


class CommentOps(Protocol):
    """Everything one slash-command comment needs from GitHub (GitHubCommandOps implements it)."""

    def permission(self, user: str) -> tuple[str, str | None]: ...

    def head_sha(self, pr_number: int) -> str: ...

    def failed_runs(self, head_sha: str) -> Sequence[RunRef]: ...

    def report_comment(self) -> Post | None: ...

    def repo_file(self, path: str) -> str | None: ...

    def react(self, comment_id: int, content: str) -> None: ...

    def rerun_failed_jobs(self, run_id: int) -> None: ...

    def dispatch(self, event_type: str, client_payload: Mapping[str, Any]) -> None: ...

    def update_comment(self, comment_id: int, body: str) -> None: ...

    def create_report(self, body: str, retries: int) -> None: ...

    def publish(self, render: Render) -> Published: ...

    def reply(self, body: str) -> None: ...


@dataclass
class OfflineReads:
    """Reads answered without GitHub: the comment's author_association, the previous report body."""

    repository: str
    pr_number: int
    author_association: str
    previous_body: str | None
    snapshot: Snapshot | None

    def permission(self, user: str) -> tuple[str, str | None]:
        return ASSOCIATION_PERMISSION.get(self.author_association.upper(), "read"), None

    def head_sha(self, pr_number: int) -> str:
        return self.snapshot.head_sha if self.snapshot else ""

    def failed_runs(self, head_sha: str) -> Sequence[RunRef]:
        snap = self.snapshot
        if snap and snap.run_id and snap.failed and snap.head_sha == head_sha:
            return [RunRef(snap.run_id, snap.workflow, snap.run_url or "")]
        return []

    def report_comment(self) -> Post | None:
        if not self.previous_body:
            return None
        return Post(id=0, number=None, author="", body=self.previous_body, created_at="", url="")

    def repo_file(self, path: str) -> str | None:
        return None


@dataclass
class PlannedOps:
    """Records writes (and reads) as the requests they would be; performs only the reads."""

    reads: Any  # GitHubCommandOps or OfflineReads
    repository: str
    pr_number: int
    offline: bool
    requests: list[dict[str, Any]] = field(default_factory=list)

    def _note(self, method: str, path: str, body: Any = None, **extra: Any) -> None:
        entry: dict[str, Any] = {"method": method, "path": f"/repos/{self.repository}{path}"}
        if body is not None:
            entry["body"] = body
        entry.update(extra)
        self.requests.append(entry)

    def _read(self, path: str, value: Any) -> Any:
        self._note("GET", path, source="assumed offline" if self.offline else "github")
        return value

    def permission(self, user: str) -> tuple[str, str | None]:
        return self._read(f"/collaborators/{user}/permission", self.reads.permission(user))  # type: ignore[no-any-return]

    def head_sha(self, pr_number: int) -> str:
        return str(self._read(f"/pulls/{pr_number}", self.reads.head_sha(pr_number)))

    def failed_runs(self, head_sha: str) -> Sequence[RunRef]:
        runs = self.reads.failed_runs(head_sha)
        return self._read(f"/actions/runs?head_sha={head_sha}&status=failure", runs)  # type: ignore[no-any-return]

    def report_comment(self) -> Post | None:
        return self._read(f"/issues/{self.pr_number}/comments", self.reads.report_comment())  # type: ignore[no-any-return]

    def repo_file(self, path: str) -> str | None:
        return self._read(f"/contents/{path}", self.reads.repo_file(path))  # type: ignore[no-any-return]

    def react(self, comment_id: int, content: str) -> None:
        self._note("POST", f"/issues/comments/{comment_id}/reactions", {"content": content})

    def rerun_failed_jobs(self, run_id: int) -> None:
        self._note("POST", f"/actions/runs/{run_id}/rerun-failed-jobs")

    def dispatch(self, event_type: str, client_payload: Mapping[str, Any]) -> None:
        self._note("POST", "/dispatches", {"event_type": event_type, "client_payload": dict(client_payload)})

    def update_comment(self, comment_id: int, body: str) -> None:
        self._note("PATCH", f"/issues/comments/{comment_id}", {"body": body})

    def create_report(self, body: str, retries: int) -> None:
        self._note("POST", f"/issues/{self.pr_number}/comments", {"body": body})

    def publish(self, render: Render) -> Published:
        """The write a live run would converge on: PATCH our comment, or POST it when there is none."""
        found = self.report_comment()
        body = render(found.body if found else None)
        if body is not None:
            if found is None:
                self.create_report(body, 0)
            else:
                self.update_comment(found.id, body)
        return Published(body)

    def reply(self, body: str) -> None:
        self._note("POST", f"/issues/{self.pr_number}/comments", {"body": body})
