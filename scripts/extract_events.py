"""Copy the webhook examples of the events we accept into tests/data/events/, and derive what they lack.

Run from a checkout that has ../shared beside it:  python scripts/extract_events.py
Tests read only the files written here (a user's clone has no ../shared).

Source: `@octokit/webhooks-examples` 7.6.1 (../shared/data/github/webhook-examples.json), a list of
`{name, actions, examples[]}`. Written:
  tests/data/events/<event>.json      every real example of that event, one JSON object per line of a list
  tests/data/events/derived/*.json    fixtures derived from the nearest real example (see DERIVED below)
pull_request_target has no example of its own: GitHub sends it the pull_request payload, so it is derived.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "data" / "github" / "webhook-examples.json"
OUT = ROOT / "tests" / "data" / "events"

EVENTS = (
    "workflow_run",
    "workflow_job",
    "check_run",
    "check_suite",
    "pull_request",
    "push",
    "issue_comment",
    "workflow_dispatch",
)

Payload = dict[str, Any]


def _first(examples: dict[str, list[Payload]], event: str, **where: Any) -> Payload:
    for example in examples[event]:
        if all(example.get(k) == v for k, v in where.items()):
            return copy.deepcopy(example)
    raise SystemExit(f"no {event} example with {where}")


def _pr_ref(run_repo: Payload, number: int, head_sha: str, head_ref: str) -> Payload:
    repo = {"id": run_repo["id"], "url": run_repo["url"], "name": run_repo["name"]}
    return {
        "url": f"{run_repo['url']}/pulls/{number}",
        "id": 500000000 + number,
        "number": number,
        "head": {"ref": head_ref, "sha": head_sha, "repo": repo},
        "base": {"ref": "main", "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "repo": repo},
    }


def failed_workflow_run_on_pr(ex: dict[str, list[Payload]]) -> Payload:
    """A completed run that failed on a same-repo PR, second attempt (what the reporting workflow sees)."""
    p = _first(ex, "workflow_run", action="completed")
    run = p["workflow_run"]
    run.update(conclusion="failure", status="completed", run_attempt=2, name="CI", head_branch="fix-parser")
    run["head_repository"] = copy.deepcopy(run["repository"])
    run["pull_requests"] = [_pr_ref(run["repository"], 42, run["head_sha"], "fix-parser")]
    p["repository"] = copy.deepcopy(run["repository"])
    return p


def fork_pr_workflow_run(ex: dict[str, list[Payload]]) -> Payload:
    """A failed run of a fork PR: pull_requests is empty and head_repository is the fork."""
    p = failed_workflow_run_on_pr(ex)
    run = p["workflow_run"]
    run["pull_requests"] = []
    run["run_attempt"] = 1
    fork = run["head_repository"]
    fork.update(id=999001, full_name="outside-contributor/octo-repo", fork=True, name="octo-repo")
    fork["owner"] = {**fork["owner"], "login": "outside-contributor", "id": 999002, "type": "User"}
    fork["html_url"] = "https://github.com/outside-contributor/octo-repo"
    fork["url"] = "https://api.github.com/repos/outside-contributor/octo-repo"
    return p


def issue_comment_retry_on_pr(ex: dict[str, list[Payload]]) -> Payload:
    """A PR conversation comment (issue.pull_request present) asking for a retry."""
    p = _first(ex, "issue_comment", action="created")
    issue = p["issue"]
    base = issue["repository_url"].replace("https://api.github.com/repos/", "https://github.com/")
    issue["pull_request"] = {
        "url": f"{issue['repository_url']}/pulls/{issue['number']}",
        "html_url": f"{base}/pull/{issue['number']}",
        "diff_url": f"{base}/pull/{issue['number']}.diff",
        "patch_url": f"{base}/pull/{issue['number']}.patch",
        "merged_at": None,
    }
    p["comment"]["body"] = "Looks flaky to me.\n/nexus retry\n"
    p["comment"]["author_association"] = "COLLABORATOR"
    return p


def workflow_dispatch_with_inputs(ex: dict[str, list[Payload]]) -> Payload:
    p = _first(ex, "workflow_dispatch")
    p["inputs"] = {"dry-run": "true", "log-path": "tests/data/logs", "pr": "7"}
    return p


def pull_request_target_fork(ex: dict[str, list[Payload]]) -> Payload:
    """pull_request_target gets the pull_request payload; this one comes from a fork."""
    p = _first(ex, "pull_request", action="synchronize")
    head = p["pull_request"]["head"]
    head["repo"] = {**head["repo"], "id": 999001, "full_name": "outside-contributor/Hello-World", "fork": True}
    head["label"] = "outside-contributor:changes"
    return p


def pull_request_target_same_repo(ex: dict[str, list[Payload]]) -> Payload:
    return _first(ex, "pull_request", action="opened")


def pull_request_deleted_fork(ex: dict[str, list[Payload]]) -> Payload:
    """A PR whose fork was deleted: GitHub sends head.repo as null."""
    p = _first(ex, "pull_request", action="synchronize")
    p["pull_request"]["head"]["repo"] = None
    return p


DERIVED: dict[str, Callable[[dict[str, list[Payload]]], Payload]] = {
    "workflow_run.failed_on_pr": failed_workflow_run_on_pr,
    "workflow_run.fork_pr": fork_pr_workflow_run,
    "issue_comment.retry_on_pr": issue_comment_retry_on_pr,
    "workflow_dispatch.with_inputs": workflow_dispatch_with_inputs,
    "pull_request_target.fork": pull_request_target_fork,
    "pull_request_target.same_repo": pull_request_target_same_repo,
    "pull_request.deleted_fork": pull_request_deleted_fork,
}


def _write_list(path: Path, examples: list[Payload]) -> None:
    # One example per line: compact on disk, still a readable diff per example.
    lines = ",\n".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) for e in examples)
    path.write_text("[\n" + lines + "\n]\n", encoding="utf-8")


def main() -> None:
    if not SOURCE.is_file():
        sys.exit(f"{SOURCE} not found: run this from a checkout with ../shared beside it")
    data = json.loads(SOURCE.read_text(encoding="utf-8"))
    examples = {entry["name"]: entry["examples"] for entry in data}
    (OUT / "derived").mkdir(parents=True, exist_ok=True)
    for event in EVENTS:
        _write_list(OUT / f"{event}.json", examples[event])
        print(f"{event}: {len(examples[event])} examples")
    for name, derive in DERIVED.items():
        path = OUT / "derived" / f"{name}.json"
        path.write_text(json.dumps(derive(examples), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"derived {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
