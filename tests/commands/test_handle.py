"""The `nexus-autofix command` edge: event in, plan/outputs out. Dry runs only: nothing here touches a network."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from nexus_action.cli import main
from nexus_action.commands.execute import RunRef
from nexus_action.commands.handle import RepoTemplates, handle_comment
from nexus_action.commands.plan import OfflineReads, PlannedOps
from nexus_action.config.settings import Settings
from nexus_action.errors import NexusError
from nexus_action.github.threads import Post
from nexus_action.report import render_comment
from nexus_action.report.state import ReportState
from nexus_action.runner.context import CommentInfo, RunContext
from tests.commands.builders import HEAD, snapshot

EVENT = Path(__file__).resolve().parents[1] / "data" / "events" / "derived" / "issue_comment.retry_on_pr.json"
BASE_ENV = {"PATH": "/usr/bin:/bin"}


def event(tmp_path: Path, **changes: Any) -> Path:
    payload = json.loads(EVENT.read_text(encoding="utf-8"))
    payload = copy.deepcopy(payload)
    for dotted, value in changes.items():
        target = payload
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def previous(tmp_path: Path) -> Path:
    body = render_comment(ReportState(latest=snapshot()), settings=Settings())
    path = tmp_path / "previous.md"
    path.write_text(body, encoding="utf-8")
    return path


def run_cli(
    tmp_path: Path, *extra: str, env: Mapping[str, str] = BASE_ENV
) -> tuple[int, dict[str, Any], dict[str, Any]]:
    out = tmp_path / "out"
    code = main(["command", "--dry-run", "--out", str(out), *extra], env=dict(env))
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8")) if (out / "plan.json").exists() else {}
    outputs = json.loads((out / "outputs.json").read_text(encoding="utf-8")) if (out / "outputs.json").exists() else {}
    return code, plan, outputs


def test_dry_run_retry_plans_every_request_in_order(tmp_path: Path) -> None:
    code, plan, outputs = run_cli(tmp_path, "--event", str(EVENT), "--previous", str(previous(tmp_path)))
    assert code == 0
    writes = [(r["method"], r["path"].split("/Hello-World", 1)[1]) for r in plan["requests"] if r["method"] != "GET"]
    assert writes == [
        ("POST", "/issues/comments/492700400/reactions"),
        ("PATCH", "/issues/comments/0"),  # the claim on a retry of this commit, written before acting on it
        ("POST", "/actions/runs/99/rerun-failed-jobs"),
        ("PATCH", "/issues/comments/0"),
        ("POST", "/issues/comments/492700400/reactions"),
    ]
    assert [r["body"]["content"] for r in plan["requests"] if r["path"].endswith("/reactions")] == ["eyes", "rocket"]
    assert all(r["source"] == "assumed offline" for r in plan["requests"] if r["method"] == "GET")
    assert outputs["command-status"] == "ok"
    assert json.loads(outputs["retried-runs"]) == [99]
    assert plan["results"][0]["command"] == "/nexus retry"


def test_dry_run_fix_shows_the_dispatch_in_plan_and_outputs(tmp_path: Path) -> None:
    path = event(tmp_path, comment__body="/nexus fix blaze")
    code, plan, outputs = run_cli(tmp_path, "--event", str(path), "--previous", str(previous(tmp_path)))
    assert code == 0
    (dispatch,) = [r for r in plan["requests"] if r["path"].endswith("/dispatches")]
    assert dispatch["body"]["event_type"] == "nexus-autofix"
    assert dispatch["body"]["client_payload"]["agent"] == "Blaze"
    assert outputs["fix-agent"] == "Blaze"
    assert json.loads(outputs["fix-request"]) == dispatch["body"]["client_payload"]


def test_comments_on_plain_issues_and_edited_comments_do_nothing(tmp_path: Path) -> None:
    for changes in ({"issue__pull_request": None}, {"action": "edited"}):
        path = event(tmp_path, **changes)
        code, plan, outputs = run_cli(tmp_path, "--event", str(path))
        assert code == 0
        assert plan["requests"] == []
        assert outputs["command-status"] == "ignored"


def test_the_actions_own_comment_is_ignored_without_a_reaction(tmp_path: Path) -> None:
    path = event(tmp_path, comment__user__login="github-actions[bot]", comment__user__type="Bot")
    code, plan, _ = run_cli(tmp_path, "--event", str(path))
    assert code == 0
    assert plan["requests"] == []
    assert "NEXUS AutoFix itself" in plan["reason"]


def test_a_read_only_author_is_refused_out_loud(tmp_path: Path) -> None:
    path = event(tmp_path, comment__author_association="NONE")
    _, plan, outputs = run_cli(tmp_path, "--event", str(path), "--previous", str(previous(tmp_path)))
    assert outputs["command-status"] == "refused"
    reactions = [r["body"]["content"] for r in plan["requests"] if r["path"].endswith("/reactions")]
    assert reactions == ["eyes", "confused"]
    assert not [r for r in plan["requests"] if "rerun" in r["path"]]


def test_other_events_are_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workflow_run = EVENT.parent / "workflow_run.failed_on_pr.json"
    code = main(["command", "--dry-run", "--event", str(workflow_run), "--out", str(tmp_path)], env=BASE_ENV)
    assert code == 2
    assert "NEXUS-EVENT-UNSUPPORTED" in capsys.readouterr().err


def test_without_a_token_a_real_run_stops_before_any_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["command", "--event", str(EVENT), "--out", str(tmp_path)], env=BASE_ENV)
    assert code == 2
    assert "NEXUS-TOKEN-MISSING" in capsys.readouterr().err


def test_outputs_go_to_github_output_on_the_runner(tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    env = {**BASE_ENV, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    code, _, _ = run_cli(tmp_path, "--event", str(EVENT), env=env)
    assert code == 0
    text = output.read_text(encoding="utf-8")
    assert "command-status<<ghadelimiter_" in text
    assert "/nexus retry" in (tmp_path / "summary.md").read_text(encoding="utf-8")


class BrokenPermission(OfflineReads):
    def permission(self, user: str) -> tuple[str, str | None]:
        raise NexusError("NEXUS-TOKEN-FORBIDDEN", "GET permission answered 403: Resource not accessible")


def test_a_permission_that_cannot_be_read_refuses_every_command() -> None:
    comment = CommentInfo(1, "/nexus retry\n/nexus status", "octocat", False, "MEMBER", 7, True, "u")
    reads = BrokenPermission("o/r", 7, "MEMBER", None, None)
    ops = PlannedOps(reads, "o/r", 7, offline=True)
    handled = handle_comment(
        RunContext(event_name="issue_comment", repository="o/r"),
        comment,
        ops,
        Settings(),
        now=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    assert [r.status for r in handled.results] == ["refused", "refused"]
    assert "could not check the permission" in handled.results[0].message
    assert [r["body"]["content"] for r in ops.requests if r["path"].endswith("/reactions")] == ["eyes", "confused"]


class FileReads:
    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        self.asked: list[str] = []

    def repo_file(self, path: str) -> str | None:
        self.asked.append(path)
        return self.files.get(path)


def test_repo_templates_are_read_lazily_once_and_workspace_wins(tmp_path: Path) -> None:
    reads = FileReads({".github/nexus/templates/rex.md": "from the default branch"})
    templates = RepoTemplates(reads, None)  # type: ignore[arg-type]
    assert templates.get("Rex") == "from the default branch"
    assert templates.get("rex") == "from the default branch"
    assert templates.get("Bolt") is None
    assert reads.asked == [".github/nexus/templates/rex.md", ".github/nexus/templates/bolt.md"]
    local = tmp_path / ".github" / "nexus" / "templates"
    local.mkdir(parents=True)
    (local / "rex.md").write_text("from the workspace", encoding="utf-8")
    assert RepoTemplates(reads, tmp_path).get("Rex") == "from the workspace"  # type: ignore[arg-type]


def test_offline_reads_use_the_previous_snapshot() -> None:
    reads = OfflineReads("o/r", 7, "OWNER", "body", snapshot())
    assert reads.permission("x") == ("admin", None)
    assert reads.head_sha(7) == HEAD
    assert reads.failed_runs(HEAD) == [RunRef(99, "CI", "https://github.com/o/r/actions/runs/99")]
    assert reads.failed_runs("other") == []
    assert isinstance(reads.report_comment(), Post)
