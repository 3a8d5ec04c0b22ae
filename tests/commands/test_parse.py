from __future__ import annotations

import time

import pytest

from nexus_action.commands.parse import MAX_COMMANDS, parse_commands


def names(body: str) -> list[str]:
    return [c.name for c in parse_commands(body).commands]


def test_one_command_any_case_with_surrounding_whitespace() -> None:
    parsed = parse_commands("  /NeXuS   Retry  ")
    assert [(c.name, c.args, c.line) for c in parsed.commands] == [("retry", (), 1)]


def test_several_commands_run_in_written_order_with_args() -> None:
    parsed = parse_commands("please\n/nexus explain build-linux\n/nexus fix Rex\n/nexus status")
    assert [(c.name, c.args) for c in parsed.commands] == [
        ("explain", ("build-linux",)),
        ("fix", ("Rex",)),
        ("status", ()),
    ]
    assert [c.line for c in parsed.commands] == [2, 3, 4]


def test_nexusfoo_and_mid_line_mentions_are_not_commands() -> None:
    assert names("/nexusfoo\n/nexus-retry\nplease run /nexus retry\n`/nexus retry`") == []


def test_bare_nexus_means_help_and_unknown_words_are_kept() -> None:
    parsed = parse_commands("/nexus\n/nexus deploy prod")
    assert [(c.name, c.word) for c in parsed.commands] == [("help", ""), ("unknown", "deploy")]
    assert parsed.commands[1].text == "/nexus deploy prod"


def test_crlf_and_lone_cr_line_endings() -> None:
    assert names("hi\r\n/nexus retry\r\n/nexus status\r") == ["retry", "status"]
    assert names("> /nexus fix\r\n/nexus mute\r\n") == ["mute"]


@pytest.mark.parametrize(
    "body",
    [
        "> /nexus retry",
        ">/nexus retry",
        "> > /nexus retry",
        "   > /nexus retry",
        "```\n/nexus retry\n```",
        "~~~~\n/nexus retry\n~~~\n/nexus retry\n~~~~",
        "```text\n/nexus retry",  # unclosed fence runs to the end
        "    /nexus retry",
        "text\n\n\t/nexus retry",
        "<!-- hidden\n/nexus retry\n-->",
        "<!-- /nexus retry -->",
    ],
)
def test_quoted_code_and_hidden_lines_are_not_commands(body: str) -> None:
    assert names(body) == []


def test_after_a_fence_closes_commands_count_again() -> None:
    assert names("```\n/nexus retry\n```\n/nexus fix") == ["fix"]
    assert names("````\n```\n/nexus retry\n````\n/nexus status") == ["status"]


def test_inline_backticks_after_three_backticks_is_not_a_fence() -> None:
    assert names("```not a fence```\n/nexus retry") == ["retry"]


def test_indented_line_continuing_a_paragraph_is_text() -> None:
    assert names("please do\n    /nexus retry") == ["retry"]


def test_too_many_commands_are_counted_not_run() -> None:
    parsed = parse_commands("\n".join(["/nexus status"] * (MAX_COMMANDS + 3)))
    assert len(parsed.commands) == MAX_COMMANDS
    assert parsed.dropped == 3


def test_long_arguments_are_clipped() -> None:
    (cmd,) = parse_commands("/nexus explain " + "x" * 5000 + " a b c d e").commands
    assert len(cmd.args[0]) == 100
    assert len(cmd.args) == 3


def test_a_100_kb_comment_is_parsed_quickly() -> None:
    filler = ("> quoted /nexus retry\n" + "```\n/nexus fix\n```\n" + "some text " * 20 + "\n") * 420
    body = filler + "\n\n/nexus status\n"
    assert len(body) > 100_000
    started = time.perf_counter()
    parsed = parse_commands(body)
    assert time.perf_counter() - started < 0.5
    assert [c.name for c in parsed.commands] == ["status"]


def test_a_100_kb_single_line_is_not_a_command_and_does_not_hang() -> None:
    assert names("x" * 100_000 + "/nexus retry") == []
    (cmd,) = parse_commands("/nexus retry " + "y" * 100_000).commands
    assert cmd.name == "retry"
    assert len(cmd.raw) == 200
