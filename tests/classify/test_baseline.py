"""Comparing a failing log with a passing log of the same job (classify_log(..., baseline=...))."""

from __future__ import annotations

import io
import itertools
import json
import random
import string
from pathlib import Path

import jsonschema
import pytest

from nexus_action.classify import classify_log
from nexus_action.classify.baseline import BaselineIndex, Comparison, build_index
from nexus_action.classify.baseline_chunks import NoBaseline
from nexus_action.classify.templates import builtin_masks, template
from tests.streams import OneWay

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "nexus_action" / "schemas" / "classification.schema.json").read_text(encoding="utf-8"))


def log(*lines: str, day: str = "01", step: str = "Run pytest -q") -> bytes:
    """A GitHub-style job log: a checkout step, then `step` with `lines` as its output."""
    stamp = f"2026-01-{day}T10:00:00.{{:07d}}Z "
    body = [
        "##[group]Run actions/checkout@v4",
        "Syncing repository: octo-org/octo-repo",
        f"HEAD is now at {'3f2a9c1' if day == '01' else 'a94b0e2'} Merge pull request",
        "##[endgroup]",
        f"##[group]{step}",
        "pytest -q",
        "##[endgroup]",
        *lines,
    ]
    return "".join(stamp.format(i * 7919 + int(day)) + line + "\n" for i, line in enumerate(body)).encode()


PASSING = log(
    "DeprecationWarning: pkg_resources is deprecated as an API",
    "error: could not find config file /tmp/tmpa8x1/ci.cfg, using defaults",
    "tests/test_api.py::test_list PASSED",
    "tests/test_api.py::test_get PASSED",
    "2 passed in 0.41s",
)
FAILING = log(
    "DeprecationWarning: pkg_resources is deprecated as an API",
    "error: could not find config file /tmp/tmpz93k/ci.cfg, using defaults",
    "tests/test_api.py::test_list PASSED",
    "tests/test_api.py::test_get FAILED",
    "E       KeyError: 'id'",
    "FAILED tests/test_api.py::test_get - KeyError: 'id'",
    "1 failed, 1 passed in 0.52s",
    "##[error]Process completed with exit code 1.",
    day="02",
)


def classify_pair(failing: bytes, passing: bytes | None) -> dict[str, object]:
    base = io.BytesIO(passing) if passing is not None else None
    return classify_log(io.BytesIO(failing), baseline=base).to_dict()


def test_templates_mask_what_differs_between_two_runs() -> None:
    a = template("2026-01-01T10:00:00.1234567Z ok  pkg/x  0.022s at /tmp/TestX123/001 HEAD is now at 3f2a9c1 x")
    b = template("2026-01-02T11:22:33.7654321Z ok  pkg/x  14.5s at /tmp/TestX977/004 HEAD is now at a94b0e2 x")
    assert a == b
    assert template("FAILED tests/test_a.py::test_one") != template("FAILED tests/test_a.py::test_two")


PIP_ERROR = "ERROR: Could not find a version that satisfies the requirement torch==9.9 (from versions: none)"


def test_an_error_line_green_printed_too_is_demoted_below_the_new_one() -> None:
    passing = log(PIP_ERROR, "ok")  # an optional install that fails in every run, green ones too
    failing = log(PIP_ERROR, "ValueError: bad settings value", "##[error]Process completed with exit code 1.", day="02")
    plain, compared = classify_pair(failing, None), classify_pair(failing, passing)
    assert plain["top_blocker"]["text"] == PIP_ERROR  # type: ignore[index]
    top = compared["top_blocker"]
    assert isinstance(top, dict)
    assert (top["text"], top["new_since_baseline"]) == ("ValueError: bad settings value", True)
    old = [b for b in compared["blockers"] if b["text"] == PIP_ERROR]  # type: ignore[union-attr,index]
    assert len(old) == 1, "demoted, never dropped"
    assert old[0]["new_since_baseline"] is False
    assert "new_since_baseline" not in plain["top_blocker"]  # type: ignore[operator]
    jsonschema.validate(compared, SCHEMA)
    jsonschema.validate(plain, SCHEMA)


def test_the_result_counts_new_lines_and_lists_new_blocks() -> None:
    result = classify_pair(FAILING, PASSING)
    summary = result["baseline"]
    assert isinstance(summary, dict)
    assert summary["used"] is True
    assert summary["lines"] == FAILING.count(b"\n")
    # New: test_get FAILED, KeyError, FAILED summary, the tally, the exit line; the checkout SHA is masked.
    assert summary["new_lines"] == 5
    first = summary["new_blocks"][0]
    assert (first["start"], first["end"]) == (11, 15)
    assert first["step"] == "Run pytest -q"


def test_a_failure_green_had_too_is_still_the_top_blocker() -> None:
    flaky = log("FAILED tests/test_net.py::test_retry - TimeoutError", "##[error]Process completed with exit code 1.")
    again = log(
        "FAILED tests/test_net.py::test_retry - TimeoutError", "##[error]Process completed with exit code 1.", day="02"
    )
    plain, compared = classify_pair(again, None), classify_pair(again, flaky)
    assert compared["top_blocker"]["log_line"] == plain["top_blocker"]["log_line"]  # type: ignore[index]
    assert compared["top_blocker"]["new_since_baseline"] is False  # type: ignore[index]


def test_a_new_unknown_line_just_above_the_failing_exit_is_promoted() -> None:
    noise = "error: could not find config file /tmp/tmpa8x1/ci.cfg, using defaults"  # in every run
    passing = log(noise, "checking refs", "done.")
    failing = log(noise, "bad ref main2", "done.", "##[error]Process completed with exit code 1.", day="02")
    plain, compared = classify_pair(failing, None), classify_pair(failing, passing)
    assert plain["top_blocker"]["text"].startswith("error: could not find config file")  # type: ignore[index]
    top = compared["top_blocker"]
    assert isinstance(top, dict)
    assert (top["log_line"], top["text"], top["new_since_baseline"]) == (9, "bad ref main2", True)


@pytest.mark.parametrize(
    ("passing", "note"),
    [
        (b"", "the passing log is empty"),
        (b"PK\x03\x04" + b"\x00" * 100, "the passing log is not text"),
        (b"\x00\x01\x02" * 1000, "the passing log is not text"),
        (log("ok", step="Run cargo build"), "the passing log is not from the same job"),
    ],
)
def test_a_bad_baseline_gives_a_note_and_the_plain_classification(passing: bytes, note: str) -> None:
    plain = classify_pair(FAILING, None)
    compared = classify_pair(FAILING, passing)
    summary = compared.pop("baseline")
    assert isinstance(summary, dict)
    assert summary["used"] is False
    assert str(summary["note"]).startswith(note)
    assert compared == plain


def test_a_huge_baseline_is_not_read_to_the_end() -> None:
    masks = builtin_masks()
    with pytest.raises(NoBaseline, match="bigger than"):
        build_index(io.BytesIO(PASSING * 200), {None: set()}, masks, limit=len(PASSING) * 10)


def test_a_baseline_file_path_and_a_one_way_stream_give_the_same_result(tmp_path: Path) -> None:
    failing, passing = tmp_path / "fail.log", tmp_path / "pass.log"
    failing.write_bytes(FAILING)
    passing.write_bytes(PASSING)

    from_files = classify_log(failing, baseline=passing).to_dict()
    from_stream = classify_log(OneWay(FAILING), baseline=io.BytesIO(PASSING)).to_dict()  # type: ignore[arg-type]
    assert from_files == from_stream


def test_unknown_lines_are_not_reported_as_old() -> None:
    comparison = Comparison(recorded_all=False)
    comparison.new_numbers.extend([3, 9])
    assert comparison.is_new(9) is True
    assert comparison.is_new(5) is False
    assert comparison.is_new(40) is None  # past what was recorded
    assert Comparison(note="no").is_new(3) is None
    assert BaselineIndex().lines == 0


ALPHABET = "abcdef0123456789 \t/:._-#[]()\x1b\u00e9\u2713xyzERROR"


@pytest.mark.parametrize("seed", range(40))
def test_a_log_compared_with_itself_has_no_new_lines(seed: int) -> None:
    rng = random.Random(seed)
    lines = ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(60))) for _ in range(rng.randrange(40))]
    data = log(*lines)
    summary = classify_log(io.BytesIO(data), baseline=io.BytesIO(data)).baseline
    assert summary is not None
    assert summary.used
    assert summary.new_lines == 0
    assert summary.lines == data.count(b"\n")


@pytest.mark.parametrize(
    ("chunk_size", "kept_hashes", "line_cut"), [(64, 3, 1 << 22), (100, 10**6, 150), (7, 0, 1 << 22)]
)
def test_chunking_and_the_third_read_do_not_change_the_result(
    monkeypatch: pytest.MonkeyPatch, chunk_size: int, kept_hashes: int, line_cut: int
) -> None:
    from nexus_action.classify import baseline as module
    from nexus_action.classify import baseline_chunks as reading

    failing = FAILING.replace(b"KeyError: 'id'", b"KeyError: '" + b"x" * 300 + b"'")
    expected = classify_pair(failing, PASSING)
    monkeypatch.setattr(reading, "CHUNK_SIZE", chunk_size)
    monkeypatch.setattr(module, "MAX_KEPT_HASHES", kept_hashes)
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", line_cut)
    assert classify_pair(failing, PASSING) == expected


def test_new_blocks_are_redacted_like_blockers() -> None:
    token = "ghp_" + "Zq8Xw2Lm4Nb6Vc1Tr9Yu3Io5Pa7Sd0Fg2Hj4K"
    failing = log(f"curl -H 'Authorization: token {token}' https://api.github.com", "oops", day="02")
    summary = classify_log(io.BytesIO(failing), baseline=io.BytesIO(PASSING)).to_dict()["baseline"]
    assert summary["new_blocks"], "the curl line is new"
    assert token not in json.dumps(summary)
    assert token[:12] not in json.dumps(summary)


def test_a_log_that_starts_thousands_of_steps_keeps_a_bounded_number_of_them() -> None:
    from nexus_action.classify import baseline as module

    names = ["".join(letters) for letters in itertools.product(string.ascii_lowercase, repeat=3)][:5000]
    data = "".join(f"##[group]Run step {name}\nok {name}\n" for name in names).encode()
    masks = builtin_masks()
    scan = module.scan_failing(io.BytesIO(data), masks)
    assert len(scan.found) == len(scan.steps) == module.MAX_STEPS + 1  # the rest share one key
    index = build_index(io.BytesIO(data), scan.found, masks)
    assert len(index.seen) == len(index.step_names) == module.MAX_STEPS + 1
    comparison = module.compare(io.BytesIO(data), scan, index, masks)
    assert (comparison.usable, comparison.lines, comparison.new_lines) == (True, 10_000, 0)
