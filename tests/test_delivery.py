"""`nexus-autofix report` live (no --dry-run), end to end against the local stand-in GitHub.

Real report renderer and flow; GitHub is the stand-in (tests/fakegithub) and the classifier a small
stand-in too (the real one has its own golden tests, and its rules change independently), so
what is checked here is what a user sees: one sticky comment updated in place, the steady-state call
count, the fallback issue reopened / appended / closed, the summary and --out always holding the
report, and the exit code under fail-on-error. `time.sleep` is replaced so nothing can really wait: the short
settle before the re-read that follows a write is recorded, and anything longer fails the test.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nexus_action.cli import build_parser
from nexus_action.config.load import settings_from
from nexus_action.errors import NexusError
from nexus_action.flow import ReportRequest, run_report
from nexus_action.github.threads import SETTLE_MAX
from nexus_action.report.state import is_report_body
from tests.fakegithub.scenarios import LOG, classify
from tests.fakegithub.server import FakeGitHub, Fault

EVENT = Path(__file__).parent / "data" / "events" / "derived" / "workflow_run.failed_on_pr.json"
SHA = "5779607b49aab1200488439f02372c57b4f75444"
RUN_ID = 1589141559
PR = 42
TITLE = "NEXUS AutoFix report for PR #42"


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    def no_real_sleep(seconds: float) -> None:
        if seconds > SETTLE_MAX * 1.5:
            raise AssertionError(f"tried to really sleep {seconds}s")

    monkeypatch.setattr("time.sleep", no_real_sleep)
    fake = FakeGitHub()
    fake.start("/api/v3")
    fake.add_pr(PR, SHA, ("src/lib.rs",))
    yield fake
    fake.stop()


def fail_job(app: FakeGitHub) -> None:
    app.add_job(RUN_ID, "clippy", "failure", log=LOG, step="Run cargo clippy")


def report(
    app: FakeGitHub, tmp_path: Path, *flags: str, event: Path = EVENT, **env_extra: str
) -> tuple[int, dict[str, Any], str]:
    out_dir = tmp_path / "out"
    summary = tmp_path / "summary.md"
    summary.unlink(missing_ok=True)
    env = {
        "GITHUB_API_URL": app.base_url,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_TOKEN": "ghs_live_test_token_123",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        # The comparison with the last green run and its calls are tested in test_flow_green.py.
        "AUTOFIX_COMPARE_WITH_GREEN": "false",
        **env_extra,
    }
    args = build_parser().parse_args(["report", "--event", str(event), "--out", str(out_dir), *flags])
    code = run_report(
        ReportRequest.of(args),
        env,
        settings_from(env, None),
        io.StringIO(),
        clock=lambda: "2026-11-20T10:00:00Z",
        classify=classify,
    )
    outputs = json.loads((out_dir / "outputs.json").read_text(encoding="utf-8"))
    return code, outputs, summary.read_text(encoding="utf-8")


def api_calls_seen(app: FakeGitHub, since: int = 0) -> int:
    return len([p for _, p in app.seen[since:] if not p.startswith("/_blobs/")])


def test_first_and_repeat_failure_keep_one_comment_updated_in_six_calls(app: FakeGitHub, tmp_path: Path) -> None:
    fail_job(app)
    code, outputs, summary = report(app, tmp_path)
    assert code == 0
    assert outputs["delivered-via"] == "comment"
    [comment] = app.bot_comments(PR)
    assert is_report_body(comment["body"])
    assert outputs["comment-url"] == comment["html_url"]
    assert "clippy" in comment["body"]
    assert "### Delivery" in summary
    assert "clippy" in summary

    # The same run attempt again (a re-run of the reporting job): its state is already there, nothing is written.
    before = len(app.seen)
    code, outputs, _ = report(app, tmp_path)
    assert code == 0
    assert outputs["api-calls"] == "4"
    assert not [m for m, _ in app.seen[before:] if m != "GET"]

    # Steady state, the next run: jobs, log, changed files, our comment's listing, the update, and the one
    # re-read after it (the only call the convergence adds).
    app.add_job(RUN_ID + 1, "clippy", "failure", log=LOG, step="Run cargo clippy")
    before = len(app.seen)
    code, outputs, _ = report(app, tmp_path, "--run-id", str(RUN_ID + 1))
    assert code == 0
    assert len(app.bot_comments(PR)) == 1
    assert app.bot_comments(PR)[0]["id"] == comment["id"]
    assert outputs["api-calls"] == "6"
    assert api_calls_seen(app, before) == 6
    calls = [m for m, p in app.seen[before:] if not p.startswith("/_blobs/")]
    assert calls == ["GET", "GET", "GET", "GET", "PATCH", "GET"]


def test_green_run_updates_the_comment_and_closes_our_issue(app: FakeGitHub, tmp_path: Path) -> None:
    fail_job(app)
    report(app, tmp_path)
    app.labels["nexus-autofix"] = {"name": "nexus-autofix", "color": "d73a4a"}
    issue = app.add_issue(TITLE, "<!-- nexus:report -->\nold", "github-actions[bot]", ["nexus-autofix"])
    app.jobs[RUN_ID][0].update(conclusion="success")
    code, outputs, summary = report(app, tmp_path, event=green_event(tmp_path))
    assert code == 0
    assert outputs["delivered-via"] == "comment"
    assert issue["state"] == "closed"
    assert "passed again" in app.comments[issue["number"]][-1]["body"]
    assert "closed the fallback issue" in summary


def green_event(tmp_path: Path) -> Path:
    payload = json.loads(EVENT.read_text(encoding="utf-8"))
    payload["workflow_run"]["conclusion"] = "success"
    path = tmp_path / "green.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_a_failed_run_whose_jobs_show_no_failure_is_never_called_green(app: FakeGitHub, tmp_path: Path) -> None:
    fail_job(app)
    report(app, tmp_path)
    app.labels["nexus-autofix"] = {"name": "nexus-autofix", "color": "d73a4a"}
    issue = app.add_issue(TITLE, "<!-- nexus:report -->\nold", "github-actions[bot]", ["nexus-autofix"])
    # The next run concluded failure, but its only listed job was cancelled. (A run attempt cannot lose a job it
    # was reported failing with: the state unions what every writer saw of it, so this is a new run.)
    app.add_job(RUN_ID + 1, "clippy", "cancelled", log=LOG, step="Run cargo clippy")
    code, outputs, summary = report(app, tmp_path, "--run-id", str(RUN_ID + 1))
    assert code == 0
    assert outputs["delivered-via"] == "comment"
    assert issue["state"] == "open"
    comment = app.comments[PR][0]["body"]
    assert "Recovered" not in comment
    assert "All jobs pass" not in comment
    assert "The run failed" in comment
    assert "no failed job could be listed" in comment
    assert "concluded failure" in summary


def test_locked_pr_reopens_our_closed_issue_and_appends_history(app: FakeGitHub, tmp_path: Path) -> None:
    fail_job(app)
    app.locked.add(PR)
    app.labels["nexus-autofix"] = {"name": "nexus-autofix", "color": "d73a4a"}
    issue = app.add_issue(TITLE, "<!-- nexus:report -->\nold", "github-actions[bot]", ["nexus-autofix"], "closed")
    code, outputs, summary = report(app, tmp_path, AUTOFIX_COMMENT_ISSUE_APPEND="true")
    assert code == 0
    assert outputs["delivered-via"] == "issue"
    assert outputs["issue-url"] == issue["html_url"]
    assert issue["state"] == "open"
    assert is_report_body(issue["body"])
    assert len(app.comments[issue["number"]]) == 1  # the history entry, as an issue comment
    assert "locked" in summary


def test_every_channel_refused_keeps_the_report_and_exits_by_fail_on_error(app: FakeGitHub, tmp_path: Path) -> None:
    fail_job(app)
    app.faults.append(Fault("GET", r"/repos/[^/]+/[^/]+/issues(/\d+/comments)?", 403, body={"message": "Forbidden"}))
    code, outputs, summary = report(app, tmp_path)
    assert code == 0  # default: report, but keep the workflow's colour
    assert outputs["delivered-via"] == "summary-only"
    assert "NEXUS-TOKEN-FORBIDDEN" in summary
    assert "clippy" in summary  # the full report is there
    assert "clippy" in (tmp_path / "out" / "comment.md").read_text(encoding="utf-8")
    with pytest.raises(NexusError) as err:
        report(app, tmp_path, AUTOFIX_FAIL_ON_ERROR="true")
    assert err.value.code == "NEXUS-DELIVERY-FAILED"
    assert err.value.exit_code == 5


def test_a_comment_by_someone_else_with_our_marker_is_left_alone(app: FakeGitHub, tmp_path: Path) -> None:
    fail_job(app)
    forged = app.add_comment(PR, "<!-- nexus:report -->\nforged", "mallory")
    report(app, tmp_path)
    assert forged["body"] == "<!-- nexus:report -->\nforged"
    assert len(app.bot_comments(PR)) == 1


def test_green_workflow_run_without_an_earlier_report_posts_nothing(app: FakeGitHub, tmp_path: Path) -> None:
    event = json.loads(EVENT.read_text(encoding="utf-8"))
    event["workflow_run"]["conclusion"] = "success"
    green = tmp_path / "green.json"
    green.write_text(json.dumps(event), encoding="utf-8")
    app.add_job(RUN_ID, "clippy", "success", log=b"ok\n")
    env = {
        "GITHUB_API_URL": app.base_url,
        "GITHUB_TOKEN": "ghs_live_test_token_123",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    args = build_parser().parse_args(["report", "--event", str(green), "--out", str(tmp_path / "out")])
    code = run_report(
        ReportRequest.of(args),
        env,
        settings_from(env, None),
        io.StringIO(),
        clock=lambda: "2026-11-20T10:00:00Z",
        classify=classify,
    )
    assert code == 0
    assert app.bot_comments(PR) == []
    assert not [m for m, _ in app.seen if m != "GET"]
    assert "no earlier report" in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_an_unexpected_error_in_delivery_still_leaves_the_report(
    app: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_job(app)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr("nexus_action.flow.deliver_report", broken)
    with pytest.raises(KeyError):
        report(app, tmp_path)
    assert "clippy" in (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "clippy" in (tmp_path / "out" / "comment.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("status", "via"), [(200, "webhook"), (400, "summary-only")])
def test_webhook_is_the_last_resort(
    app: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int, via: str
) -> None:
    from nexus_action.notify.send import WebhookOutcome, WebhookSender

    posted: list[dict[str, Any]] = []

    def post(self: WebhookSender, url: str, payload: dict[str, Any]) -> WebhookOutcome:
        posted.append(payload)
        ok = status < 300
        return WebhookOutcome(status, ok, ok, 1, 0.0, "ok" if ok else "invalid_blocks")

    monkeypatch.setattr(WebhookSender, "post", post)
    fail_job(app)
    app.faults.append(Fault("GET", r"/repos/[^/]+/[^/]+/issues(/\d+/comments)?", 403, body={"message": "Forbidden"}))
    hook = {
        "AUTOFIX_ALERT_WEBHOOK_ENABLED": "true",
        "AUTOFIX_ALERT_WEBHOOK_URL": "https://hooks.example/services/T/B/X",
    }
    code, outputs, summary = report(app, tmp_path, **hook)
    assert code == 0
    assert outputs["delivered-via"] == via
    assert len(posted) == 1
    attempts = json.loads(outputs["delivery-attempts"])
    assert [a["channel"] for a in attempts] == (
        ["comment", "issue"] if status < 300 else ["comment", "issue", "webhook"]
    )
    if status >= 300:
        assert attempts[-1]["status"] == 400
        assert attempts[-1]["code"] == "NEXUS-WEBHOOK-REJECTED"
    assert "hooks.example/services" not in summary  # the webhook URL never shows


def test_the_same_run_attempt_twice_sends_one_webhook_alert(
    app: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nexus_action.notify.send import WebhookOutcome, WebhookSender

    posted: list[dict[str, Any]] = []

    def post(self: WebhookSender, url: str, payload: dict[str, Any]) -> WebhookOutcome:
        posted.append(payload)
        return WebhookOutcome(200, True, True, 1, 0.0, "ok")

    monkeypatch.setattr(WebhookSender, "post", post)
    fail_job(app)
    hook = {
        "AUTOFIX_ALERT_WEBHOOK_ENABLED": "true",
        "AUTOFIX_ALERT_WEBHOOK_URL": "https://hooks.example/services/T/B/X",
        "AUTOFIX_ALERT_WEBHOOK_ON": "always",
    }
    report(app, tmp_path, **hook)
    report(app, tmp_path, **hook)  # a re-run of the reporting job: same run, same attempt
    assert len(posted) == 1
    assert len(app.bot_comments(PR)) == 1


def test_a_muted_pr_keeps_its_comment_as_it_is(app: FakeGitHub, tmp_path: Path) -> None:
    from dataclasses import replace

    from nexus_action.config.settings import load_settings
    from nexus_action.report import render_comment
    from nexus_action.report.derive import read_state
    from nexus_action.report.document import Flag, StateDoc, merge

    fail_job(app)
    report(app, tmp_path)
    [comment] = app.bot_comments(PR)
    state, _ = read_state(comment["body"])
    muted_doc = merge(state.doc or StateDoc(), StateDoc(muted=Flag(True, "2026-11-20T10:00:00Z", 1)))
    muted_body = render_comment(replace(state, muted=True, doc=muted_doc), settings=load_settings({}))
    comment["body"] = muted_body
    before = len(app.seen)
    code, outputs, summary = report(app, tmp_path)
    assert code == 0
    assert comment["body"] == muted_body
    assert outputs["delivered-via"] == "summary-only"
    assert "muted" in summary
    assert not [m for m, _ in app.seen[before:] if m != "GET"]  # nothing written, no fallback issue


def push_report(app: FakeGitHub, tmp_path: Path, conclusion: str, run_id: int = 777) -> str:
    """A push run with no PR and the dashboard on; returns the step summary."""
    push = Path(__file__).parent / "data" / "events" / "push.json"
    payload = json.loads(push.read_text(encoding="utf-8"))
    event = tmp_path / "push.json"
    event.write_text(json.dumps(payload[0] if isinstance(payload, list) else payload), encoding="utf-8")
    app.add_job(run_id, "build", conclusion, log=LOG if conclusion == "failure" else b"ok\n", step="Run cargo clippy")
    summary = tmp_path / "summary.md"
    summary.unlink(missing_ok=True)
    env = {
        "GITHUB_API_URL": app.base_url,
        "GITHUB_TOKEN": "ghs_live_test_token_123",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_RUN_ID": str(run_id),
        "GITHUB_REPOSITORY": app.repository,
        "AUTOFIX_DASHBOARD_ENABLED": "true",
    }
    args = build_parser().parse_args(
        ["report", "--event", str(event), "--event-name", "push", "--repo", app.repository, "--out", str(tmp_path)]
    )
    code = run_report(
        ReportRequest.of(args),
        env,
        settings_from(env, None),
        io.StringIO(),
        clock=lambda: "2026-11-20T10:00:00Z",
        classify=classify,
    )
    assert code == 0
    return summary.read_text(encoding="utf-8")


def dashboards(app: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in app.issues.values() if {"name": "ci-failures"} in i["labels"]]


def test_a_failed_push_with_no_pr_updates_the_dashboard_issue(app: FakeGitHub, tmp_path: Path) -> None:
    summary = push_report(app, tmp_path, "failure")
    assert len(dashboards(app)) == 1
    assert "build" in dashboards(app)[0]["body"]
    assert "dashboard issue created" in summary


def test_a_green_push_with_no_open_failure_creates_no_dashboard(app: FakeGitHub, tmp_path: Path) -> None:
    summary = push_report(app, tmp_path, "success")
    assert dashboards(app) == []
    assert "dashboard: nothing to record" in summary


def test_a_green_push_after_a_failure_updates_the_dashboard(app: FakeGitHub, tmp_path: Path) -> None:
    push_report(app, tmp_path, "failure")
    body_before = dashboards(app)[0]["body"]
    summary = push_report(app, tmp_path, "success", run_id=778)
    assert len(dashboards(app)) == 1
    assert dashboards(app)[0]["body"] != body_before
    assert "dashboard issue updated" in summary


@pytest.mark.parametrize(
    ("status", "body"), [(401, {"message": "Bad credentials"}), (503, {"message": "down"}), (502, b"<html>bad</html>")]
)
def test_an_unreadable_job_list_still_delivers_the_full_report_and_tries_the_webhook(
    app: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int, body: Any
) -> None:
    from nexus_action.notify.send import WebhookOutcome, WebhookSender

    posted: list[dict[str, Any]] = []

    def post(self: WebhookSender, url: str, payload: dict[str, Any]) -> WebhookOutcome:
        posted.append(payload)
        return WebhookOutcome(200, True, True, 1, 0.0, "ok")

    monkeypatch.setattr(WebhookSender, "post", post)
    monkeypatch.setattr("time.sleep", lambda _s: None)  # the 5xx retries' backoff
    fail_job(app)
    app.faults.append(Fault("GET", r"/repos/[^/]+/[^/]+/actions/runs/\d+/jobs", status, body=body))
    forbidden = Fault("GET", r"/repos/[^/]+/[^/]+/issues(/\d+/comments)?", 403, body={"message": "Forbidden"})
    app.faults.append(forbidden)
    hook = {"AUTOFIX_ALERT_WEBHOOK_ENABLED": "true", "AUTOFIX_ALERT_WEBHOOK_URL": "https://hooks.example/x/y/z"}
    code, outputs, summary = report(app, tmp_path, **hook)
    assert code == 0
    assert outputs["delivered-via"] == "webhook"
    assert len(posted) == 1
    comment = (tmp_path / "out" / "comment.md").read_text(encoding="utf-8")
    assert "The run failed" in comment
    assert "the run's jobs could not be read" in comment
    assert "Recovered" not in summary
    assert "### Delivery" in summary


@pytest.mark.parametrize("body", ["<html>oops</html>", {"jobs": "x"}, {}, [1, 2]])
def test_a_job_list_answer_that_cannot_be_read_is_never_a_green_run(app: FakeGitHub, tmp_path: Path, body: Any) -> None:
    fail_job(app)
    report(app, tmp_path)  # an earlier report exists, so a green verdict would update it to "Recovered"
    app.faults.append(Fault("GET", r"/repos/[^/]+/[^/]+/actions/runs/\d+/jobs", 200, body=body))
    payload = json.loads(EVENT.read_text(encoding="utf-8"))
    payload["workflow_run"]["conclusion"] = None  # as a final job sees its own run: not concluded yet
    payload["workflow_run"]["id"] = RUN_ID + 1  # the next run (an attempt never loses a job reported failing)
    unknown = tmp_path / "running.json"
    unknown.write_text(json.dumps(payload), encoding="utf-8")
    code, _, summary = report(app, tmp_path, event=unknown)
    assert code == 0
    comment = app.comments[PR][0]["body"]
    assert "could not be read" in comment
    assert "could not be read" in summary
    assert "All jobs pass" not in comment
    assert "Recovered" not in comment


def test_as_a_last_step_a_log_file_never_written_is_said_in_the_report(app: FakeGitHub, tmp_path: Path) -> None:
    # The job's own log is not downloadable while it runs (404), and a step before the `tee` failed.
    app.add_job(RUN_ID, "clippy", "failure", log=None, step="Run cargo clippy")
    missing = tmp_path / "never-written.log"
    out_dir = tmp_path / "out"
    env = {
        "GITHUB_API_URL": app.base_url,
        "GITHUB_TOKEN": "ghs_live_test_token_123",
        "GITHUB_ACTIONS": "true",
        "RUNNER_NAME": "runner-1",
        "AUTOFIX_COMPARE_WITH_GREEN": "false",
    }
    args = build_parser().parse_args(
        ["report", "--event", str(EVENT), "--log", f"clippy={missing}", "--out", str(out_dir)]
    )
    code = run_report(ReportRequest.of(args), env, settings_from(env, None), io.StringIO(), classify=classify)
    assert code == 0
    assert "the log of job clippy was not available" in (out_dir / "summary.md").read_text(encoding="utf-8")
    assert "clippy" in app.comments[PR][0]["body"]
