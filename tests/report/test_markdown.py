"""Markdown building blocks, and real reports rendered to HTML the way a GFM renderer sees them."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from nexus_action.report import markdown as md
from tests.report.cases import injection, oversize, second_failure

GFM = MarkdownIt("commonmark", {"html": True}).enable("table")


def test_fence_is_longer_than_any_backtick_run() -> None:
    block = md.code_block("a ``` b ````` c")
    assert block.startswith("``````text\n")
    assert block.endswith("\n``````")
    html = GFM.render(block)
    assert html.count("<pre>") == 1
    assert "a ``` b ````` c" in html


def test_cell_escapes_pipes_newlines_and_backticks() -> None:
    cell = md.cell_code("a | b\nc `d`")
    row = md.table(("x", "y"), [(cell, "z")])
    html = GFM.render(row)
    assert html.count("<td>") == 2
    assert "<code>a | b c `d`</code>" in html


def test_text_escapes_markdown_and_html() -> None:
    html = GFM.render(md.text("*bold* <img src=x> [l](http://e) | `c`"))
    assert "<img" not in html
    assert "<em>" not in html
    assert "<a " not in html
    assert "<code>" not in html


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/lib.rs", "src/lib.rs"),
        ("./src/lib.rs", "src/lib.rs"),
        ("/home/runner/work/repo/repo/src/lib.rs", "src/lib.rs"),
        ("D:\\a\\repo\\repo\\src\\lib.rs", "src/lib.rs"),
        ("/usr/lib/python3/x.py", None),
        ("../etc/passwd", None),
        ("C:/x.py", None),
    ],
)
def test_repo_path(path: str, expected: str | None) -> None:
    assert md.repo_path(path) == expected


def test_links_refuse_odd_urls() -> None:
    assert md.link("x", "javascript:alert(1)") == "x"
    assert md.link("x", "https://e.com/a b") == "x"
    assert md.link("x", "https://e.com/a") == "[x](<https://e.com/a>)"
    assert md.blob_url("https://github.com", "o/r", "abc1234", "src/a b.rs", 3) == (
        "https://github.com/o/r/blob/abc1234/src/a%20b.rs#L3"
    )


def _html(body: str) -> str:
    return GFM.render(body)


def test_second_failure_renders_to_the_expected_structure() -> None:
    html = _html(second_failure()[-1].comment_md)
    assert html.count("<h4>") == 4  # Transition, Top blocker, Quick links, Failed jobs
    assert html.count("<pre>") == 2  # top blocker + one extra blocker
    table = html.split("<h4>Failed jobs</h4>")[1].split("</table>")[0]
    assert table.count("<tr>") == 3  # header + 2 jobs
    assert html.count("<details>") == 3  # more blockers, commands, history
    assert 'href="https://github.com/octo-org/octo-repo/actions/runs/1002/job/9001#step:4:17"' in html


def test_injection_renders_inert() -> None:
    html = _html(injection()[-1].comment_md)
    # GitHub links `@name` and `#12` in text; each has an invisible break after `@` / `#` instead
    assert not re.search(r"@(org|octocat|admins)", html)
    assert "#12" not in html
    # exactly our two HTML comments survive as comments
    assert len(re.findall(r"<!--", html)) == 2
    assert html.count("<pre>") == 2


def test_oversize_renders_one_row_per_listed_job() -> None:
    report = oversize()[-1]
    html = _html(report.comment_md)
    listed = len(report.state.latest.jobs) if report.state.latest else 0
    table = html.split("<h4>Failed jobs</h4>")[1].split("</table>")[0]
    assert table.count("<tr>") == listed + 1
