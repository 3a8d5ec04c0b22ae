"""RunContext: what happened and where, parsed once from the GITHUB_* variables and the event payload.

Pure: takes the environment as a plain mapping and the payload as an already-loaded object. The
file reading lives in `event_file.load_event` (re-exported here) so the parser never touches the disk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from nexus_action.errors import NexusError
from nexus_action.runner.event_file import guess_event_name, load_event

__all__ = [
    "NULL_SHA",
    "SUPPORTED_EVENTS",
    "CommentInfo",
    "RunContext",
    "guess_event_name",
    "load_event",
    "parse_context",
    "with_overrides",
]

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
    # Not in the issue's list, but a nightly run with no PR is what the dashboard issue is for.
    "schedule",
    # Accepted so that the loop guard can end a run started by our own `nexus-autofix` dispatch quietly
    # (exit 0, reason in the summary) instead of failing it as an unsupported event.
    "repository_dispatch",
)
# A deleted branch or tag arrives as this "after" SHA: there is no head commit to report on.
NULL_SHA = "0" * 40


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
    # Full name of the repository the head commit lives in: a fork's for fork PRs (PR resolution by head_sha).
    head_repository: str = ""
    base_branch: str = ""
    job_id: int | None = None
    # Web page of what triggered us when the payload names one (the run, job, check run or PR).
    html_url: str = ""
    # workflow_dispatch inputs, as strings (GitHub sends booleans and numbers as strings too).
    inputs: Mapping[str, str] = field(default_factory=dict)
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


# GitHub's ids are 64-bit. A longer number is not an id: refused rather than put into URLs and reports.
MAX_ID = 2**63 - 1
MAX_ID_DIGITS = len(str(MAX_ID))


def _int(value: Any, name: str = "a number") -> int | None:
    """A positive id or count: None when absent, null or empty; NEXUS-EVENT-INVALID when present but not one
    (a boolean, a fraction, text, a negative number or a number beyond 64 bits)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        digits = value.strip()
        if len(digits) <= MAX_ID_DIGITS and int(digits) <= MAX_ID:
            return int(digits)
    elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    raise NexusError(
        "NEXUS-EVENT-INVALID",
        f"{name} must be a whole number from 0 to 2^63-1; got {_shown(value)}",
        "Pass the webhook payload GitHub delivered (GITHUB_EVENT_PATH or --event).",
    )


def _env_int(value: str | None) -> int | None:
    """A GITHUB_* number: the runner sets these, so anything else is left unset rather than refused."""
    try:
        return _int(value)
    except NexusError:
        return None


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a number of {value.bit_length()} bits"
    text = repr(value) if isinstance(value, str | bool | float | int) else f"a {type(value).__name__}"
    return text if len(text) <= 40 else f"{text[:39]}… ({len(text):,} characters)"


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _pr_numbers(items: Any) -> tuple[int, ...]:
    listed = items if isinstance(items, list) else []
    numbers = (_int(_dict(item).get("number"), "pull_requests[].number") for item in listed)
    return tuple(n for n in numbers if n is not None)


def _is_bot(user: Mapping[str, Any]) -> bool:
    return _str(user.get("type")) == "Bot" or _str(user.get("login")).endswith("[bot]")


def _branch_from_ref(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ""


def _sha(value: Any) -> str:
    sha = _str(value)
    return "" if sha == NULL_SHA else sha


def _conclusion(obj: Mapping[str, Any]) -> str | None:
    value = obj.get("conclusion")
    return value if isinstance(value, str) and value else None


def _from_workflow_run(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    run = _dict(p.get("workflow_run"))
    if not run:
        raise _invalid("workflow_run", "workflow_run")
    head_repo = _str(_dict(run.get("head_repository")).get("full_name"))
    run_repo = _str(_dict(run.get("repository")).get("full_name")) or base["repository"]
    base.update(
        # The run we report on is the one that triggered us, not this reporting workflow's own run.
        run_id=_int(run.get("id"), "workflow_run.id"),
        run_attempt=_int(run.get("run_attempt"), "workflow_run.run_attempt") or 1,
        run_conclusion=_conclusion(run),
        workflow=_str(run.get("name")) or _str(_dict(p.get("workflow")).get("name")) or base["workflow"],
        head_sha=_sha(run.get("head_sha")) or base["head_sha"],
        head_branch=_str(run.get("head_branch")),
        # For fork PRs pull_requests is empty: the PR is resolved later from head_sha.
        pr_numbers=_pr_numbers(run.get("pull_requests")),
        is_fork=bool(head_repo) and head_repo != run_repo,
        head_repository=head_repo or run_repo,
        head_commit_message=_str(_dict(run.get("head_commit")).get("message")),
        html_url=_str(run.get("html_url")),
    )


def _from_workflow_job(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    job = _dict(p.get("workflow_job"))
    if not job:
        raise _invalid("workflow_job", "workflow_job")
    base.update(
        run_id=_int(job.get("run_id"), "workflow_job.run_id") or base["run_id"],
        run_attempt=_int(job.get("run_attempt"), "workflow_job.run_attempt") or base["run_attempt"],
        run_conclusion=_conclusion(job),
        workflow=_str(job.get("workflow_name")) or base["workflow"],
        job=_str(job.get("name")) or base["job"],
        job_id=_int(job.get("id"), "workflow_job.id"),
        head_sha=_sha(job.get("head_sha")) or base["head_sha"],
        head_branch=_str(job.get("head_branch")) or base["head_branch"],
        html_url=_str(job.get("html_url")),
    )


def _from_check(p: Mapping[str, Any], base: dict[str, Any], key: str) -> None:
    check = _dict(p.get(key))
    if not check:
        raise _invalid(key, key)
    suite = _dict(check.get("check_suite")) if key == "check_run" else check
    prs = check.get("pull_requests") if isinstance(check.get("pull_requests"), list) else suite.get("pull_requests")
    base.update(
        run_conclusion=_conclusion(check),
        head_sha=_sha(check.get("head_sha")) or base["head_sha"],
        head_branch=_str(suite.get("head_branch")) or base["head_branch"],
        pr_numbers=_pr_numbers(prs),
        # These PR stubs carry repo ids only; GitHub leaves fork PRs out of the list altogether.
        is_fork=any(_repo_id(pr, "head") != _repo_id(pr, "base") for pr in (prs if isinstance(prs, list) else [])),
        job=_str(check.get("name")) if key == "check_run" else base["job"],
        html_url=_str(check.get("html_url")),
    )


def _repo_id(pr: Any, side: str) -> int | None:
    return _int(_dict(_dict(_dict(pr).get(side)).get("repo")).get("id"), f"pull_requests[].{side}.repo.id")


def _from_pull_request(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    pr = _dict(p.get("pull_request"))
    number = _int(pr.get("number"), "pull_request.number") or _int(p.get("number"), "number")
    if number is None:
        raise _invalid(base["event_name"], "pull_request.number")
    head, pr_base = _dict(pr.get("head")), _dict(pr.get("base"))
    head_repo = _str(_dict(head.get("repo")).get("full_name"))
    base_repo = _str(_dict(pr_base.get("repo")).get("full_name")) or base["repository"]
    base.update(
        pr_numbers=(number,),
        # GITHUB_SHA is the test merge commit on pull_request; the PR's head is what the report is about.
        head_sha=_sha(head.get("sha")) or base["head_sha"],
        head_branch=_str(head.get("ref")) or base["head_branch"],
        base_branch=_str(pr_base.get("ref")),
        # A deleted fork leaves head.repo null: treat it as a fork, the safe side.
        is_fork=head_repo != base_repo,
        head_repository=head_repo,
        html_url=_str(pr.get("html_url")),
    )


def _from_push(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    ref = _str(p.get("ref")) or base["ref"]
    base.update(
        ref=ref,
        head_sha=_sha(p.get("after")) or base["head_sha"],
        head_branch=_branch_from_ref(ref) or base["head_branch"],
        head_commit_message=_str(_dict(p.get("head_commit")).get("message")),
    )


def _from_issue_comment(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    issue, comment = _dict(p.get("issue")), _dict(p.get("comment"))
    number, comment_id = _int(issue.get("number"), "issue.number"), _int(comment.get("id"), "comment.id")
    if number is None or comment_id is None:
        raise _invalid("issue_comment", "issue.number and comment.id")
    # Only a PR's conversation carries issue.pull_request; plain issues have no such key.
    on_pr = isinstance(issue.get("pull_request"), dict)
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
        html_url=_str(comment.get("html_url")),
    )


def _from_workflow_dispatch(p: Mapping[str, Any], base: dict[str, Any]) -> None:
    ref = _str(p.get("ref")) or base["ref"]
    inputs = _dict(p.get("inputs"))
    base.update(
        ref=ref,
        head_branch=_branch_from_ref(ref) or base["head_branch"],
        inputs={str(k): v if isinstance(v, str) else _input_text(k, v) for k, v in inputs.items()},
    )


def _input_text(name: Any, value: Any) -> str:
    """A workflow_dispatch input that is not text, as JSON (GitHub sends strings; a hand-made file may not)."""
    try:
        return json.dumps(value)
    except (ValueError, TypeError, RecursionError):  # an integer beyond 4,300 digits, a cycle, deep nesting
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"workflow_dispatch input {str(name)[:40]!r} is not a value GitHub sends",
            "Pass the webhook payload GitHub delivered (GITHUB_EVENT_PATH or --event).",
        ) from None


def _invalid(event: str, what: str) -> NexusError:
    return NexusError(
        "NEXUS-EVENT-INVALID",
        f"the {event} event payload has no {what}",
        "Pass the webhook payload GitHub delivered (GITHUB_EVENT_PATH or --event).",
    )


def parse_context(env: Mapping[str, str], payload: Mapping[str, Any]) -> RunContext:
    """Build a RunContext from GITHUB_* variables and the event payload (already loaded)."""
    if not isinstance(payload, Mapping):
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"the event payload is a {type(payload).__name__}, not a JSON object",
            "Pass the webhook payload GitHub delivered (GITHUB_EVENT_PATH or --event).",
        )
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
        run_id=_env_int(env.get("GITHUB_RUN_ID")),
        run_attempt=_env_int(env.get("GITHUB_RUN_ATTEMPT")) or 1,
        workflow=env.get("GITHUB_WORKFLOW", ""),
        job=env.get("GITHUB_JOB", ""),
        head_sha=env.get("GITHUB_SHA", "").strip(),
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
    elif event == "workflow_dispatch":
        _from_workflow_dispatch(payload, base)
    return RunContext(**base)


def with_overrides(
    context: RunContext,
    *,
    sha: str | None = None,
    pr: int | None = None,
    run_id: int | None = None,
    run_attempt: int | None = None,
    repository: str | None = None,
) -> RunContext:
    """The context with command-line values put over what the event said (a laptop re-run of a CI case)."""
    changes: dict[str, Any] = {}
    if repository:
        if "/" not in repository.strip("/"):
            raise NexusError("NEXUS-INPUT-INVALID", f"--repo must be owner/name; got {repository!r}")
        changes["repository"] = repository.strip("/")
    if sha:
        changes["head_sha"] = sha
    if pr is not None:
        changes["pr_numbers"] = (pr, *(n for n in context.pr_numbers if n != pr))
    if run_id is not None:
        changes["run_id"] = run_id
    if run_attempt is not None:
        changes["run_attempt"] = run_attempt
    return replace(context, **changes) if changes else context
