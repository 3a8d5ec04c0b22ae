"""Hostile event files: whatever the payload holds, the answer is NEXUS-EVENT-INVALID (exit 2), never a crash.

Properties over examples: for arbitrary JSON-ish payloads, and for real payloads with any part swapped for an
arbitrary value, `parse_context` returns a context or raises a NexusError, nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexus_action import cli
from nexus_action.errors import NexusError
from nexus_action.runner.context import SUPPORTED_EVENTS, parse_context
from nexus_action.runner.event_file import MAX_EVENT_BYTES, load_event
from tests.runner.test_context import REAL_EVENTS, _env, _examples

# Numbers a hostile file may hold: huge, negative, fractional, beyond 64 bits, beyond float range.
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**64 + 2),
    st.just(10**4000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1, 0, 2**63 - 1, 2**63, 1.5, 1e308]),
)
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(["", "123", "9" * 5000, " 7 ", "٣", "x" * 300, "null"]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
# Keys the parser looks at, so that generated values land where they are read.
KEYS = st.sampled_from(
    [
        "id",
        "number",
        "run_id",
        "run_attempt",
        "name",
        "conclusion",
        "head_sha",
        "head_branch",
        "pull_requests",
        "head",
        "base",
        "repo",
        "user",
        "login",
        "type",
        "full_name",
        "html_url",
        "ref",
        "after",
        "inputs",
        "check_suite",
        "head_repository",
        "repository",
        "head_commit",
        "message",
        "pull_request",
        "issue",
        "comment",
        "body",
    ]
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.one_of(KEYS, st.text(max_size=8)), inner)),
    max_leaves=30,
)
TOP_KEYS = st.sampled_from(
    [
        "workflow_run",
        "workflow_job",
        "check_run",
        "check_suite",
        "pull_request",
        "issue",
        "comment",
        "inputs",
        "repository",
        "sender",
        "ref",
        "after",
        "number",
        "head_commit",
        "action",
    ]
)
PAYLOADS = st.one_of(JSONISH, st.dictionaries(TOP_KEYS, JSONISH, max_size=6))


def _parse(event: str, payload: Any) -> None:
    """Anything but a context or one of the two event errors escapes and fails the test."""
    code = "ok"
    try:
        parse_context(_env(event), payload)
    except NexusError as err:
        code = err.code
    assert code in ("ok", "NEXUS-EVENT-INVALID", "NEXUS-EVENT-UNSUPPORTED")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=st.sampled_from(SUPPORTED_EVENTS), payload=PAYLOADS)
def test_arbitrary_payloads_give_a_context_or_a_nexus_error(event: str, payload: Any) -> None:
    _parse(event, payload)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(obj, dict):
        for key, value in obj.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj[:3]):
            found += _paths(value, (*prefix, index))
    return found


def _replace(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(obj) if isinstance(obj, dict) else list(obj)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


REAL = [(event, example) for event in REAL_EVENTS for example in _examples(event)[:2]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(REAL), pick=st.integers(min_value=0), value=JSONISH)
def test_a_real_payload_with_any_part_swapped_gives_a_context_or_a_nexus_error(
    case: tuple[str, dict[str, Any]], pick: int, value: Any
) -> None:
    event, example = case
    paths = _paths(example)
    _parse(event, _replace(example, paths[pick % len(paths)], value))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("id", 10**5000),  # parsed by Python from a file only below 4,300 digits; given directly here
        ("id", "9" * 5000),
        ("id", 2**63),
        ("id", -5),
        ("id", 1.5),
        ("id", True),
        ("run_attempt", "٣"),  # a digit to str.isdigit, not to a URL
    ],
    ids=["10^5000", "5000-digit-text", "2^63", "negative", "fraction", "boolean", "arabic-digit"],
)
def test_a_run_id_that_is_no_id_is_named(key: str, value: Any) -> None:
    payload = _examples("workflow_run")[0]
    payload["workflow_run"] = {**payload["workflow_run"], key: value}
    with pytest.raises(NexusError, match=f"workflow_run.{key}") as info:
        parse_context(_env("workflow_run"), payload)
    assert info.value.code == "NEXUS-EVENT-INVALID"
    assert len(info.value.message) < 200  # a 5,000-digit value is not echoed


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "event.json"
    path.write_text(text, encoding="utf-8")
    return path


HOSTILE_FILES = {
    "deep-list": "[" * 100_000 + "]" * 100_000,
    "deep-object": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "deep-in-run": '{"workflow_run": {"id": 1, "x": ' + "[" * 5_000 + "]" * 5_000 + "}}",
    "5000-digit-run-id": '{"workflow_run": {"id": ' + "7" * 5000 + "}}",
    "not-an-object": "[1, 2, 3]",
    "not-utf8": "",
    "cut-short": '{"workflow_run": {"id": 1',
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_hostile_event_files_are_event_invalid(tmp_path: Path, name: str) -> None:
    path = _file(tmp_path, HOSTILE_FILES[name])
    if name == "not-utf8":
        path.write_bytes(b'{"a": "\xff\xfe"}')
    with pytest.raises(NexusError) as info:
        load_event(path)
    assert info.value.code == "NEXUS-EVENT-INVALID"


def test_an_event_file_bigger_than_any_webhook_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:  # sparse: no 25 MB written to the disk
        fh.truncate(MAX_EVENT_BYTES + 1)
    with pytest.raises(NexusError, match="at most") as info:
        load_event(path)
    assert info.value.code == "NEXUS-EVENT-INVALID"


@pytest.mark.parametrize("name", ["deep-list", "5000-digit-run-id", "deep-in-run"])
def test_the_cli_exits_2_on_a_hostile_event_file(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, HOSTILE_FILES[name])
    log = tmp_path / "build.log"
    log.write_text("error: boom\n", encoding="utf-8")
    argv = ["report", "--dry-run", "--event", str(path), "--event-name", "workflow_run", "--log", str(log)]
    code = cli.main([*argv, "--out", str(tmp_path / "out")], {"GITHUB_REPOSITORY": "o/r", "RUNNER_TEMP": str(tmp_path)})
    err = capsys.readouterr().err
    assert code == 2, err
    assert "NEXUS-EVENT-INVALID" in err
    assert "NEXUS-INTERNAL" not in err


def test_a_workflow_dispatch_input_beyond_json_is_event_invalid() -> None:
    with pytest.raises(NexusError) as info:
        parse_context(_env("workflow_dispatch"), {"inputs": {"n": 10**5000}})
    assert info.value.code == "NEXUS-EVENT-INVALID"
    assert json.loads('{"ok": 1}')  # the parser itself is untouched
