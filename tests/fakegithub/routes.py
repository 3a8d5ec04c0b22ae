"""Endpoints of the stand-in GitHub (see server.py). Each answers (status, headers, body) like GitHub does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakegithub.server import Answer, FakeGitHub

DOCS = "https://docs.github.com/rest"
LOCKED = {"message": "Unable to create comment because issue is locked.", "documentation_url": DOCS}
NOT_FOUND = {"message": "Not Found", "documentation_url": DOCS}


def _too_long(resource: str) -> Answer:
    error = {
        "resource": resource,
        "code": "custom",
        "field": "body",
        "message": "body is too long (maximum is 65536 characters)",
    }
    return 422, {}, {"message": "Validation Failed", "errors": [error], "documentation_url": DOCS}


def list_jobs(app: FakeGitHub, q: dict[str, str], _b: Any, run_id: str) -> Answer:
    return app.page(f"/repos/{app.repository}/actions/runs/{run_id}/jobs", q, app.jobs.get(int(run_id), []), "jobs")


def workflow_runs(app: FakeGitHub, q: dict[str, str], _b: Any, workflow: str) -> Answer:
    if workflow not in app.workflow_runs:
        return 404, {}, NOT_FOUND
    runs = app.workflow_runs[workflow]
    if q.get("branch"):
        runs = [r for r in runs if r["head_branch"] == q["branch"]]
    if q.get("status"):  # a conclusion (success, failure, ...) or a status (completed, ...)
        runs = [r for r in runs if q["status"] in (r["status"], r["conclusion"])]
    path = f"/repos/{app.repository}/actions/workflows/{workflow}/runs"
    return app.page(path, q, runs, "workflow_runs")


def job_logs(app: FakeGitHub, _q: dict[str, str], _b: Any, job_id: str) -> Answer:
    if int(job_id) not in app.logs:  # queued or running: GitHub has no log to give yet
        return 404, {}, NOT_FOUND
    return 302, {"Location": f"{app.root_url}/_blobs/logs/{job_id}?sig=short-lived"}, b""


def blob_log(app: FakeGitHub, _q: dict[str, str], _b: Any, job_id: str) -> Answer:
    return 200, {"Content-Type": "text/plain"}, app.logs[int(job_id)]


def annotations(app: FakeGitHub, _q: dict[str, str], _b: Any, check_run_id: str) -> Answer:
    return 200, {}, app.annotations.get(int(check_run_id), [])


def pr_files(app: FakeGitHub, q: dict[str, str], _b: Any, number: str) -> Answer:
    files = [
        {"sha": "0" * 40, "filename": f, "status": "modified", "additions": 1, "deletions": 0, "changes": 1}
        for f in app.pr_files.get(int(number), [])
    ]
    return app.page(f"/repos/{app.repository}/pulls/{number}/files", q, files)


def commit_pulls(app: FakeGitHub, _q: dict[str, str], _b: Any, sha: str) -> Answer:
    pulls = []
    for number in app.commit_pulls.get(sha, []):
        issue = app.issues[number]
        pulls.append(
            {"number": number, "state": issue["state"], "head": {"sha": issue.get("head_sha"), "ref": "feature"}}
        )
    return 200, {}, pulls


def list_comments(app: FakeGitHub, q: dict[str, str], _b: Any, number: str) -> Answer:
    if int(number) not in app.issues:
        return 404, {}, NOT_FOUND
    return app.page(f"/repos/{app.repository}/issues/{number}/comments", q, app.comments.get(int(number), []))


def create_comment(app: FakeGitHub, _q: dict[str, str], body: Any, number: str) -> Answer:
    if int(number) not in app.issues:
        return 404, {}, NOT_FOUND
    if int(number) in app.locked:
        return 403, {}, LOCKED
    if len(body["body"]) > 65536:
        return _too_long("IssueComment")
    comment = app.add_comment(int(number), body["body"], "github-actions[bot]")
    if app.after_comment_created is not None:
        hook, app.after_comment_created = app.after_comment_created, None
        hook(app, int(number))
    return 201, {"Location": comment["html_url"]}, comment


def _find_comment(app: FakeGitHub, comment_id: str) -> tuple[int, dict[str, Any]] | None:
    for number, items in app.comments.items():
        for item in items:
            if item["id"] == int(comment_id):
                return number, item
    return None


def update_comment(app: FakeGitHub, _q: dict[str, str], body: Any, comment_id: str) -> Answer:
    found = _find_comment(app, comment_id)
    if found is None:
        return 404, {}, NOT_FOUND
    number, comment = found
    if number in app.locked:
        return 403, {}, LOCKED
    if len(body["body"]) > 65536:
        return _too_long("IssueComment")
    comment["body"], comment["updated_at"] = body["body"], app.now()
    return 200, {}, comment


def delete_comment(app: FakeGitHub, _q: dict[str, str], _b: Any, comment_id: str) -> Answer:
    found = _find_comment(app, comment_id)
    if found is None:
        return 404, {}, NOT_FOUND
    app.comments[found[0]].remove(found[1])
    return 204, {}, b""


def list_issues(app: FakeGitHub, q: dict[str, str], _b: Any) -> Answer:
    wanted = {x for x in q.get("labels", "").split(",") if x}
    state = q.get("state", "open")
    items = [
        i
        for i in sorted(app.issues.values(), key=lambda i: i["number"])
        if wanted <= {label["name"] for label in i.get("labels", [])} and state in ("all", i["state"])
    ]
    return app.page(f"/repos/{app.repository}/issues", q, items)


def create_issue(app: FakeGitHub, _q: dict[str, str], body: Any) -> Answer:
    if len(body.get("body") or "") > 65536:
        return _too_long("Issue")
    for name in body.get("labels") or []:
        app.labels.setdefault(name, {"name": name, "color": "ededed"})
    issue = app.add_issue(body["title"], body.get("body") or "", "github-actions[bot]", list(body.get("labels") or []))
    return 201, {"Location": issue["html_url"]}, issue


def update_issue(app: FakeGitHub, _q: dict[str, str], body: Any, number: str) -> Answer:
    issue = app.issues.get(int(number))
    if issue is None:
        return 404, {}, NOT_FOUND
    if len(body.get("body") or "") > 65536:
        return _too_long("Issue")
    for key in ("body", "state", "title"):
        if key in body:
            issue[key] = body[key]
    return 200, {}, issue


def get_label(app: FakeGitHub, _q: dict[str, str], _b: Any, name: str) -> Answer:
    label = app.labels.get(name)
    return (200, {}, label) if label else (404, {}, NOT_FOUND)


def create_label(app: FakeGitHub, _q: dict[str, str], body: Any) -> Answer:
    label = {"id": app.new_id(), "name": body["name"], "color": body.get("color", "ededed"), "default": False}
    label["description"] = body.get("description")
    app.labels[body["name"]] = label
    return 201, {}, label


def webhook(app: FakeGitHub, _q: dict[str, str], body: Any, _name: str) -> Answer:
    """A webhook receiver (Slack answers `ok` as text), so a live run's last channel can land somewhere."""
    app.hooks.append(body)
    return 200, {"Content-Type": "text/plain"}, b"ok"


R = "/repos/{repo}"
ROUTES = (
    ("POST", r"/_hooks/(\w+)", webhook),
    ("GET", R + r"/actions/runs/(\d+)/jobs", list_jobs),
    ("GET", R + r"/actions/workflows/([^/]+)/runs", workflow_runs),
    ("GET", R + r"/actions/jobs/(\d+)/logs", job_logs),
    ("GET", r"/_blobs/logs/(\d+)", blob_log),
    ("GET", R + r"/check-runs/(\d+)/annotations", annotations),
    ("GET", R + r"/pulls/(\d+)/files", pr_files),
    ("GET", R + r"/commits/([0-9a-f]+)/pulls", commit_pulls),
    ("GET", R + r"/issues/(\d+)/comments", list_comments),
    ("POST", R + r"/issues/(\d+)/comments", create_comment),
    ("PATCH", R + r"/issues/comments/(\d+)", update_comment),
    ("DELETE", R + r"/issues/comments/(\d+)", delete_comment),
    ("GET", R + r"/issues", list_issues),
    ("POST", R + r"/issues", create_issue),
    ("PATCH", R + r"/issues/(\d+)", update_issue),
    ("GET", R + r"/labels/([^/]+)", get_label),
    ("POST", R + r"/labels", create_label),
)
