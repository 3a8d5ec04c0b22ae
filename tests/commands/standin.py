"""The shared stand-in GitHub (tests/fakegithub) plus the endpoints slash commands use.

Answers follow GitHub's REST description: collaborator permission (404 for strangers), pulls, the run list
filtered by head_sha and status, rerun-failed-jobs (201), repository_dispatch (204; 422 for more than 10
client_payload keys), reactions (201 created, 200 already there) and repository contents (404 when absent).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakegithub.server import Answer, FakeGitHub

NOT_FOUND = {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


@dataclass
class CommandsGitHub(FakeGitHub):
    permissions: dict[str, tuple[str, str]] = field(default_factory=dict)  # login -> (permission, role_name)
    runs: list[dict[str, Any]] = field(default_factory=list)
    reruns: list[int] = field(default_factory=list)
    dispatches: list[dict[str, Any]] = field(default_factory=list)
    reactions: dict[int, list[str]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def add_run(self, run_id: int, name: str, head_sha: str, conclusion: str = "failure") -> None:
        self.runs.append(
            {
                "id": run_id,
                "name": name,
                "head_sha": head_sha,
                "status": "completed",
                "conclusion": conclusion,
                "html_url": f"{self.server_url}/{self.repository}/actions/runs/{run_id}",
            }
        )

    def handle(self, method: str, target: str, raw: bytes) -> Answer:
        import json
        from urllib.parse import parse_qs, unquote, urlsplit

        parts = urlsplit(target)
        path = parts.path[len(self.prefix) :] if self.prefix and parts.path.startswith(self.prefix) else parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        repo = "/repos/" + self.repository
        body = json.loads(raw) if raw else None
        if self.fault_for(method, path, transport=False) is None and path.startswith(repo + "/"):
            rest = path[len(repo) :]
            for verb, pattern, fn in _ROUTES:
                found = re.fullmatch(pattern, rest)
                if verb == method and found:
                    self.seen.append((method, path))
                    return fn(self, query, body, *(unquote(g) for g in found.groups()))
        return super().handle(method, target, raw)


def _permission(app: CommandsGitHub, _q: dict[str, str], _b: Any, login: str) -> Answer:
    if login not in app.permissions:
        return 404, {}, NOT_FOUND
    permission, role = app.permissions[login]
    return 200, {}, {"permission": permission, "role_name": role, "user": app.user(login)}


def _pull(app: CommandsGitHub, _q: dict[str, str], _b: Any, number: str) -> Answer:
    issue = app.issues.get(int(number))
    if issue is None or "pull_request" not in issue:
        return 404, {}, NOT_FOUND
    head = {"sha": issue.get("head_sha"), "ref": "feature"}
    return 200, {}, {"id": issue["id"], "number": int(number), "state": issue["state"], "head": head}


def _list_runs(app: CommandsGitHub, q: dict[str, str], _b: Any) -> Answer:
    runs = [
        r
        for r in sorted(app.runs, key=lambda r: -int(r["id"]))  # GitHub lists newest first
        if r["head_sha"] == q.get("head_sha", r["head_sha"]) and r["conclusion"] == q.get("status", r["conclusion"])
    ]
    return app.page(f"/repos/{app.repository}/actions/runs", q, runs, key="workflow_runs")


def _rerun(app: CommandsGitHub, _q: dict[str, str], _b: Any, run_id: str) -> Answer:
    if not any(r["id"] == int(run_id) for r in app.runs):
        return 404, {}, NOT_FOUND
    app.reruns.append(int(run_id))
    return 201, {}, {}


def _dispatch(app: CommandsGitHub, _q: dict[str, str], body: Any, *_: str) -> Answer:
    payload = body.get("client_payload") or {}
    if not body.get("event_type") or len(payload) > 10:
        return 422, {}, {"message": "client_payload can have at most 10 top-level properties", "documentation_url": ""}
    app.dispatches.append(body)
    return 204, {}, b""


def _react(app: CommandsGitHub, _q: dict[str, str], body: Any, comment_id: str) -> Answer:
    if not any(c["id"] == int(comment_id) for items in app.comments.values() for c in items):
        return 404, {}, NOT_FOUND
    mine = app.reactions.setdefault(int(comment_id), [])
    status = 200 if body["content"] in mine else 201
    if status == 201:
        mine.append(body["content"])
    reaction = {"id": app.new_id(), "content": body["content"], "user": app.user("github-actions[bot]")}
    reaction["created_at"] = app.now()
    return status, {}, reaction


def _contents(app: CommandsGitHub, _q: dict[str, str], _b: Any, path: str) -> Answer:
    if path not in app.files:
        return 404, {}, NOT_FOUND
    content = base64.b64encode(app.files[path].encode()).decode()
    return (
        200,
        {},
        {"type": "file", "encoding": "base64", "path": path, "name": path.rsplit("/", 1)[-1], "content": content},
    )


_ROUTES = (
    ("GET", r"/collaborators/([^/]+)/permission", _permission),
    ("GET", r"/pulls/(\d+)", _pull),
    ("GET", r"/actions/runs", _list_runs),
    ("POST", r"/actions/runs/(\d+)/rerun-failed-jobs", _rerun),
    ("POST", r"/dispatches", _dispatch),
    ("POST", r"/issues/comments/(\d+)/reactions", _react),
    ("GET", r"/contents/(.+)", _contents),
)
