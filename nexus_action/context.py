"""RunContext: what happened and where, parsed once from the GITHUB_* variables and the event payload.

Pure: takes the environment as a plain mapping and the payload as an already-loaded object. The
file reading lives in `load_event` so the parser itself never touches the disk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nexus_action.errors import NexusError

SUPPORTED_EVENTS = (
    "workflow_run",
    "workflow_job",
    "check_run",
    "check_suite",
    "pull_request",
    "pull_request_target",
    "push",
    "issue_comment",
    "workflow_dispatch",
    "schedule",
)


@dataclass(frozen=True)
class CommentInfo:
    """The comment of an issue_comment event (slash commands)."""

    id: int
    body: str
    author: str
    author_is_bot: bool
    author_association: str
    issue_number: int
    on_pull_request: bool
    url: str


@dataclass(frozen=True)
class RunContext:
    event_name: str
    repository: str
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    action: str = ""
    run_id: int | None = None
    run_attempt: int = 1
    run_conclusion: str | None = None
    workflow: str = ""
    job: str = ""
    head_sha: str = ""
    head_branch: str = ""
    ref: str = ""
    default_branch: str = ""
    pr_numbers: tuple[int, ...] = ()
    is_fork: bool = False
    sender: str = ""
    sender_is_bot: bool = False
    head_commit_message: str = ""
    comment: CommentInfo | None = None
    # The raw payload, for the few consumers that need a field not lifted above.
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def repo_name(self) -> str:
        return self.repository.split("/", 1)[-1]

    @property
    def pr_number(self) -> int | None:
        return self.pr_numbers[0] if self.pr_numbers else None

    @property
    def repo_url(self) -> str:
        return f"{self.server_url}/{self.repository}"

    @property
    def run_url(self) -> str | None:
        if self.run_id is None:
            return None
        suffix = f"/attempts/{self.run_attempt}" if self.run_attempt > 1 else ""
        return f"{self.repo_url}/actions/runs/{self.run_id}{suffix}"

    @property
    def pr_url(self) -> str | None:
        return f"{self.repo_url}/pull/{self.pr_number}" if self.pr_number else None

    @property
    def checks_url(self) -> str | None:
        return f"{self.repo_url}/pull/{self.pr_number}/checks" if self.pr_number else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _pr_numbers(items: Any) -> tuple[int, ...]:
    numbers = (_int(_dict(item).get("number")) for item in (items if isinstance(items, list) else []))
    return tuple(n for n in numbers if n is not None)


def _is_bot(user: Mapping[str, Any]) -> bool:
    return _str(user.get("type")) == "Bot" or _str(user.get("login")).endswith("[bot]")


def _branch_from_ref(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ""


def _from_workflow_run(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    run = _dict(p.get("workflow_run"))
    if not run:
        raise _invalid("workflow_run", "workflow_run")
    head_repo = _dict(run.get("head_repository")).get("full_name")
    base.update(
        run_id=_int(run.get("id")),
        run_attempt=_int(run.get("run_attempt")) or 1,
        run_conclusion=run.get("conclusion") if isinstance(run.get("conclusion"), str) else None,
        workflow=_str(run.get("name")),
        head_sha=_str(run.get("head_sha")),
        head_branch=_str(run.get("head_branch")),
        pr_numbers=_pr_numbers(run.get("pull_requests")),
        # For fork PRs pull_requests is empty: the PR is resolved later from head_sha.
        is_fork=bool(head_repo) and head_repo != base["repository"],
        head_commit_message=_str(_dict(run.get("head_commit")).get("message")),
    )


def _from_workflow_job(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    job = _dict(p.get("workflow_job"))
    if not job:
        raise _invalid("workflow_job", "workflow_job")
    base.update(
        run_id=_int(job.get("run_id")),
        run_attempt=_int(job.get("run_attempt")) or 1,
        run_conclusion=job.get("conclusion") if isinstance(job.get("conclusion"), str) else None,
        workflow=_str(job.get("workflow_name")) or base["workflow"],
        job=_str(job.get("name")),
        head_sha=_str(job.get("head_sha")),
        head_branch=_str(job.get("head_branch")),
    )


def _from_check(p: Mapping[str, Any], base: dict[str, Any], key: str) -> None:
    check = _dict(p.get(key))
    if not check:
        raise _invalid(key, key)
    suite = _dict(check.get("check_suite")) if key == "check_run" else check
    base.update(
        run_conclusion=check.get("conclusion") if isinstance(check.get("conclusion"), str) else None,
        head_sha=_str(check.get("head_sha")),
        head_branch=_str(suite.get("head_branch")),
        pr_numbers=_pr_numbers(check.get("pull_requests")) or _pr_numbers(suite.get("pull_requests")),
        job=_str(check.get("name")) if key == "check_run" else base["job"],
    )


def _from_pull_request(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    pr = _dict(p.get("pull_request"))
    number = _int(pr.get("number")) or _int(p.get("number"))
    if number is None:
        raise _invalid(base["event_name"], "pull_request.number")
    head, pr_base = _dict(pr.get("head")), _dict(pr.get("base"))
    head_repo = _dict(head.get("repo")).get("full_name")
    base_repo = _dict(pr_base.get("repo")).get("full_name") or base["repository"]
    base.update(
        pr_numbers=(number,),
        head_sha=_str(head.get("sha")) or base["head_sha"],
        head_branch=_str(head.get("ref")) or base["head_branch"],
        # A deleted fork leaves head.repo null: treat it as a fork, the safe side.
        is_fork=head_repo != base_repo,
    )


def _from_push(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    ref = _str(p.get("ref")) or base["ref"]
    base.update(
        ref=ref,
        head_sha=_str(p.get("after")) or base["head_sha"],
        head_branch=_branch_from_ref(ref) or base["head_branch"],
        head_commit_message=_str(_dict(p.get("head_commit")).get("message")),
    )


def _from_issue_comment(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    issue, comment = _dict(p.get("issue")), _dict(p.get("comment"))
    number, comment_id = _int(issue.get("number")), _int(comment.get("id"))
    if number is None or comment_id is None:
        raise _invalid("issue_comment", "issue.number and comment.id")
    on_pr = bool(issue.get("pull_request"))
    user = _dict(comment.get("user"))
    base.update(
        pr_numbers=(number,) if on_pr else (),
        comment=CommentInfo(
            id=comment_id,
            body=_str(comment.get("body")),
            author=_str(user.get("login")),
            author_is_bot=_is_bot(user),
            author_association=_str(comment.get("author_association")),
            issue_number=number,
            on_pull_request=on_pr,
            url=_str(comment.get("html_url")),
        ),
    )


def _invalid(event: str, what: str) -> NexusError:
    return NexusError(
        "NEXUS-EVENT-INVALID",
        f"the {event} event payload has no {what}",
        "Pass the webhook payload GitHub delivered (GITHUB_EVENT_PATH or --event).",
    )


def parse_context(env: Mapping[str, str], payload: Mapping[str, Any]) -> RunContext:
    """Build a RunContext from GITHUB_* variables and the event payload (already loaded)."""
    event = env.get("GITHUB_EVENT_NAME", "").strip()
    if not event:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            "GITHUB_EVENT_NAME is not set",
            "Run inside GitHub Actions, or pass --event-name with --event.",
        )
    if event not in SUPPORTED_EVENTS:
        raise NexusError(
            "NEXUS-EVENT-UNSUPPORTED",
            f"event {event!r} is not handled",
            "Trigger the action on one of: " + ", ".join(SUPPORTED_EVENTS) + ".",
        )
    repo_obj = _dict(payload.get("repository"))
    repository = _str(repo_obj.get("full_name")) or env.get("GITHUB_REPOSITORY", "")
    if "/" not in repository:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"no repository: GITHUB_REPOSITORY is {env.get('GITHUB_REPOSITORY', '')!r} and the payload has none",
            "Set GITHUB_REPOSITORY to owner/name or pass --repo.",
        )
    ref = env.get("GITHUB_REF", "")
    sender = _dict(payload.get("sender"))
    base: dict[str, Any] = dict(  # noqa: C408 - keyword form reads like the dataclass
        event_name=event,
        action=_str(payload.get("action")),
        repository=repository,
        server_url=(env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
        api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        run_id=_int(env.get("GITHUB_RUN_ID")),
        run_attempt=_int(env.get("GITHUB_RUN_ATTEMPT")) or 1,
        workflow=env.get("GITHUB_WORKFLOW", ""),
        job=env.get("GITHUB_JOB", ""),
        head_sha=env.get("GITHUB_SHA", ""),
        head_branch=env.get("GITHUB_HEAD_REF", "") or _branch_from_ref(ref),
        ref=ref,
        default_branch=_str(repo_obj.get("default_branch")),
        sender=_str(sender.get("login")),
        sender_is_bot=_is_bot(sender),
        payload=payload,
    )
    if event == "workflow_run":
        _from_workflow_run(payload, base)
    elif event == "workflow_job":
        _from_workflow_job(payload, base)
    elif event in ("check_run", "check_suite"):
        _from_check(payload, base, event)
    elif event in ("pull_request", "pull_request_target"):
        _from_pull_request(payload, base)
    elif event == "push":
        _from_push(payload, base)
    elif event == "issue_comment":
        _from_issue_comment(payload, base)
    return RunContext(**base)


def load_event(path: str | Path | None) -> dict[str, Any]:
    """Read the event payload file. A missing or malformed file is a clear NEXUS-EVENT-INVALID."""
    if not path:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            "GITHUB_EVENT_PATH is not set and no --event file was given",
            "Run inside GitHub Actions, or pass --event path/to/event.json.",
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"cannot read event file {str(path)!r}: {exc}",
            "Check GITHUB_EVENT_PATH / --event.",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"event file {str(path)!r} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            "Pass the JSON webhook payload GitHub delivered.",
        ) from None
    if not isinstance(data, dict):
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"event file {str(path)!r} holds a {type(data).__name__}, not an object",
            "Pass the JSON webhook payload GitHub delivered.",
        )
    return data
