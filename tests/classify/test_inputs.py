"""`classify_log` takes a log the ways a library user holds one: a path, its bytes, its text, or a stream."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nexus_action import classify_log
from nexus_action.errors import NexusError

DATA = Path(__file__).resolve().parent.parent / "data" / "logs"
LOG = (DATA / "rust_clippy.log").read_text(encoding="utf-8")


def _top(result: object) -> tuple[str, str, int]:
    top = result.top_blocker  # type: ignore[attr-defined]
    return result.domain, top.text, top.log_line  # type: ignore[attr-defined]


def test_every_form_of_the_same_log_gives_the_same_answer(tmp_path: Path) -> None:
    path = tmp_path / "clippy.log"
    path.write_text(LOG, encoding="utf-8")
    expected = _top(classify_log(path))
    assert expected[0] == "rust"
    assert _top(classify_log(str(path))) == expected
    assert _top(classify_log(LOG.encode())) == expected
    assert _top(classify_log(LOG)) == expected  # a str holding line breaks is log text, not a path
    assert _top(classify_log(io.StringIO(LOG))) == expected
    assert _top(classify_log(io.BytesIO(LOG.encode()))) == expected


def test_a_text_stream_is_read_in_pieces_without_losing_lines() -> None:
    long_log = "noise line\n" * 20_000 + LOG
    result = classify_log(io.StringIO(long_log))
    plain = classify_log(LOG)
    assert result.top_blocker is not None
    assert plain.top_blocker is not None
    assert result.top_blocker.log_line == plain.top_blocker.log_line + 20_000


def test_a_str_without_a_line_break_is_a_path() -> None:
    with pytest.raises(NexusError) as err:
        classify_log("no-such-file.log")
    assert err.value.code == "NEXUS-INPUT-INVALID"


def test_the_readme_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (Path(__file__).resolve().parent.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python API") :]
    start = section.index("```python\n") + len("```python\n")
    example = section[start : section.index("\n```", start)]
    (tmp_path / "build.log").write_text(LOG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {})  # noqa: S102 - our own README's example
    assert capsys.readouterr().out.startswith("rust Rex lint ")
