from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus_action.errors import NexusError
from nexus_action.runner.io import (
    SUMMARY_LIMIT_BYTES,
    RunnerIO,
    escape_data,
    escape_property,
    fit_summary,
    truncate_utf8,
)


def _tokens(*values: str) -> Iterator[str]:
    yield from values


def _runner(tmp_path: Path, *tokens: str) -> tuple[RunnerIO, io.StringIO]:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    out = io.StringIO()
    if tokens:
        it = _tokens(*tokens)
        return RunnerIO(env, out, token=lambda: next(it)), out
    return RunnerIO(env, out), out


def parse_output_file(text: str) -> dict[str, str]:
    """Read GITHUB_OUTPUT the way the runner does: `name<<DELIM`, lines, a line equal to DELIM."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        name, sep, delimiter = line.partition("<<")
        assert sep, f"not a heredoc line: {line!r}"
        end = lines.index(delimiter, i + 1)
        values[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return values


def test_outputs_round_trip_through_the_runner_format(tmp_path: Path) -> None:
    io_, _ = _runner(tmp_path)
    io_.set_output("domain", "rust")
    io_.set_output("blockers", "line one\nline two\r\nline three")
    io_.set_output("recovered", False)
    io_.set_output("pr-numbers", [1, 2])
    io_.set_output("empty", "")
    values = parse_output_file((tmp_path / "output").read_bytes().decode("utf-8"))
    assert values == {
        "domain": "rust",
        "blockers": "line one\nline two\r\nline three",
        "recovered": "false",
        "pr-numbers": "[1, 2]",
        "empty": "",
    }


def test_each_output_gets_a_fresh_random_delimiter(tmp_path: Path) -> None:
    io_, _ = _runner(tmp_path)
    io_.set_outputs({"a": "1", "b": "2"})
    heads = [line for line in (tmp_path / "output").read_text(encoding="utf-8").splitlines() if "<<" in line]
    delimiters = [h.split("<<", 1)[1] for h in heads]
    assert len(set(delimiters)) == 2
    assert all(d.startswith("ghadelimiter_") and len(d) >= len("ghadelimiter_") + 32 for d in delimiters)


def test_a_value_containing_the_delimiter_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    io_, _ = _runner(tmp_path, "abc123")
    forged = "x\nghadelimiter_abc123\nmalicious<<EOF\ntrue\nEOF"
    with pytest.raises(NexusError) as info:
        io_.set_output("summary", forged)
    assert info.value.code == "NEXUS-OUTPUT-FAILED"
    assert "'summary'" in info.value.message
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize("name", ["", "has space", "new\nline", "x<<y", "1starts-with-digit"])
def test_bad_output_names_are_refused(tmp_path: Path, name: str) -> None:
    io_, _ = _runner(tmp_path)
    with pytest.raises(NexusError, match="output name"):
        io_.set_output(name, "v")


def test_unwritable_output_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "output").mkdir()  # a directory where the file should be
    io_, _ = _runner(tmp_path)
    with pytest.raises(NexusError, match="cannot write") as info:
        io_.set_output("a", "1")
    assert info.value.code == "NEXUS-OUTPUT-FAILED"


def test_escaping_follows_the_toolkit() -> None:
    assert escape_data("100%\r\ndone") == "100%25%0D%0Adone"
    assert escape_property("src/a,b.rs:12") == "src/a%2Cb.rs%3A12"
    assert escape_data("a:b,c") == "a:b,c"
    # % first, or the escapes themselves would be escaped again
    assert escape_property("%0A") == "%250A"


def test_annotation_with_every_property(tmp_path: Path) -> None:
    io_, out = _runner(tmp_path)
    io_.annotate(
        "error",
        "mismatched types\nexpected `u32`, found 100%",
        file="src/lib.rs",
        line=12,
        end_line=13,
        col=5,
        end_column=9,
        title="rust: compile, Rex",
    )
    assert out.getvalue() == (
        "::error file=src/lib.rs,line=12,endLine=13,col=5,endColumn=9,title=rust%3A compile%2C Rex::"
        "mismatched types%0Aexpected `u32`, found 100%25\n"
    )


def test_annotation_without_properties_and_forged_commands_stay_on_one_line(tmp_path: Path) -> None:
    io_, out = _runner(tmp_path)
    io_.annotate("warning", "flaky\n::add-mask::nothing")
    io_.annotate("notice", "ok", file="", title=None)
    assert out.getvalue().splitlines() == ["::warning::flaky%0A::add-mask::nothing", "::notice::ok"]


def test_huge_annotation_messages_are_cut(tmp_path: Path) -> None:
    io_, out = _runner(tmp_path)
    io_.annotate("error", "x" * 100_000)
    assert len(out.getvalue()) < 4100
    assert out.getvalue().endswith("…\n")


def test_add_mask_masks_each_line_of_a_multiline_secret(tmp_path: Path) -> None:
    io_, out = _runner(tmp_path)
    io_.add_mask("-----BEGIN KEY-----\nabc%def\r\n\n   \n-----END KEY-----")
    io_.add_mask("abc%def")  # already masked: not repeated
    assert out.getvalue().splitlines() == [
        "::add-mask::-----BEGIN KEY-----",
        "::add-mask::abc%25def",
        "::add-mask::-----END KEY-----",
    ]


def test_echoed_log_text_is_wrapped_in_stop_commands(tmp_path: Path) -> None:
    io_, out = _runner(tmp_path, "tok1")
    io_.echo_log("##[error]boom\n::set-output name=x::y\n")
    assert out.getvalue() == "::stop-commands::tok1\n##[error]boom\n::set-output name=x::y\n::tok1::\n"


def test_stop_commands_token_never_occurs_in_the_text(tmp_path: Path) -> None:
    io_, out = _runner(tmp_path, "guess", "fresh")
    io_.echo_log("an attacker wrote ::guess:: to resume commands")
    lines = out.getvalue().splitlines()
    assert lines[0] == "::stop-commands::fresh"
    assert lines[-1] == "::fresh::"


def test_group_opens_and_closes_even_on_error(tmp_path: Path) -> None:
    io_, out = _runner(tmp_path)
    with pytest.raises(RuntimeError), io_.group("Job: build"):
        raise RuntimeError
    assert out.getvalue() == "::group::Job: build\n::endgroup::\n"


def test_summary_is_appended(tmp_path: Path) -> None:
    io_, _ = _runner(tmp_path)
    first = io_.append_summary("# NEXUS AutoFix\n")
    io_.append_summary("| job | domain |\n")
    assert (tmp_path / "summary.md").read_text(encoding="utf-8") == "# NEXUS AutoFix\n| job | domain |\n"
    assert (first.written_bytes, first.truncated) == (16, False)


def test_summary_over_one_mib_is_cut_with_a_note_on_a_utf8_boundary(tmp_path: Path) -> None:
    io_, _ = _runner(tmp_path)
    big = "é漢🙂" * 200_000  # multi-byte characters of 2, 3 and 4 bytes, ~1.8 MB
    result = io_.append_summary(big)
    data = (tmp_path / "summary.md").read_bytes()
    assert result.truncated is True
    assert len(data) < SUMMARY_LIMIT_BYTES
    text = data.decode("utf-8")  # raises if a character was split
    assert "cut this summary" in text
    assert text.startswith("é漢🙂é漢🙂")


def test_summary_cap_counts_what_earlier_steps_of_this_step_wrote(tmp_path: Path) -> None:
    (tmp_path / "summary.md").write_bytes(b"x" * (SUMMARY_LIMIT_BYTES - 2000))
    io_, _ = _runner(tmp_path)
    result = io_.append_summary("line\n" * 1000)
    assert result.truncated is True
    assert (tmp_path / "summary.md").stat().st_size < SUMMARY_LIMIT_BYTES
    full = RunnerIO({"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}, io.StringIO()).append_summary("more " * 100)
    assert full.written_bytes == 0
    assert full.truncated is True
    assert (tmp_path / "summary.md").stat().st_size < SUMMARY_LIMIT_BYTES


def test_summary_that_fits_exactly_is_untouched() -> None:
    text = "a" * 100
    assert fit_summary(text, 100) == (text, False)
    cut, truncated = fit_summary(text, 99)
    assert truncated is True
    assert cut == ""  # no room for the note and the text: write nothing rather than break the limit


def test_cut_closes_an_open_code_fence_and_details() -> None:
    body = "<details><summary>log</summary>\n\n```\n" + "error line\n" * 50_000 + "```\n</details>\n"
    cut, truncated = fit_summary(body, 100_000)
    assert truncated is True
    assert len(cut.encode("utf-8")) <= 100_000
    before_note = cut.split("\n\n> **Note:**")[0]
    assert before_note.endswith("```\n</details>")
    assert sum(1 for line in cut.splitlines() if line.startswith("```")) % 2 == 0


def test_truncate_utf8_never_splits_a_character() -> None:
    for limit in range(12):
        cut = truncate_utf8("a🙂b漢", limit)
        assert len(cut.encode("utf-8")) <= limit
        assert "a🙂b漢".startswith(cut)
    assert truncate_utf8("a🙂b", 4) == "a"
    assert truncate_utf8("a🙂b", 5) == "a🙂"


def test_laptop_mode_writes_into_the_out_folder(tmp_path: Path) -> None:
    out = io.StringIO()
    io_ = RunnerIO({}, out, out_dir=tmp_path / "out")
    assert io_.on_runner is False
    io_.set_output("domain", "rust")
    io_.set_output("blockers", "a\nb")
    io_.append_summary("# Report\n")
    io_.add_mask("s3cr3t-value")
    io_.annotate("error", "boom", file="src/lib.rs", line=3, col=1, title="compile")
    io_.echo_log("::add-mask::x\n")
    assert json.loads((tmp_path / "out" / "outputs.json").read_text(encoding="utf-8")) == {
        "domain": "rust",
        "blockers": "a\nb",
    }
    assert (tmp_path / "out" / "step-summary.md").read_text(encoding="utf-8") == "# Report\n"
    printed = out.getvalue()
    assert "s3cr3t-value" not in printed  # a mask on a laptop would just print the secret
    assert "error: src/lib.rs:3:1 compile: boom\n" in printed
    assert "::stop-commands::" not in printed
    assert io_.masked == ["s3cr3t-value"]


def test_laptop_mode_without_out_folder_prints(tmp_path: Path) -> None:
    out = io.StringIO()
    io_ = RunnerIO({"GITHUB_OUTPUT": "", "GITHUB_STEP_SUMMARY": " "}, out)
    io_.set_output("domain", "rust")
    io_.set_output("blockers", "a\nb")
    result = io_.append_summary("# Report")
    assert out.getvalue() == "output domain: rust\noutput blockers: \n  a\n  b\n# Report\n"
    assert result.path == "-"
    assert list(tmp_path.iterdir()) == []
