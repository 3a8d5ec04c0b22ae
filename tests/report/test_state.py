from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from nexus_action.report.derive import encode_state, read_state
from nexus_action.report.state import (
    COMMAND_LOG_LIMIT,
    REPORT_MARKER,
    CommandRecord,
    FixRequest,
    ReportState,
    decode_block,
    encode_block,
    is_report_body,
)
from tests.report.cases import recovery, second_failure


def test_block_round_trip_survives_hostile_text() -> None:
    data = {"text": "--> <!-- nexus:state v1 AAAA --> ``` \u202e", "n": 3}
    block = encode_block("dashboard", data)
    assert block.startswith("<!-- nexus:dashboard v1 ")
    assert block.endswith(" -->")
    assert "-->" not in block[: -len(" -->")]
    assert decode_block(f"hello\n{block}\nbye", "dashboard") == (data, [])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, "no nexus:state block"),
        ("just a comment", "no nexus:state block"),
        ("<!-- nexus:dashboard v1 e30= -->", "no nexus:state block"),  # foreign kind
        ("<!-- nexus:state v1 !!!notbase64 -->", "no nexus:state block"),  # not even matched as ours
        ("<!-- nexus:state v1 bm90IGpzb24= -->", "corrupt"),  # base64 of "not json"
        ("<!-- nexus:state v1 WzEsMl0= -->", "holds a list"),  # [1,2]
        ("<!-- nexus:state v3 e30= -->", "newer than this action"),
        ("<!-- nexus:state v1 e30 -->", "corrupt"),  # bad padding
    ],
)
def test_decode_is_tolerant_and_says_why(body: str | None, expected: str) -> None:
    data, warnings = decode_block(body, "state")
    assert data is None
    assert any(expected in w for w in warnings), warnings


def test_two_blocks_use_the_last_and_warn() -> None:
    first, second = encode_block("state", {"a": 1}), encode_block("state", {"a": 2})
    data, warnings = decode_block(f"{first}\n{second}", "state")
    assert data == {"a": 2}
    assert "2 nexus:state blocks" in warnings[0]


def test_read_state_of_a_strange_shape_starts_fresh() -> None:
    body = encode_block("state", {"history": "nope", "latest": {"jobs": [{"classification": ["not", "a", "dict"]}]}})
    state, warnings = read_state(body)
    assert state == ReportState()
    assert warnings
    assert "unexpected shape" in warnings[0]


def test_read_state_without_previous_body_is_silent() -> None:
    assert read_state(None) == (ReportState(), [])


def test_state_dict_round_trip_keeps_every_field() -> None:
    state = replace(
        second_failure()[-1].state,
        muted=True,
        retries_by_sha={"abc": 1},
        fix_requests=(FixRequest("f" * 16, "Rex", "2026-11-20T10:00:00Z", True),),
        breaker_open=True,
        command_log=(CommandRecord("2026-11-20T10:00:00Z", "octocat", "/nexus mute", "muted"),),
        processed_comment_ids=(11, 12),
    )
    again = ReportState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state
    # What is written is the document the view was derived from; reading it back gives the same view.
    written = second_failure()[-1].state
    assert read_state(encode_state(written))[0] == written


def test_lists_are_bounded() -> None:
    log = tuple(CommandRecord(str(i), "u", "/nexus status", "ok") for i in range(COMMAND_LOG_LIMIT + 20))
    state = ReportState.from_dict(replace(ReportState(), command_log=log).to_dict())
    assert len(state.command_log) == COMMAND_LOG_LIMIT
    assert state.command_log[-1].at == str(COMMAND_LOG_LIMIT + 19)  # newest kept


def test_is_report_body() -> None:
    assert is_report_body(f"{REPORT_MARKER}\nhello")
    assert not is_report_body(f"quoted:\n> {REPORT_MARKER}")
    assert not is_report_body(None)


def _tamper(body: str, change: callable) -> str:  # type: ignore[valid-type]
    data, _ = decode_block(body, "state")
    assert data is not None
    change(data)
    return body.replace(body[body.index("<!-- nexus:state") :], encode_block("state", data) + "\n")


def test_edited_history_entry_is_reported() -> None:
    body = recovery()[-1].comment_md
    edited = _tamper(body, lambda d: d["runs"][1].update(green=True))
    _, warnings = read_state(edited)
    assert any("hidden history was edited" in w for w in warnings)


def test_removed_history_entry_is_reported() -> None:
    body = recovery()[-1].comment_md
    _, warnings = read_state(_tamper(body, lambda d: d["runs"].pop(1)))
    assert any("seal does not match" in w for w in warnings)


def test_removed_newest_entry_is_reported() -> None:
    body = recovery()[-1].comment_md
    _, warnings = read_state(_tamper(body, lambda d: d["runs"].pop()))
    assert any("seal does not match" in w for w in warnings)


def test_intact_chain_has_no_warnings_and_broken_chain_shows_in_the_next_report() -> None:
    from nexus_action.config.settings import Settings
    from nexus_action.report import build_report
    from tests.report.cases import SHA3, clippy_job, snapshot

    body = recovery()[-1].comment_md
    assert read_state(body)[1] == []
    edited = _tamper(body, lambda d: d["runs"][0]["jobs"][0].update(top="nothing to see"))
    report = build_report(snapshot(1004, (clippy_job(),), sha=SHA3), edited, settings=Settings(), now="x")
    assert "⚠️ the hidden history was edited" in report.comment_md


def test_base64_is_standard_alphabet() -> None:
    block = encode_block("state", {"x": "\xff" * 10})
    payload = block.split(" ")[3]
    assert json.loads(base64.b64decode(payload)) == {"x": "\xff" * 10}


def test_mutated_bodies_never_crash_read_state() -> None:
    import random

    rng = random.Random(4)
    body = recovery()[-1].comment_md
    data, _ = decode_block(body, "state")
    assert data is not None
    raw = json.dumps(data)
    for _ in range(300):
        chars = list(raw)
        for _ in range(rng.randint(1, 5)):
            chars[rng.randrange(len(chars))] = rng.choice('{}[]":,0a-\\n')
        mutated = "".join(chars)
        block = f"<!-- nexus:state v1 {base64.b64encode(mutated.encode()).decode()} -->"
        state, warnings = read_state(block)
        assert isinstance(state, ReportState)
        assert isinstance(warnings, list)
    deep = "[" * 100_000 + "]" * 100_000
    state, warnings = read_state(f"<!-- nexus:state v1 {base64.b64encode(deep.encode()).decode()} -->")
    assert state == ReportState()
    assert warnings


def test_build_report_survives_hand_edited_values() -> None:
    """Random leaves of a real state replaced by values of the wrong type: never a crash, always a report."""
    import random

    from nexus_action.config.settings import Settings
    from nexus_action.report import build_report
    from tests.report.cases import SHA3, clippy_job, snapshot

    rng = random.Random(7)
    data, _ = decode_block(recovery()[-1].comment_md, "state")
    assert data is not None
    weird: list[object] = [None, "x", -1, 2**40, 1.5, True, [], {}, ["a"], {"k": 1}]

    def leaves(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        if isinstance(node, dict):
            return [p for k, v in node.items() for p in leaves(v, (*path, k))] or [path]
        if isinstance(node, list):
            return [p for i, v in enumerate(node) for p in leaves(v, (*path, i))] or [path]
        return [path]

    paths = [p for p in leaves(data) if p]
    snap = snapshot(1004, (clippy_job(),), sha=SHA3, at="2026-11-21T10:00:00Z")
    for _ in range(200):
        mutated = json.loads(json.dumps(data))
        for path in rng.sample(paths, 3):
            node = mutated
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = rng.choice(weird)
        report = build_report(snap, encode_block("state", mutated), settings=Settings(), now="t")
        assert report.comment_md.startswith(REPORT_MARKER)
        assert decode_block(report.comment_md, "state")[0] is not None
