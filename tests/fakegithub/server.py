"""A small local stand-in for the GitHub REST endpoints NEXUS delivery uses.

It runs on 127.0.0.1 on an ephemeral port in a thread, keeps repositories' comments, issues, labels, jobs
and logs in memory, answers the way GitHub does (pagination with `Link`, 302 for job logs, 404 while a
job runs, 403/422 for locked conversations, 422 for bodies over 65,536 characters) and injects faults.
The vcrpy cassettes under tests/cassettes/ were recorded against this stand-in, not against github.com
(no GitHub is reachable from where the tests run); tests/test_cassettes_match_rest.py checks each recorded
request and response against GitHub's published REST description so the stand-in cannot drift from it.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 65536
Answer = tuple[int, dict[str, str], Any]


@dataclass
class Fault:
    """Answer `status` (or a transport failure, see transport.py) to matching requests, `times` times (-1: always)."""

    method: str
    path: str  # regex matched against the path (no query)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = -1
    transport: str | None = None  # "timeout" (after the server handled it) | "reset" (before)
    # Seconds between bytes: the route answers as usual, but its body arrives one byte at a time.
    drip: float | None = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.method == method and re.fullmatch(self.path, path) is not None and self.times != 0

    def use(self) -> None:
        self.hits += 1
        if self.times > 0:
            self.times -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # ten processes connect at once


@dataclass
class FakeGitHub:
    repository: str = "octo-org/octo-repo"
    server_url: str = "https://github.example"
    prefix: str = ""  # e.g. /api/v3, as GitHub Enterprise Server serves the API
    root_url: str = ""  # set by start(): http://127.0.0.1:PORT
    base_url: str = ""  # root_url + prefix
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # Workflow runs by workflow id or file name, newest first (GET .../actions/workflows/{id}/runs).
    workflow_runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    logs: dict[int, bytes] = field(default_factory=dict)
    annotations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pr_files: dict[int, list[str]] = field(default_factory=dict)
    commit_pulls: dict[str, list[int]] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    hooks: list[Any] = field(default_factory=list)  # payloads POSTed to /_hooks/... (a webhook receiver)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request answered
    with_token: list[str] = field(default_factory=list)  # paths of requests that carried an Authorization header
    # Called after a comment is created: lets a scenario play "another run created one at the same moment".
    after_comment_created: Callable[[FakeGitHub, int], None] | None = None
    next_id: int = 1000
    tick: int = 0
    # Seconds of random delay before and after each request is handled (races: real processes interleave).
    # Each request is handled whole under `lock`, as GitHub applies one write at a time to a comment.
    latency: tuple[float, float] = (0.0, 0.0)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _server: ThreadingHTTPServer | None = None

    # ----- state helpers (used by scenarios) -----
    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def now(self) -> str:
        self.tick += 1
        return f"2026-01-01T00:{self.tick // 60:02d}:{self.tick % 60:02d}Z"

    def user(self, login: str) -> dict[str, Any]:
        return {
            "login": login,
            "id": zlib.crc32(login.encode()) % 10**6,
            "type": "Bot" if login.endswith("[bot]") else "User",
        }

    def add_pr(self, number: int, head_sha: str = "a" * 40, files: tuple[str, ...] = ()) -> None:
        self.issues[number] = {"number": number, "title": f"PR {number}", "pull_request": {"url": "x"}, "state": "open"}
        self.issues[number].update(
            id=self.new_id(), labels=[], user=self.user("octocat"), body="", created_at=self.now()
        )
        self.issues[number]["head_sha"] = head_sha
        self.comments.setdefault(number, [])
        self.pr_files[number] = list(files)
        self.commit_pulls.setdefault(head_sha, []).append(number)

    def add_comment(self, number: int, body: str, login: str) -> dict[str, Any]:
        cid = self.new_id()
        html = f"{self.server_url}/{self.repository}/pull/{number}#issuecomment-{cid}"
        comment = {"id": cid, "body": body, "user": self.user(login), "created_at": self.now(), "html_url": html}
        comment["updated_at"] = comment["created_at"]
        self.comments.setdefault(number, []).append(comment)
        return comment

    def add_issue(self, title: str, body: str, login: str, labels: list[str], state: str = "open") -> dict[str, Any]:
        number = max([*self.issues, 0]) + 1
        issue = {"number": number, "title": title, "body": body, "user": self.user(login), "state": state}
        issue.update(id=self.new_id(), labels=[{"name": n} for n in labels], created_at=self.now())
        issue["html_url"] = f"{self.server_url}/{self.repository}/issues/{number}"
        self.issues[number] = issue
        self.comments.setdefault(number, [])
        return issue

    def add_job(self, run_id: int, name: str, conclusion: str, *, log: bytes | None, step: str = "Test") -> int:
        job_id = self.new_id()
        status = "completed" if conclusion else "in_progress"
        steps = [
            {"name": "Set up job", "number": 1, "status": "completed", "conclusion": "success"},
            {"name": step, "number": 2, "status": "completed", "conclusion": conclusion or None},
        ]
        job = {"id": job_id, "run_id": run_id, "name": name, "status": status, "conclusion": conclusion or None}
        job.update(steps=steps, html_url=f"{self.server_url}/{self.repository}/actions/runs/{run_id}/job/{job_id}")
        job["check_run_url"] = f"https://ghes.example/api/v3/repos/{self.repository}/check-runs/{job_id}"
        self.jobs.setdefault(run_id, []).append(job)
        if log is not None:
            self.logs[job_id] = log
        return job_id

    def add_run(self, workflow: str, branch: str, conclusion: str, created_at: str, head_sha: str) -> int:
        """A completed run of `workflow` on `branch`, listed before the runs added earlier (newest first)."""
        run_id = self.new_id()
        run = {"id": run_id, "name": "CI", "head_branch": branch, "head_sha": head_sha, "status": "completed"}
        run.update(conclusion=conclusion, created_at=created_at, updated_at=created_at, event="push")
        run["html_url"] = f"{self.server_url}/{self.repository}/actions/runs/{run_id}"
        self.workflow_runs.setdefault(workflow, []).insert(0, run)
        return run_id

    def bot_comments(self, number: int, login: str = "github-actions[bot]") -> list[dict[str, Any]]:
        return [c for c in self.comments.get(number, []) if c["user"]["login"] == login]

    def wait(self) -> None:
        low, high = self.latency
        if high > 0:
            time.sleep(random.uniform(low, high))

    # ----- HTTP -----
    def start(self, prefix: str = "") -> str:
        app = self
        self.prefix = prefix

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per answer and no Nagle: otherwise delayed ACKs add ~40 ms to every request.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.headers.get("Authorization"):
                    app.with_token.append(urlsplit(self.path).path)
                app.wait()
                with app.lock:
                    status, headers, body = app.handle(self.command, self.path, raw)
                app.wait()
                data = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
                self.send_response(status)
                if not isinstance(body, bytes) and "Content-Type" not in headers:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                drip = app.drip_for(self.command, urlsplit(self.path).path)
                if drip is None:
                    self.wfile.write(data)
                    return
                try:
                    self.wfile.flush()
                    for byte in data:  # until the client gives up (then the write fails and the thread ends)
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(drip)
                except OSError:
                    self.close_connection = True

            # A client that gave up on a dripping answer has closed the socket: nothing left to write to.
            def handle(self) -> None:
                with contextlib.suppress(OSError):
                    super().handle()

            def finish(self) -> None:
                with contextlib.suppress(OSError):
                    super().finish()

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.root_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.base_url = self.root_url + prefix
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def fault_for(self, method: str, path: str, transport: bool) -> Fault | None:
        for fault in self.faults:
            if fault.drip is None and fault.matches(method, path) and (fault.transport is not None) == transport:
                return fault
        return None

    def drip_for(self, method: str, target_path: str) -> float | None:
        path = target_path[len(self.prefix) :] if self.prefix and target_path.startswith(self.prefix) else target_path
        for fault in self.faults:
            if fault.drip is not None and fault.matches(method, path):
                fault.use()
                return fault.drip
        return None

    def handle(self, method: str, target: str, raw: bytes) -> Answer:
        parts = urlsplit(target)
        path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if self.prefix and path.startswith(self.prefix + "/"):
            path = path[len(self.prefix) :]
        self.seen.append((method, path))
        fault = self.fault_for(method, path, transport=False)
        if fault is not None:
            fault.use()
            return fault.status or 500, dict(fault.headers), fault.body
        body = json.loads(raw) if raw else None
        for verb, pattern, fn in ROUTES:
            found = re.fullmatch(pattern.replace("{repo}", re.escape(self.repository)), path)
            if verb == method and found:
                return fn(self, query, body, *found.groups())  # type: ignore[operator]
        return 404, {}, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}

    def page(self, path: str, query: dict[str, str], items: list[Any], key: str | None = None) -> Answer:
        per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        rest = {k: v for k, v in query.items() if k != "page"}
        if page * per_page < len(items):
            qs = "&".join(f"{k}={v}" for k, v in sorted({**rest, "page": str(page + 1)}.items()))
            headers["Link"] = f'<{self.base_url}{path}?{qs}>; rel="next"'
        return 200, headers, ({"total_count": len(items), key: chunk} if key else chunk)


from tests.fakegithub import routes  # noqa: E402 - routes need the class above

ROUTES = routes.ROUTES
