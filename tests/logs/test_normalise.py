"""Streaming normalisation: line numbers as `sed -n Np`, cleaning, steps, annotations, chunk independence."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from nexus_action.logs.normalise import LogLine, clean_text, scan_lines, scan_zip, zip_step_files
from nexus_action.logs.search import needle_patterns

LOGS = Path(__file__).parent.parent / "data" / "logs"
NEEDLES = (b"error", b"fail", b"##[", b"killed", b"exited with")


def scan(data: bytes, **kwargs: object) -> list[LogLine]:
    options: dict[str, object] = {"deep_before": 0, "end_context": 0, **kwargs}
    return list(scan_lines(io.BytesIO(data), NEEDLES, **options))  # type: ignore[arg-type]


def test_clean_text_strips_timestamp_ansi_cr_nul_and_bad_utf8() -> None:
    raw = b"2024-05-01T12:00:00.1234567Z \x1b[31merror\x1b[0m: bad \xff byte\x00\r"
    assert clean_text(raw) == "error: bad \ufffd byte"


def test_bare_carriage_return_keeps_what_the_terminal_shows() -> None:
    assert clean_text(b"Downloading 10%\r 50%\r100% done") == "100% done"
    assert clean_text(b"error: boom\r   \r") == "error: boom"


def test_line_numbers_count_newlines_only_like_sed() -> None:
    data = b"\xef\xbb\xbfok\r\nprogress 1%\r2%\rerror one\r\nplain\n\nerror two\n"
    lines = [(line.number, line.text) for line in scan(data, before=0, after=0)]
    # sed -n 2p prints the progress line (its \r do not start lines); sed -n 5p prints "error two".
    assert lines == [(2, "error one"), (5, "error two")]


def test_bom_only_removed_from_the_first_line() -> None:
    lines = scan(b"\xef\xbb\xbferror at start\n", before=0, after=0)
    assert lines[0].text == "error at start"


def test_every_emitted_line_matches_the_raw_line_with_that_number() -> None:
    for path in sorted(LOGS.glob("*.log")):
        raw_lines = path.read_bytes().removeprefix(b"\xef\xbb\xbf").split(b"\n")
        for line in scan_lines(path.open("rb"), NEEDLES):
            if line.annotation is None and not line.text.startswith("Run "):
                assert line.text == clean_text(raw_lines[line.number - 1]), (path.name, line.number)


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 4096])
def test_chunk_boundaries_do_not_change_the_result(chunk_size: int) -> None:
    for path in sorted(LOGS.glob("*.log")):
        whole = list(scan_lines(path.open("rb"), NEEDLES))
        chunked = list(scan_lines(path.open("rb"), NEEDLES, chunk_size=chunk_size))
        assert chunked == whole, path.name


def test_context_lines_around_a_trigger() -> None:
    data = b"".join(f"line {i}\n".encode() for i in range(1, 21)).replace(b"line 10\n", b"error here\n")
    lines = scan(data, before=2, after=3)
    assert [(line.number, line.trigger) for line in lines] == [
        (8, False),
        (9, False),
        (10, True),
        (11, False),
        (12, False),
        (13, False),
    ]


def test_group_run_starts_a_step_and_its_header_is_not_output() -> None:
    data = (
        b"##[group]Run cargo test\n"
        b"\x1b[36;1mecho error in the script\x1b[0m\n"
        b"##[endgroup]\n"
        b"error: real failure\n"
        b"##[error]Process completed with exit code 101.\n"
    )
    lines = {line.number: line for line in scan(data, before=0, after=0)}
    assert lines[2].in_header
    assert lines[2].step == "Run cargo test"
    assert not lines[4].in_header
    assert lines[4].step == "Run cargo test"
    assert lines[5].annotation == "error"
    assert lines[5].text == "Process completed with exit code 101."


def test_workflow_command_error_carries_file_line_and_column() -> None:
    (line,) = scan(b"::error file=src/app.ts,line=12,col=5,title=TS::Type error\n", before=0, after=0)
    assert (line.annotation, line.file, line.line, line.column, line.text) == (
        "error",
        "src/app.ts",
        12,
        5,
        "Type error",
    )


def test_over_long_line_is_cut_but_still_counts_once() -> None:
    data = b"x" * 300_000 + b"error tail\n" + b"error next\n"
    lines = scan(data, before=0, after=0, chunk_size=4096)
    assert [line.number for line in lines] == [2]
    assert lines[0].text == "error next"


def test_last_line_without_newline_is_read() -> None:
    assert [line.number for line in scan(b"ok\nerror at the end", before=0, after=0)] == [2]


def _run_log_zip(tmp_path: Path) -> Path:
    path = tmp_path / "logs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("build/1_Set up job.txt", "\ufeff2024-05-01T12:00:00.0000000Z Current runner version\n")
        archive.writestr("build/3_Run tests.txt", "collecting\nerror: test failed\n")
        archive.writestr("build/2_Checkout.txt", "fetch\nok\n")
        archive.writestr("lint/1_Set up job.txt", "error: not this job\n")
    return path


def test_zip_step_files_in_step_order_for_the_named_job(tmp_path: Path) -> None:
    with zipfile.ZipFile(_run_log_zip(tmp_path)) as archive:
        assert [name for name, _ in zip_step_files(archive, "build")] == ["Set up job", "Checkout", "Run tests"]
        assert [name for name, _ in zip_step_files(archive, "lint")] == ["Set up job"]


def test_zip_lines_number_across_step_files_and_carry_step_names(tmp_path: Path) -> None:
    with zipfile.ZipFile(_run_log_zip(tmp_path)) as archive:
        (line,) = [x for x in scan_zip(archive, NEEDLES, job="build", before=0, after=0) if x.trigger]
    assert (line.number, line.step, line.text) == (5, "Run tests", "error: test failed")


def test_a_failing_exit_brings_deep_context_and_the_end_of_the_log_is_read() -> None:
    body = b"".join(f"output {i}\n".encode() for i in range(1, 61))
    data = body + b"##[error]Process completed with exit code 2.\n" + b"cleanup 1\ncleanup 2\n"
    lines = scan(data, before=2, after=0, deep_before=30, end_context=2)
    numbers = [line.number for line in lines]
    assert numbers == list(range(31, 64))
    assert [line.trigger for line in lines if line.number == 61] == [True]


@pytest.mark.parametrize("chunk_size", [5, 50, 300])
def test_deep_context_is_in_log_order_across_chunks(chunk_size: int) -> None:
    body = b"".join(f"output {i}\n".encode() for i in range(1, 61)).replace(b"output 50\n", b"error early\n")
    data = body + b"##[error]Process completed with exit code 2.\n"
    whole = scan(data, before=2, after=1, deep_before=30, end_context=3)
    assert scan(data, before=2, after=1, deep_before=30, end_context=3, chunk_size=chunk_size) == whole
    assert [line.number for line in whole] == sorted({line.number for line in whole})


def test_context_only_around_error_lines_when_asked() -> None:
    data = b"a\nb\nc\nd\n0 errors found\ne\nf\ng\nh\nerror: real\ni\nj\n"
    lines = scan(data, context_if=lambda text: text.startswith("error:"))
    assert [(ln.number, ln.trigger) for ln in lines if ln.number <= 5] == [(5, True)]
    assert {ln.number for ln in lines} >= {6, 7, 8, 9, 10, 11, 12}


def test_needles_sharing_a_prefix_share_one_regex_pass() -> None:
    patterns = needle_patterns([b"fail", b"fatal", b"error", b"err!", b"##["])
    assert sorted(p.pattern for p in patterns) == [rb"\#\#\[", rb"err(?:!|or)", rb"fa(?:il|tal)"]
    assert [p.pattern for p in needle_patterns([b"fail", b"failed"])] == [b"fail"]


def test_travis_commands_become_steps_and_red_text_is_flagged() -> None:
    data = (
        b"travis_fold:start:install\r\x1b[0Kinstall stuff\n"
        b"travis_time:start:0a\r\x1b[0K$ make test\n"
        b"\x1b[31mboom: failed\x1b[0m\n"
        b"plain error\n"
    )
    lines = scan(data)
    by_number = {ln.number: ln for ln in lines}
    assert by_number[3].step == "$ make test"
    assert by_number[3].red
    assert by_number[4].step == "$ make test"
    assert not by_number[4].red


@pytest.mark.parametrize("control", list("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
def test_bidi_controls_never_reach_a_line(control: str) -> None:
    raw = f"2026-01-01T00:00:00.0000000Z error: ok{control}elif access_level != 'user'{control} \u00e9\n".encode()
    lines = list(scan_lines(io.BytesIO(raw), [b"error"]))
    assert lines[0].text == "error: okelif access_level != 'user' \u00e9"
    assert clean_text(f"a{control}b".encode()) == "ab"
