"""`nexus-autofix report --dry-run` end to end, with the classifier replaced by a small stand-in.

The stand-in takes every line of the log as a blocker (and as evidence), so whatever the log holds reaches
the report: that is what makes the redaction test meaningful whatever the real classifier picks.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from nexus_action.classify import classify_log
from nexus_action.classify.model import Blocker, Classification, Evidence
from nexus_action.cli import build_parser
from nexus_action.config.load import settings_from
from nexus_action.errors import NexusError
from nexus_action.flow import ReportRequest, run_report
from nexus_action.gather import parse_log_args
from nexus_action.report import read_state

EVENTS = Path(__file__).parent / "data" / "events"
FAILED_ON_PR = EVENTS / "derived" / "workflow_run.failed_on_pr.json"
FILES = ("comment.md", "issue.md", "summary.md", "outputs.json", "plan.json")
FORMATS = ("json", "slack_blocks", "teams_adaptive", "teams_messagecard")


def every_line(path: Any, **kw: Any) -> Classification:
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()]
    blockers = tuple(Blocker(i + 1, ln, "src/lib.rs", i + 1, step="Run tests") for i, ln in enumerate(lines))
    return Classification(
        domain="rust",
        agent="Rex",
        kind="lint",
        failure_type="rust_clippy",
        confidence=0.9,
        top_blocker=blockers[0] if blockers else None,
        blockers=blockers,
        evidence=tuple(Evidence("log", "r", ln, i + 1) for i, ln in enumerate(lines)),
    )


def run(
    argv: list[str],
    env: Mapping[str, str] | None = None,
    now: str = "2026-11-20T10:00:00Z",
    classify: Any = every_line,
) -> tuple[int, str]:
    env = dict(env or {})
    args = build_parser().parse_args(["report", *argv])
    out = io.StringIO()
    code = run_report(ReportRequest.of(args), env, settings_from(env, None), out, clock=lambda: now, classify=classify)
    return code, out.getvalue()


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "clippy.log"
    path.write_text("error: this `if` has identical blocks\n  --> src/lexer.rs:88:20\n", encoding="utf-8")
    return path


def test_dry_run_writes_every_file(tmp_path: Path, log: Path) -> None:
    out = tmp_path / "out"
    summary = tmp_path / "step_summary.md"
    code, printed = run(
        ["--dry-run", "--event", str(FAILED_ON_PR), "--log", f"clippy={log}", "--out", str(out), "--print", "comment"],
        {"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert code == 0
    for name in FILES:
        assert (out / name).is_file(), name
    for fmt in FORMATS:
        assert json.loads((out / "payloads" / f"{fmt}.json").read_text(encoding="utf-8"))
    assert printed.startswith("<!-- nexus:report -->")
    outputs = json.loads((out / "outputs.json").read_text(encoding="utf-8"))
    assert {k: outputs[k] for k in ("domain", "agent", "failure-type", "delivered-via", "transition")} == {
        "domain": "rust",
        "agent": "Rex",
        "failure-type": "rust_clippy",
        "delivered-via": "dry-run",
        "transition": "first_failure",
    }
    assert outputs["top-blocker"] == "error: this `if` has identical blocks"
    planned = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert planned["would_deliver_via"] == "comment"
    plan = planned["requests"]
    assert [(r["method"], r["status"]) for r in plan][:2] == [("GET", 200), ("POST", 201)]
    assert plan[1]["path"] == "/repos/octo-org/octo-repo/issues/42/comments"
    assert plan[1]["body_sha256"].startswith("sha256:")
    assert (out / "issue.md").read_text(encoding="utf-8").startswith("# NEXUS AutoFix report for PR #42\n")
    # the step summary is always written, and holds the report
    assert "Top blocker" in summary.read_text(encoding="utf-8")


def test_second_dry_run_with_previous_shows_transition_and_two_entry_history(tmp_path: Path, log: Path) -> None:
    first, second = tmp_path / "1", tmp_path / "2"
    run(["--dry-run", "--event", str(FAILED_ON_PR), "--log", f"clippy={log}", "--out", str(first)])
    other = tmp_path / "tests.log"
    other.write_text("FAILED tests/test_a.py::test_x - assert 1 == 2\n", encoding="utf-8")
    code, _ = run(
        [
            "--dry-run", "--event", str(FAILED_ON_PR), "--run-id", "1589141600", "--sha", "a" * 40,
            "--log", f"clippy={log}", "--log", f"unit-tests={other}",
            "--previous", str(first / "comment.md"), "--out", str(second),
        ],
        now="2026-11-20T11:00:00Z",
    )  # fmt: skip
    assert code == 0
    comment = (second / "comment.md").read_text(encoding="utf-8")
    assert "🔴 → 🔴 **Still red**" in comment
    assert "- 🆕 New: `unit-tests`" in comment
    assert "- ⏳ Still failing: `clippy` (2 attempts since 2026-11-20T10:00:00Z)" in comment
    assert "<summary>History (2 runs)</summary>" in comment
    state, warnings = read_state(comment)
    assert warnings == []
    assert len(state.history) == 2
    plan = json.loads((second / "plan.json").read_text(encoding="utf-8"))["requests"]
    assert plan[1]["method"] == "PATCH"  # an earlier comment exists: update it


def secret_values() -> dict[str, str]:
    # Built from pieces so this file holds no string a scanner flags.
    return {
        "ghp": "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
        "gho": "gho_" + "x" * 36,
        "ghu": "ghu_" + "Y" * 36,
        "ghs": "ghs_" + "z9" * 18,
        "ghr": "ghr_" + "R" * 40,
        "github_pat": "github_pat_" + "11ABCDEFG0" + "a" * 70,
        "aws": "AKIA" + "IOSFODNN7EXAMPLE",
        "slack_token": "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "slack_webhook": "https://hooks.slack.com/services/" + "T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "teams_webhook": "https://contoso.webhook.office.com/webhookb2/" + "abc@def/IncomingWebhook/123/456",
        "npm": "npm_" + "a" * 36,
        "pypi": "pypi-AgEIcHlwaS5vcmc" + "C" * 40,
        "jwt": "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "private_key": "MIIEpAIBAAKCAQEA" + "secretkeymaterial",
        "password": "hunter2" + "-correct-horse",
        "token": "tok" + "en-value-123456",
        "secret": "s3cr" + "et-value-98765",
        "cookie": "sessi" + "on=abcdef123456",
        "masked": "run-specific" + "-masked-value",
    }


def test_no_secret_reaches_any_output_file(tmp_path: Path) -> None:
    s = secret_values()
    log = tmp_path / "deploy.log"
    log.write_text(
        "\n".join(
            [
                f"error: push rejected for {s['ghp']}",
                f"oauth {s['gho']} user {s['ghu']} server {s['ghs']} refresh {s['ghr']}",
                f"fine-grained {s['github_pat']}",
                f"aws key {s['aws']}",
                f"slack {s['slack_token']} posting to {s['slack_webhook']}",
                f"teams {s['teams_webhook']}",
                f"npm {s['npm']} pypi {s['pypi']}",
                f"Authorization: Bearer {s['jwt']}",
                "-----BEGIN RSA PRIVATE KEY-----",
                s["private_key"],
                "-----END RSA PRIVATE KEY-----",
                f"password={s['password']} token: {s['token']} secret = {s['secret']}",
                f"Cookie: {s['cookie']}",
                f"using {s['masked']}",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    env = {"GITHUB_TOKEN": s["masked"], "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    code, printed = run(
        ["--dry-run", "--event", str(FAILED_ON_PR), "--log", f"deploy={log}", "--out", str(out), "--print", "issue"],
        env,
    )
    assert code == 0
    written = {p: p.read_text(encoding="utf-8") for p in [*out.rglob("*"), tmp_path / "summary"] if p.is_file()}
    written[Path("stdout")] = printed
    assert len(written) >= 10
    for path, text in written.items():
        for name, value in s.items():
            assert value not in text, f"{name} leaked into {path.name}"
    # and the report still says something useful
    assert "error: push rejected for ***" in written[out / "comment.md"]


def test_guard_no_exits_zero_with_the_reason_in_the_summary(tmp_path: Path, log: Path) -> None:
    event = json.loads(FAILED_ON_PR.read_text(encoding="utf-8"))
    event["workflow_run"]["conclusion"] = "success"
    path = tmp_path / "green.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    out, summary = tmp_path / "out", tmp_path / "summary.md"
    code, printed = run(
        ["--dry-run", "--event", str(path), "--log", str(log), "--out", str(out)], {"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert code == 0
    assert "no earlier report to mark as recovered" in summary.read_text(encoding="utf-8")
    assert "did nothing" in printed
    assert not (out / "comment.md").exists()


def test_green_run_with_previous_report_recovers(tmp_path: Path, log: Path) -> None:
    first = tmp_path / "1"
    run(["--dry-run", "--event", str(FAILED_ON_PR), "--log", f"clippy={log}", "--out", str(first)])
    event = json.loads(FAILED_ON_PR.read_text(encoding="utf-8"))
    event["workflow_run"].update(conclusion="success", id=1589141700)
    green = tmp_path / "green.json"
    green.write_text(json.dumps(event), encoding="utf-8")
    code, _ = run(
        ["--dry-run", "--event", str(green), "--previous", str(first / "comment.md"), "--out", str(tmp_path / "2")],
        now="2026-11-20T10:45:00Z",
    )
    assert code == 0
    comment = (tmp_path / "2" / "comment.md").read_text(encoding="utf-8")
    assert "✅ **Recovered**" in comment
    assert "time to fix 45 min" in comment
    plan = json.loads((tmp_path / "2" / "plan.json").read_text(encoding="utf-8"))["requests"]
    # list the run's jobs (none failed), find our comment, update it, re-read it (did another writer land
    # meanwhile?), look for a fallback issue to close
    assert [r["method"] for r in plan] == ["GET", "GET", "PATCH", "GET", "GET"]
    assert plan[0]["purpose"] == "list the run's failed jobs"
    # With an open fallback issue among what --previous says GitHub holds, the green run closes it.
    issue = {"id": 7, "number": 7, "title": "NEXUS AutoFix report for PR #42", "state": "open"}
    issue.update(user={"login": "github-actions[bot]"}, labels=[{"name": "nexus-autofix"}], body="old")
    body = (first / "comment.md").read_text(encoding="utf-8")
    comment = {"id": 3, "user": {"login": "github-actions[bot]"}, "body": body}
    threads = tmp_path / "threads.json"
    threads.write_text(json.dumps({"comments": [comment], "issues": [issue]}), encoding="utf-8")
    run(["--dry-run", "--event", str(green), "--previous", str(threads), "--out", str(tmp_path / "3")])
    plan = json.loads((tmp_path / "3" / "plan.json").read_text(encoding="utf-8"))["requests"]
    assert [(r["method"], r["path"]) for r in plan][-2:] == [
        ("POST", "/repos/octo-org/octo-repo/issues/7/comments"),
        ("PATCH", "/repos/octo-org/octo-repo/issues/7"),
    ]


def test_flags_without_an_event_file(tmp_path: Path, log: Path) -> None:
    out = tmp_path / "out"
    code, _ = run(
        [
            "--dry-run",
            "--repo",
            "me/proj",
            "--pr",
            "7",
            "--sha",
            "b" * 40,
            "--run-id",
            "99",
            "--log",
            str(log),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    comment = (out / "comment.md").read_text(encoding="utf-8")
    assert "https://github.com/me/proj/pull/7/checks" in comment
    assert "https://github.com/me/proj/actions/runs/99" in comment
    assert "**clippy**" in comment  # job name from the file stem


def test_a_missing_log_still_yields_a_report_that_says_so(tmp_path: Path) -> None:
    # A step before the `tee` failed (checkout, npm ci): the log file was never written.
    argv = ["--dry-run", "--event", str(FAILED_ON_PR), "--log", f"build={tmp_path / 'nope.log'}"]
    code, _printed = run([*argv, "--out", str(tmp_path / "a")], classify=classify_log)
    assert code == 0
    comment = (tmp_path / "a" / "comment.md").read_text(encoding="utf-8")
    assert "`build`" in comment
    assert "the log of job build was not available" in (tmp_path / "a" / "summary.md").read_text(encoding="utf-8")


def test_a_failed_run_with_no_log_and_no_job_listed_is_reported_failed(tmp_path: Path) -> None:
    code, _ = run(["--dry-run", "--event", str(FAILED_ON_PR), "--out", str(tmp_path / "b")], classify=classify_log)
    assert code == 0
    comment = (tmp_path / "b" / "comment.md").read_text(encoding="utf-8")
    assert "The run failed" in comment
    assert "no failed job could be listed" in comment
    assert "Recovered" not in comment


def test_live_run_without_token_fails_after_writing_the_summary(tmp_path: Path, log: Path) -> None:
    summary = tmp_path / "summary.md"
    with pytest.raises(NexusError) as err:
        run(
            ["--event", str(FAILED_ON_PR), "--log", str(log), "--out", str(tmp_path / "o")],
            {"GITHUB_STEP_SUMMARY": str(summary)},
        )
    assert err.value.code == "NEXUS-TOKEN-MISSING"
    assert "Top blocker" in summary.read_text(encoding="utf-8")


def test_log_args(tmp_path: Path) -> None:
    plain = tmp_path / "build.log"
    plain.write_text("x", encoding="utf-8")
    odd = tmp_path / "a=b.log"
    odd.write_text("x", encoding="utf-8")
    parsed = parse_log_args([str(plain), f"my job={plain}", str(odd)])
    assert [(p.job, p.path.name) for p in parsed] == [
        ("build", "build.log"),
        ("my job", "build.log"),
        ("a=b", "a=b.log"),
    ]


def test_ignored_jobs_are_left_out(tmp_path: Path, log: Path) -> None:
    out = tmp_path / "out"
    other = tmp_path / "docs.log"
    other.write_text("error: link check failed\n", encoding="utf-8")
    code, printed = run(
        [
            "--dry-run",
            "--event",
            str(FAILED_ON_PR),
            "--log",
            f"clippy={log}",
            "--log",
            f"docs={other}",
            "--out",
            str(out),
        ],
        {"AUTOFIX_IGNORE_JOBS": "doc*"},
    )
    assert code == 0
    assert "docs" not in (out / "comment.md").read_text(encoding="utf-8").split("<!-- nexus:state")[0]
    assert "job docs left out by AUTOFIX_IGNORE_JOBS" in printed


DEMO = Path(__file__).parent / "data" / "reports" / "demo"


def _real(argv: list[str], now: str = "2026-11-20T10:00:00Z") -> str:
    args = build_parser().parse_args(["report", *argv])
    out = io.StringIO()
    assert run_report(ReportRequest.of(args), {}, settings_from({}, None), out, clock=lambda: now) == 0
    return out.getvalue()


def test_demo_with_the_real_classifier_twice(tmp_path: Path) -> None:
    """The `make demo` case (copied from examples/demo), then a second run where the unit tests were fixed."""
    event, clippy, tests = DEMO / "event.json", DEMO / "clippy.log", DEMO / "pytest.log"
    first = tmp_path / "1"
    printed = _real(
        ["--dry-run", "--event", str(event), "--log", f"clippy={clippy}", "--log", f"unit-tests={tests}",
         "--out", str(first), "--print", "comment"]
    )  # fmt: skip
    assert printed.startswith("<!-- nexus:report -->")
    outputs = json.loads((first / "outputs.json").read_text(encoding="utf-8"))
    # which job leads depends on the classifier's confidences; the outputs follow the leading job
    assert (outputs["domain"], outputs["agent"]) in {("rust", "Rex"), ("python", "Atlas")}
    assert outputs["top-blocker"] in (first / "comment.md").read_text(encoding="utf-8")
    comment = (first / "comment.md").read_text(encoding="utf-8")
    assert "| clippy | rust | lint | Rex |" in comment
    assert "| unit-tests | python | test | Atlas |" in comment
    second = tmp_path / "2"
    _real(
        ["--dry-run", "--event", str(event), "--run-id", "1589141999", "--log", f"clippy={clippy}",
         "--previous", str(first / "comment.md"), "--out", str(second)],
        now="2026-11-20T10:30:00Z",
    )  # fmt: skip
    comment = (second / "comment.md").read_text(encoding="utf-8")
    assert "- ✅ Fixed: `unit-tests`" in comment
    assert "- ⏳ Still failing: `clippy` (2 attempts since 2026-11-20T10:00:00Z)" in comment
    assert "<summary>History (2 runs)</summary>" in comment


def test_ten_thousand_line_log_through_the_real_classifier(tmp_path: Path) -> None:
    lines = [f"2026-11-20T10:00:00.0000000Z   Compiling crate-{i} v0.1.{i}" for i in range(10_000)]
    lines[7000] = "2026-11-20T10:00:00.0000000Z error[E0308]: mismatched types"
    lines[7001] = "2026-11-20T10:00:00.0000000Z   --> src/main.rs:12:5"
    log = tmp_path / "build.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    _real(["--dry-run", "--repo", "me/proj", "--pr", "3", "--sha", "c" * 40, "--log", str(log), "--out", str(out)])
    comment = (out / "comment.md").read_text(encoding="utf-8")
    assert len(comment) < 60_000
    assert "error[E0308]: mismatched types" in comment
    assert f"https://github.com/me/proj/blob/{'c' * 40}/src/main.rs#L12" in comment
    assert "log lines 7001–" in comment  # the error opens a block (its `-->` line and what follows)


def test_same_attempt_twice_plans_one_webhook_alert(tmp_path: Path, log: Path) -> None:
    env = {
        "AUTOFIX_ALERT_WEBHOOK_ENABLED": "true",
        "AUTOFIX_ALERT_WEBHOOK_URL": "https://hooks.slack.com/services/" + "T0/B0/abcdefabcdef",
        "AUTOFIX_ALERT_WEBHOOK_ON": "always",
    }
    first, second = tmp_path / "1", tmp_path / "2"
    run(["--dry-run", "--event", str(FAILED_ON_PR), "--log", f"clippy={log}", "--out", str(first)], env)
    _, printed = run(
        ["--dry-run", "--event", str(FAILED_ON_PR), "--log", f"clippy={log}", "--out", str(second),
         "--previous", str(first / "comment.md")],
        env,
    )  # fmt: skip

    def webhooks(folder: Path) -> list[dict[str, Any]]:
        plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))["requests"]
        return [r for r in plan if r["path"].startswith("https://")]

    assert [w["path"] for w in webhooks(first)] == ["https://hooks.slack.com/***"]
    assert webhooks(second) == []
    assert "was already reported" in printed
    state, _ = read_state((second / "comment.md").read_text(encoding="utf-8"))
    assert len(state.history) == 1


def test_our_own_fix_dispatch_ends_quietly_without_reporting(tmp_path: Path, log: Path) -> None:
    event = tmp_path / "dispatch.json"
    payload = {"action": "nexus-autofix", "repository": {"full_name": "octo-org/octo-repo"}, "client_payload": {}}
    event.write_text(json.dumps(payload), encoding="utf-8")
    out, summary = tmp_path / "out", tmp_path / "summary.md"
    argv = ["--dry-run", "--event", str(event), "--event-name", "repository_dispatch", "--log", str(log)]
    code, printed = run([*argv, "--out", str(out)], {"GITHUB_STEP_SUMMARY": str(summary)})
    assert code == 0
    assert "did nothing" in printed
    assert "this action's own fix request" in summary.read_text(encoding="utf-8")
    assert not (out / "comment.md").exists()


def test_overview_shows_classification_comment_issue_and_payloads_with_the_state_folded(
    tmp_path: Path, log: Path
) -> None:
    out = tmp_path / "out"
    code, printed = run(
        ["--dry-run", "--event", str(FAILED_ON_PR), "--log", f"clippy={log}", "--out", str(out), "--print", "overview"]
    )
    assert code == 0
    for heading in ("== Classification", "== PR comment", "== Fallback issue", "== Webhook payloads"):
        assert heading in printed
    assert "clippy: " in printed
    assert "NEXUS AutoFix report for PR #" in printed
    assert "slack_blocks.json" in printed
    assert "teams_adaptive.json" in printed
    assert "characters of base64 JSON) -->" in printed
    state_line = next(ln for ln in (out / "comment.md").read_text(encoding="utf-8").splitlines() if "nexus:state" in ln)
    assert state_line not in printed  # the raw base64 stays in the file, off the terminal


def test_a_run_testing_a_requested_fix_is_labelled_in_the_report(tmp_path: Path, log: Path) -> None:
    event = json.loads(FAILED_ON_PR.read_text(encoding="utf-8"))
    event["workflow_run"]["head_commit"]["message"] = "Fix the lexer\n\nNexus-Fix-Request: nx-42-7f3a\n"
    path = tmp_path / "fix.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    out = tmp_path / "out"
    code, _ = run(["--dry-run", "--event", str(path), "--log", f"clippy={log}", "--out", str(out)])
    assert code == 0
    comment = (out / "comment.md").read_text(encoding="utf-8")
    assert "This run tests a fix NEXUS AutoFix requested" in comment
    assert "nx-42-7f3a" in comment


def test_an_ordinary_run_carries_no_fix_label(tmp_path: Path, log: Path) -> None:
    out = tmp_path / "out"
    run(["--dry-run", "--event", str(FAILED_ON_PR), "--log", f"clippy={log}", "--out", str(out)])
    assert "tests a fix" not in (out / "comment.md").read_text(encoding="utf-8")
