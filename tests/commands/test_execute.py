from __future__ import annotations

import dataclasses
from datetime import timedelta

from nexus_action.commands.execute import Outcome, RunRef, execute, latest_failed_per_workflow
from nexus_action.commands.ledger import COMMAND_LOG_LIMIT, FixRecord, Ledger
from nexus_action.commands.parse import parse_commands
from nexus_action.config.settings import Settings
from tests.commands.builders import HEAD, NEW_HEAD, NOW, FakeOps, requester, snapshot


def run(body: str, ledger: Ledger, ops: FakeOps, permission: str = "write", **kw: object) -> Outcome:
    settings = Settings(**kw)  # type: ignore[arg-type]
    return execute(parse_commands(body).commands, ledger, who=requester(permission), ops=ops, settings=settings)


def test_retry_reruns_the_failed_runs_of_the_head_and_counts_it() -> None:
    ops = FakeOps(runs=(RunRef(99, "CI"), RunRef(101, "Lint"), RunRef(80, "CI")))
    out = run("/nexus retry", Ledger(snapshot=snapshot()), ops)
    assert ops.reruns == [99, 101], "only the newest failed run of each workflow"
    assert out.ledger.retries_on(HEAD) == 1
    assert out.retried_runs == (99, 101)
    assert out.results[0].status == "done"
    assert "retry 1/2" in out.results[0].message
    assert out.ok


def test_retry_is_bounded_per_sha() -> None:
    ledger = Ledger(snapshot=snapshot(), retries_by_sha={HEAD: 2})
    ops = FakeOps()
    out = run("/nexus retry", ledger, ops)
    assert ops.reruns == []
    assert out.results[0].status == "refused"
    assert "retry limit reached (2/2" in out.results[0].message
    assert not out.ok
    # a new head starts a fresh count
    ops2 = FakeOps(head=NEW_HEAD)
    out2 = run("/nexus retry", ledger, ops2)
    assert ops2.reruns == [99]
    assert out2.ledger.retries_on(NEW_HEAD) == 1


def test_retry_when_head_moved_says_so_and_touches_only_current_head_runs() -> None:
    ops = FakeOps(head=NEW_HEAD, runs=())
    out = run("/nexus retry", Ledger(snapshot=snapshot(head=HEAD)), ops)
    assert ops.reruns == []
    assert "head moved from aaaaaaa to bbbbbbb" in out.results[0].message
    assert "nothing to retry" in out.results[0].message
    assert out.ledger.retries_by_sha == {}


def test_retry_twice_in_one_comment_retries_once() -> None:
    ops = FakeOps()
    out = run("/nexus retry\n/nexus retry", Ledger(snapshot=snapshot()), ops)
    assert ops.reruns == [99]
    assert [r.status for r in out.results] == ["done", "noop"]


def test_a_refused_rerun_fails_that_command_but_not_the_next() -> None:
    ops = FakeOps(runs=(RunRef(99, "CI"), RunRef(101, "Lint")), refuse_rerun=frozenset({101}))
    out = run("/nexus retry\n/nexus status", Ledger(snapshot=snapshot()), ops)
    assert ops.reruns == [99]
    assert out.results[0].status == "failed"
    assert "Resource not accessible" in out.results[0].message
    assert out.results[1].status == "done"
    assert out.ledger.retries_on(HEAD) == 1


def test_fix_dispatches_once_for_the_top_agent_and_records_it() -> None:
    ops = FakeOps()
    out = run("/nexus fix", Ledger(snapshot=snapshot()), ops)
    assert len(ops.dispatches) == 1
    event, payload = ops.dispatches[0]
    assert event == "nexus-autofix"
    assert payload["agent"] == "Rex"
    assert [j["name"] for j in payload["jobs"]] == ["clippy"]
    assert len(payload) <= 10
    assert "You are Rex" in payload["prompt"]
    assert "src/lib.rs:42:7" in payload["prompt"]
    assert payload["id"] in payload["prompt"], "the fixer's commit trailer names the request"
    assert out.fix_requests == (payload,)
    (record,) = out.ledger.fix_requests
    assert record.agent == "Rex"
    assert record.dispatched
    assert record.at == "2026-11-21T12:00:00Z"


def test_fix_by_domain_or_agent_name() -> None:
    for arg in ("frontend", "blaze", "BLAZE"):
        ops = FakeOps()
        run(f"/nexus fix {arg}", Ledger(snapshot=snapshot()), ops)
        assert ops.dispatches[0][1]["agent"] == "Blaze"
        assert "You are Blaze" in ops.dispatches[0][1]["prompt"]


def test_fix_for_an_agent_with_no_jobs_is_refused_with_the_choices() -> None:
    ops = FakeOps()
    out = run("/nexus fix bolt", Ledger(snapshot=snapshot()), ops)
    assert ops.dispatches == []
    assert out.results[0].status == "refused"
    assert "Rex (rust)" in out.results[0].message
    assert "Blaze (frontend)" in out.results[0].message


def test_fix_is_deduplicated_for_ten_minutes() -> None:
    ops = FakeOps()
    first = run("/nexus fix", Ledger(snapshot=snapshot()), ops)
    fp = first.ledger.fix_requests[0].fingerprint
    again = execute(
        parse_commands("/nexus fix").commands,
        first.ledger,
        who=requester(now=NOW + timedelta(minutes=9)),
        ops=ops,
        settings=Settings(),
    )
    assert len(ops.dispatches) == 1
    assert again.results[0].status == "noop"
    assert "already asked" in again.results[0].message
    later = execute(
        parse_commands("/nexus fix").commands,
        first.ledger,
        who=requester(now=NOW + timedelta(minutes=10)),
        ops=ops,
        settings=Settings(),
    )
    assert len(ops.dispatches) == 2
    assert later.ledger.fix_requests[-1].fingerprint == fp


def test_fix_on_a_moved_head_is_refused() -> None:
    ops = FakeOps(head=NEW_HEAD)
    out = run("/nexus fix", Ledger(snapshot=snapshot(head=HEAD)), ops)
    assert ops.dispatches == []
    assert "head is now bbbbbbb" in out.results[0].message


def test_circuit_breaker_opens_after_max_fix_requests_and_reset_rearms_it() -> None:
    records = tuple(FixRecord(f"fp{i}", "Rex", "2026-11-21T10:00:00Z", True) for i in range(2))
    ledger = Ledger(snapshot=snapshot(), fix_requests=records)
    ops = FakeOps()
    third = run("/nexus fix", ledger, ops)
    assert len(ops.dispatches) == 1
    assert third.ledger.breaker_open
    assert "a person is needed" in third.results[0].message
    fourth = run("/nexus fix blaze", third.ledger, ops)
    assert len(ops.dispatches) == 1, "the breaker stops dispatching"
    assert fourth.results[0].status == "refused"
    assert "circuit breaker open" in fourth.results[0].message
    # a write user cannot reset it; an admin can
    denied = run("/nexus reset", fourth.ledger, ops, permission="write")
    assert denied.ledger.breaker_open
    assert "need admin" in denied.results[0].message
    reset = run("/nexus reset\n/nexus fix blaze", fourth.ledger, ops, permission="admin")
    assert not reset.ledger.breaker_open
    assert len(ops.dispatches) == 2
    assert reset.ledger.dispatched_fixes == 1


def test_breaker_limit_comes_from_settings() -> None:
    ops = FakeOps()
    out = run("/nexus fix", Ledger(snapshot=snapshot()), ops, max_fix_requests=1)
    assert out.ledger.breaker_open
    assert "(request 1/1)" in out.results[0].message


def test_failed_dispatch_is_not_counted() -> None:
    ops = FakeOps(refuse_dispatch=True)
    out = run("/nexus fix", Ledger(snapshot=snapshot()), ops)
    assert out.results[0].status == "failed"
    assert out.ledger.fix_requests == ()


def test_fix_without_report_or_when_green() -> None:
    assert run("/nexus fix", Ledger(), FakeOps()).results[0].status == "refused"
    green = dataclasses.replace(snapshot(), jobs=(), conclusion="success")
    assert run("/nexus fix", Ledger(snapshot=green), FakeOps()).results[0].message.endswith("nothing to fix")


def test_read_permission_is_refused_for_every_command_and_logged() -> None:
    ops = FakeOps()
    out = run("/nexus retry\n/nexus fix\n/nexus help", Ledger(snapshot=snapshot()), ops, permission="read")
    assert [r.status for r in out.results] == ["refused"] * 3
    assert ops.reruns == []
    assert ops.dispatches == []
    assert ops.head_reads == 0
    assert [e.command for e in out.ledger.command_log] == ["/nexus retry", "/nexus fix", "/nexus help"]
    assert all(e.result.startswith("refused: octocat has read permission") for e in out.ledger.command_log)


def test_mute_unmute_status_help_unknown() -> None:
    out = run("/nexus mute\n/nexus status\n/nexus unmute\n/nexus help\n/nexus frobnicate", Ledger(), FakeOps())
    statuses = [r.status for r in out.results]
    assert statuses == ["done", "done", "done", "done", "refused"]
    assert "updates muted" in out.results[1].message
    assert not out.ledger.muted
    assert "| `/nexus retry` |" in out.reply
    assert "`/nexus frobnicate` is not a command" in out.reply


def test_explain_replies_with_blockers_and_evidence() -> None:
    out = run("/nexus explain web", Ledger(snapshot=snapshot()), FakeOps())
    assert out.results[0].status == "done"
    assert "Why `web-lint` failed" in out.reply
    assert "src/io.rs:3" in out.reply
    assert "rustc-error-code" in out.reply
    missing = run("/nexus explain nope", Ledger(snapshot=snapshot()), FakeOps())
    assert "no failed job matches 'nope'" in missing.results[0].message


def test_log_entries_are_bounded() -> None:
    ledger = Ledger()
    for _ in range(6):
        ledger = run("\n".join(["/nexus status"] * 10), ledger, FakeOps()).ledger
    assert len(ledger.command_log) == COMMAND_LOG_LIMIT


def test_latest_failed_per_workflow_keeps_newest() -> None:
    runs = (RunRef(5, "A"), RunRef(9, "A"), RunRef(7, "B"))
    assert latest_failed_per_workflow(runs) == (RunRef(7, "B"), RunRef(9, "A"))
