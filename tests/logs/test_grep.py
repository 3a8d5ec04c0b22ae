"""grep as the needle finder: its hits, its probe, and falling back to Python when it fails."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from nexus_action.classify import classify_log
from nexus_action.logs import grep as grep_search
from nexus_action.logs.grep import GrepFailed, grep_hits, usable_grep, worth_grepping
from nexus_action.logs.normalise import searched_needles

LOGS = Path(__file__).parent.parent / "data" / "logs"
NEEDLES = (b"error", b"fail", b"fatal", b"##[", b"exited with", b"err!")
needs_grep = pytest.mark.skipif(shutil.which("grep") is None, reason="no grep on PATH")


@needs_grep
def test_needles_are_fixed_strings(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(b"axb\na.b\nx|y\nx\n-e\n")
    grep = usable_grep()
    assert grep is not None
    with grep_hits(grep, path, [b"a.b", b"x|y", b"-e"]) as hits:
        assert [number for number, _, _ in hits] == [2, 3, 5]


def test_only_big_files_with_plain_needles_are_worth_grep() -> None:
    big = grep_search.GREP_MIN_BYTES
    assert worth_grepping(big, NEEDLES)
    assert not worth_grepping(big - 1, NEEDLES)
    assert not worth_grepping(big, [b"two\nlines"])
    assert not worth_grepping(big, [])


@needs_grep
def test_grep_reports_line_offset_and_match_as_python_would(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfok\nan ERROR here and a Failure\r\n\x00nul ##[error]x\nexited with 1\n"
    path = tmp_path / "log.txt"
    path.write_bytes(data)
    grep = usable_grep()
    assert grep is not None
    with grep_hits(grep, path, searched_needles(NEEDLES)) as hits:
        got = list(hits)
    assert got == [
        (2, 9, b"ERROR"),
        (2, 26, b"Fail"),
        (3, 40, b"##["),
        (3, 43, b"error"),
        (4, 51, b"exited with"),
    ]
    for number, offset, matched in got:
        assert data[offset : offset + len(matched)] == matched
        assert data.count(b"\n", 0, offset) + 1 == number


@needs_grep
@pytest.mark.parametrize("case", sorted(p.stem for p in LOGS.glob("*.log")))
def test_classification_is_the_same_with_grep(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grep_search, "GREP_MIN_BYTES", 0)
    log = LOGS / f"{case}.log"
    assert classify_log(log, use_grep=True) == classify_log(log, use_grep=False)


def fake_grep(tmp_path: Path, script: str) -> str:
    path = tmp_path / "grep"
    path.write_text("#!/bin/sh\n" + script + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
@pytest.mark.parametrize(
    "script",
    [
        "echo '1:0:error'; exit 2",  # stopped part way with an error
        "echo 'not a hit'",  # something that is not grep's output
        "kill -9 $$",  # killed
    ],
)
def test_a_grep_that_fails_leaves_the_result_to_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str
) -> None:
    log = LOGS / "rust_clippy.log"
    broken = fake_grep(tmp_path, script)
    with pytest.raises(GrepFailed), grep_hits(broken, log, searched_needles(NEEDLES)) as hits:
        list(hits)
    monkeypatch.setattr(grep_search, "GREP_MIN_BYTES", 0)
    monkeypatch.setattr("nexus_action.classify.usable_grep", lambda: broken)
    assert classify_log(log) == classify_log(log, use_grep=False)


def test_a_grep_that_cannot_start_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(GrepFailed), grep_hits(str(tmp_path / "missing-grep"), tmp_path, [b"error"]) as hits:
        list(hits)


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_the_probe_refuses_a_grep_that_answers_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    fake_grep(tmp_path, "echo '0:ERR'")  # no line numbers: an old or different grep
    usable_grep.cache_clear()
    try:
        assert usable_grep() is None
    finally:
        usable_grep.cache_clear()


@needs_grep
def test_a_line_too_long_for_grep_leaves_the_log_to_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # grep holds a whole line in memory: under its limit (16 MiB here) a 9 MB line makes it give up.
    monkeypatch.setattr(grep_search, "GREP_MEMORY_KB", 16 * 1024)
    log = tmp_path / "one-line.log"
    log.write_bytes(b"error-free bytes " * 550_000 + b"\nerror: boom\n")
    grep = usable_grep()
    assert grep is not None
    with pytest.raises(GrepFailed), grep_hits(grep, log, searched_needles(NEEDLES)) as hits:
        list(hits)
    monkeypatch.setattr(grep_search, "GREP_MIN_BYTES", 0)
    result = classify_log(log)
    assert result == classify_log(log, use_grep=False)
    assert result.top_blocker is not None
    assert result.top_blocker.log_line == 2
