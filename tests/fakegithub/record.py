"""Re-record the delivery cassettes against the local stand-in GitHub: `python -m tests.fakegithub.record`.

Each scenario of scenarios.py gets tests/cassettes/<scenario>/github.yaml. The stand-in listens on a random
port; recordings are rewritten to the fixed API URL `REPLAY_API_URL` (a GitHub Enterprise Server style
`/api/v3` prefix, so GHES base URLs are exercised too). Authorization headers are scrubbed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import vcr

from tests.fakegithub.scenarios import SCENARIOS, run_chain
from tests.fakegithub.server import FakeGitHub

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
REPLAY_ROOT = "http://ghes.example"
REPLAY_API_URL = REPLAY_ROOT + "/api/v3"
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")


def cassette_path(name: str) -> Path:
    return CASSETTES / name / "github.yaml"


def make_vcr(record_mode: str, root: str = REPLAY_ROOT) -> vcr.VCR:
    def scrub_request(request: Any) -> Any:
        request.uri = request.uri.replace(root, REPLAY_ROOT)
        return request

    def scrub_response(response: Any) -> Any:
        headers = response.get("headers", {})
        for key in list(headers):
            if key.lower() in ("location", "link"):
                headers[key] = [v.replace(root, REPLAY_ROOT) for v in headers[key]]
            if key.lower() in ("date", "server"):
                del headers[key]  # volatile: would make every re-recording a diff
        return response

    return vcr.VCR(
        record_mode=record_mode,
        match_on=MATCH_ON,
        filter_headers=["authorization"],
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        decode_compressed_response=True,
    )


def record(name: str) -> None:
    scenario = SCENARIOS[name]
    app = FakeGitHub()
    url = app.start("/api/v3")
    try:
        scenario.setup(app)
        path = cassette_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        with make_vcr("all", app.root_url).use_cassette(str(path)):
            result = run_chain(scenario, url)
    finally:
        app.stop()
    print(f"{name}: {result.outcome.delivered_via}, {result.outcome.api_calls} API calls -> {path}")


def main(argv: list[str]) -> int:
    for name in argv or list(SCENARIOS):
        record(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
