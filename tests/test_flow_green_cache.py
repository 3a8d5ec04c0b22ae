"""`nexus-autofix report` live, twice on the same PR: the second report takes the green run from the first one's
hidden state instead of looking it up, and delivery starts from that same listing of the PR's comments (stand-in
GitHub, real classifier; every request the stand-in saw is counted by path)."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from nexus_action.cli import build_parser
from nexus_action.config.load import settings_from
from nexus_action.flow import ReportRequest, run_report
from tests.fakegithub.server import FakeGitHub, Fault
from tests.test_flow_green import EVENT, GREEN_LOG, GREEN_SHA, PR, RUN_ID, SHA, WORKFLOW_ID, add_green_run, app

__all__ = ["app"]  # the stand-in with the failing run, from test_flow_green

R = "/repos/octo-org/octo-repo"
NOW = "2026-11-20T10:00:00Z"
# The green-run lookup: the workflow's runs, then the green run's jobs (the failing run's jobs are listed anyway).
LOOKUP = re.compile(rf"GET {R}/actions/(workflows/[^/]+/runs|runs/(?!{RUN_ID}/)\d+/jobs)")
COMMENTS = f"GET {R}/issues/N/comments"
NUMBER = re.compile(r"/\d+")
NEW_SINCE_GREEN = re.compile(r"🆕 New since the \[last green run\]\(<(https://[^>]+/actions/runs/\d+)>\)")


@dataclass
class Reported:
    comment: str  # the report as rendered by this run (out/comment.md), whether or not it had to be written
    outputs: dict[str, str]
    made: list[str]  # "METHOD /path" of every request the stand-in saw during this report

    @property
    def requests(self) -> Counter[str]:
        """How many of each request, numbers in the path as N."""
        return Counter(NUMBER.sub("/N", call) for call in self.made)

    @property
    def api_calls(self) -> int:
        return int(self.outputs["api-calls"])

    def lookups(self) -> int:
        return sum(1 for call in self.made if LOOKUP.fullmatch(call))


def report(app: FakeGitHub, tmp_path: Path, *argv: str, now: str = NOW, event: Path = EVENT) -> Reported:
    env = {
        "GITHUB_API_URL": app.base_url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_TOKEN": "ghs_live_test_token_123",
    }
    out = tmp_path / f"out{len(list(tmp_path.glob('out*')))}"
    args = build_parser().parse_args(["report", "--event", str(event), "--out", str(out), *argv])
    before = len(app.seen)
    code = run_report(ReportRequest.of(args), env, settings_from(env, None), io.StringIO(), clock=lambda: now)
    assert code == 0
    made = [f"{method} {path}" for method, path in app.seen[before:]]
    outputs = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    return Reported((out / "comment.md").read_text(encoding="utf-8"), outputs, made)


def green_lines(comment: str) -> tuple[str, ...]:
    """What the report says about the last green run: the note under the top blocker and the commit range."""
    return tuple(line for line in comment.splitlines() if "last green run" in line)


def test_a_second_report_of_the_run_takes_the_green_run_from_the_first_and_lists_the_comments_once(
    app: FakeGitHub, tmp_path: Path
) -> None:
    add_green_run(app)
    first = report(app, tmp_path)
    assert first.lookups() == 2
    assert first.requests[COMMENTS] == 2  # the listing before comparing (no report yet), the re-read after POST
    # Without the comparison: jobs, log, changed files, list comments, create, re-read = 6; with it: the
    # workflow's runs, the green run's jobs, the green job's log.
    assert first.api_calls == 6 + 3

    second = report(app, tmp_path)
    assert second.lookups() == 0
    assert second.requests[COMMENTS] == 1
    assert second.requests[f"GET {R}/actions/jobs/N/logs"] == 2  # the failed job's log and the green one's
    # The same run attempt again: jobs, log, changed files, the listing; nothing to write; plus the green log.
    assert second.api_calls == 4 + 1
    assert second.api_calls == sum(n for call, n in second.requests.items() if "/_blobs/" not in call)
    assert green_lines(second.comment) == green_lines(first.comment)
    assert NEW_SINCE_GREEN.search(second.comment)
    assert f"/compare/{GREEN_SHA}...{SHA}" in second.comment


def test_a_re_run_writes_its_report_comparing_with_the_cached_green_run(app: FakeGitHub, tmp_path: Path) -> None:
    add_green_run(app)
    first = report(app, tmp_path)
    rerun = report(app, tmp_path, "--run-attempt", "3")
    assert rerun.lookups() == 0
    # The listing taken before comparing is not written over: the comments are listed again before the PATCH
    # (another writer may have written meanwhile), then re-read after it.
    assert rerun.requests[COMMENTS] == 3
    assert rerun.requests[f"PATCH {R}/issues/comments/N"] == 1
    # jobs, log, changed files, list, PATCH, re-read = 6 without the comparison; with it the listing before
    # comparing and the green job's log (the lookup's 2 calls saved).
    assert rerun.api_calls == 6 + 2
    [body] = [c["body"] for c in app.bot_comments(PR)]
    assert green_lines(rerun.comment) == green_lines(first.comment)
    assert green_lines(rerun.comment)[0] in body
    assert f"/compare/{GREEN_SHA}...{SHA}" in body


def test_a_cached_green_run_of_another_workflow_is_looked_up_again(app: FakeGitHub, tmp_path: Path) -> None:
    event = json.loads(EVENT.read_text(encoding="utf-8"))
    event["workflow_run"]["workflow_id"] = 777  # another workflow reporting on the same PR, with its own green run
    other = tmp_path / "other_workflow.json"
    other.write_text(json.dumps(event), encoding="utf-8")
    other_green = app.add_run("777", "main", "success", "2026-11-19T08:00:00Z", "7" * 40)
    app.add_job(other_green, "clippy", "success", log=GREEN_LOG)
    first = report(app, tmp_path, event=other)
    assert first.lookups() == 2
    assert "7" * 40 in first.comment

    add_green_run(app)
    second = report(app, tmp_path, "--run-attempt", "3")
    assert second.requests[f"GET {R}/actions/workflows/N/runs"] == 1
    assert second.lookups() == 2
    # A cache that does not fit costs its listing: 6 + the listing before comparing + the lookup's 2 + the log.
    assert second.api_calls == 6 + 4
    assert f"/compare/{GREEN_SHA}...{SHA}" in second.comment  # this workflow's green run, not the other's


def test_a_cached_green_run_older_than_the_max_age_is_looked_up_again(app: FakeGitHub, tmp_path: Path) -> None:
    add_green_run(app)
    report(app, tmp_path)
    newer_sha = "ab" * 20
    newer = app.add_run(WORKFLOW_ID, "main", "success", "2026-12-09T09:00:00Z", newer_sha)
    app.add_job(newer, "clippy", "success", log=GREEN_LOG)
    # Three weeks on: the cached run (2026-11-19) is older than 14 days; the branch has a newer green run.
    later = report(app, tmp_path, "--run-attempt", "3", now="2026-12-10T10:00:00Z")
    assert later.lookups() == 2
    assert f"/compare/{newer_sha}...{SHA}" in later.comment
    assert NEW_SINCE_GREEN.search(later.comment)


def test_a_comments_listing_refused_before_comparing_still_delivers_via_the_issue(
    app: FakeGitHub, tmp_path: Path
) -> None:
    add_green_run(app)
    report(app, tmp_path)
    app.faults.append(Fault("GET", f"{R}/issues/{PR}/comments", 401, body={"message": "Bad credentials"}))
    refused = report(app, tmp_path, "--run-attempt", "3")
    assert refused.lookups() == 2  # the cache could not be read: looked up
    assert NEW_SINCE_GREEN.search(refused.comment)
    # The listing is not tried twice: the token that was refused would be refused again. The chain moves on.
    assert refused.requests[COMMENTS] == 1
    assert refused.outputs["delivered-via"] == "issue"
    attempts = json.loads(refused.outputs["delivery-attempts"])
    assert [(a["channel"], a["status"]) for a in attempts] == [("comment", 401)]


def test_a_comments_listing_that_failed_on_a_server_error_is_tried_again_by_delivery(
    app: FakeGitHub, tmp_path: Path
) -> None:
    add_green_run(app)
    report(app, tmp_path)
    # Every attempt of the first listing fails (1 + 3 retries), then GitHub is back.
    app.faults.append(Fault("GET", f"{R}/issues/{PR}/comments", 502, body={"message": "Bad Gateway"}, times=4))
    flaky = report(app, tmp_path, "--run-attempt", "3")
    assert flaky.lookups() == 2
    assert flaky.outputs["delivered-via"] == "comment"
    assert json.loads(flaky.outputs["delivery-attempts"]) == []
    [body] = [c["body"] for c in app.bot_comments(PR)]
    assert "/actions/runs/1589141559/attempts/3" in body
