"""Regenerate the dashboard golden files and cassettes, then review the diff.

    .venv/bin/python scripts/regen_dashboard.py             # golden body + state of the 40-run sequence
    .venv/bin/python scripts/regen_dashboard.py --cassettes # also re-record the live-upsert cassettes

Cassettes are recorded against a tiny local stand-in for the GitHub issues API (below), never against
github.com: the scenarios need a repository whose issues we control, and recording must not need a token.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.dashboard.live_scenarios import REPLAY_HOST, SCENARIOS, cassette_path, run_scenario  # noqa: E402
from tests.dashboard.sequence import SEQUENCE, replay  # noqa: E402

GOLDEN = ROOT / "tests" / "data" / "dashboard"


class StandIn:
    """In-memory issues and labels of one repository, answering like GitHub's REST API (the fields we read)."""

    def __init__(self, issues: list[dict[str, Any]], labels: list[str]) -> None:
        self.issues = issues
        self.labels = set(labels)
        self.lock = threading.Lock()

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:1] == ["api"]:
            parts = parts[2:]  # /api/v3 prefix, as on GHES
        with self.lock:
            if method == "GET" and parts[3:] == ["issues"]:
                label = query.get("labels", [""])[0]
                visible = [i for i in self.issues if not i.get("_hidden")]
                return 200, [i for i in visible if label in [lb["name"] for lb in i["labels"]]]
            if method == "GET" and parts[3:4] == ["labels"]:
                name = parts[4]
                return (200, {"name": name}) if name in self.labels else (404, {"message": "Not Found"})
            if method == "POST" and parts[3:] == ["labels"]:
                self.labels.add(body["name"])
                return 201, {"name": body["name"]}
            if method == "POST" and parts[3:] == ["issues"]:
                for other in self.issues:
                    other.pop("_hidden", None)  # a racing run's issue shows up right after ours is created
                number = max([i["number"] for i in self.issues], default=0) + 1
                issue = {
                    "id": 9000 + number,
                    "number": number,
                    "title": body["title"],
                    "body": body["body"],
                    "state": "open",
                    "labels": [{"name": n} for n in body.get("labels", [])],
                    "user": {"login": "github-actions[bot]", "type": "Bot"},
                    "created_at": f"2026-11-05T12:00:{number:02d}Z",
                    "html_url": f"https://github.com/octo/app/issues/{number}",
                }
                self.issues.append(issue)
                return 201, issue
            if method == "PATCH" and parts[3:4] == ["issues"]:
                issue = next(i for i in self.issues if i["number"] == int(parts[4]))
                issue.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
                return 200, issue
        return 404, {"message": "Not Found"}


@contextmanager
def serve(stand_in: StandIn) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, data = stand_in.handle(self.command, url.path, parse_qs(url.query), body)
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v3"
    finally:
        server.shutdown()


def write_golden() -> None:
    report = replay(SEQUENCE)
    (GOLDEN / "sequence40.dashboard.md").write_text(report.body_md, encoding="utf-8")
    state = json.dumps(report.state, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (GOLDEN / "sequence40.state.json").write_text(state, encoding="utf-8")
    print("wrote", GOLDEN / "sequence40.dashboard.md", "and sequence40.state.json")


def record_cassettes() -> None:
    import vcr

    for name, scenario in SCENARIOS.items():
        path = cassette_path(name)
        path.unlink(missing_ok=True)
        stand_in = StandIn(json.loads(json.dumps(scenario.issues)), list(scenario.labels))
        recorder = vcr.VCR(record_mode="all", filter_headers=["authorization"], decode_compressed_response=True)
        with serve(stand_in) as api_url, recorder.use_cassette(str(path)):
            result = run_scenario(scenario, api_url)
        # The stand-in's port changes every time; the replay host is fixed so cassettes diff cleanly.
        path.write_text(
            re.sub(r"http://127\.0\.0\.1:\d+", REPLAY_HOST, path.read_text(encoding="utf-8")), encoding="utf-8"
        )
        print("recorded", path.relative_to(ROOT), "->", result.action)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cassettes", action="store_true", help="also re-record the live-upsert cassettes")
    args = parser.parse_args()
    write_golden()
    if args.cassettes:
        record_cassettes()


if __name__ == "__main__":
    main()
