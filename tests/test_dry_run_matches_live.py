"""A dry run takes the same delivery decisions as a live run: same channel, same requests, in the same order.

The live run talks to the local stand-in GitHub; the dry run gets the stand-in's comment list as `--previous`
(the JSON GitHub answers to GET .../issues/{n}/comments) and records what it would send. Both start from the same
earlier comment, once written by our bot and once by a stranger who pasted our marker (not to be trusted).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nexus_action.classify import classify_log
from nexus_action.cli import build_parser
from nexus_action.config.load import settings_from
from nexus_action.flow import ReportRequest, run_report
from nexus_action.github.threads import SETTLE_MAX
from tests.fakegithub.scenarios import LOG
from tests.fakegithub.server import FakeGitHub

EVENT = Path(__file__).parent / "data" / "events" / "derived" / "workflow_run.failed_on_pr.json"
PR = 42
SHA = "5779607b49aab1200488439f02372c57b4f75444"
EARLIER = "<!-- nexus:report -->\nan earlier report\n"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    # Only the short settle before the re-read that follows a write is allowed (and not really waited).
    monkeypatch.setattr(
        "time.sleep", lambda s: None if s <= SETTLE_MAX * 1.5 else (_ for _ in ()).throw(AssertionError(f"slept {s}s"))
    )
    fake = FakeGitHub()
    fake.start("/api/v3")
    fake.add_pr(PR, SHA, ("src/lib.rs",))
    yield fake
    fake.stop()


def _run(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    args = build_parser().parse_args(["report", "--event", str(EVENT), *argv])
    out = io.StringIO()
    settings = settings_from(env, None)
    assert (
        run_report(
            ReportRequest.of(args), env, settings, out, clock=lambda: "2026-11-20T10:00:00Z", classify=classify_log
        )
        == 0
    )
    return json.loads((Path(args.out) / "outputs.json").read_text(encoding="utf-8"))


def _shape(method: str, path: str) -> tuple[str, str]:
    """A request without what only a real GitHub knows (ids it hands out, the API prefix, the query)."""
    path = path.split("?", maxsplit=1)[0].removeprefix("/api/v3")
    return method, re.sub(r"/\d+", "/N", path)


@pytest.mark.parametrize("author", ["github-actions[bot]", "a-stranger"])
def test_dry_run_and_live_run_choose_the_same_channel(app: FakeGitHub, tmp_path: Path, author: str) -> None:
    app.add_comment(PR, EARLIER, author)
    log = tmp_path / "clippy.log"
    log.write_bytes(LOG)
    listed = [dict(c) for c in app.comments[PR]]  # what GET .../issues/42/comments answers
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps(listed), encoding="utf-8")

    dry = _run(["--dry-run", "--log", f"clippy={log}", "--previous", str(previous), "--out", str(tmp_path / "dry")], {})
    plan = json.loads((tmp_path / "dry" / "plan.json").read_text(encoding="utf-8"))

    env = {"GITHUB_API_URL": app.base_url, "GITHUB_TOKEN": "ghs_live_test_token_123"}
    before = len(app.seen)
    live = _run(["--log", f"clippy={log}", "--out", str(tmp_path / "live")], env)

    assert dry["delivered-via"] == "dry-run"
    assert plan["would_deliver_via"] == live["delivered-via"] == "comment"
    made = [_shape(m, p) for m, p in app.seen[before:]]
    assert [_shape(r["method"], r["path"]) for r in plan["requests"]] == made
    # A stranger's comment is never taken for ours: both runs create a new sticky comment instead of editing it.
    verb = "PATCH" if author == "github-actions[bot]" else "POST"
    assert verb in [m for m, _ in made]
    if author != "github-actions[bot]":
        assert app.comments[PR][0]["body"] == EARLIER  # the stranger's comment is left as it was
