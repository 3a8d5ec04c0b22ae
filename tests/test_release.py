"""What a user pins: LICENSE, CHANGELOG.md, and scripts/release_notes.py, which the release workflow runs first."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHA = "0123456789abcdef0123456789abcdef01234567"


def _module() -> Any:
    spec = importlib.util.spec_from_file_location("release_notes", ROOT / "scripts" / "release_notes.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


release_notes = _module()
VERSION = release_notes.project_version((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_license_is_mit_as_pyproject_says() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert re.search(r'^license = "MIT"$', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), flags=re.M)


def test_the_current_version_is_releasable() -> None:
    assert release_notes.problems(VERSION, SHA) == []


def test_notes_hold_the_changelog_section_and_the_full_sha_to_pin() -> None:
    notes = release_notes.notes(VERSION, SHA, "acme/nexus-autofix")
    assert release_notes.changelog_section((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), VERSION) in notes
    assert f"uses: acme/nexus-autofix@{SHA} # v{VERSION}" in notes


def _copy(tmp_path: Path, changelog: str) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    return tmp_path


def test_a_release_is_refused_with_every_reason(tmp_path: Path) -> None:
    root = _copy(tmp_path, "# Changelog\n\n## [9.9.9]\n\n## [0.0.1]\n\n- old\n")
    found = release_notes.problems("9.9.9", SHA[:7], root)
    assert any("full 40-character SHA" in p for p in found)
    assert any("pyproject.toml says version" in p for p in found)
    assert any("'## [9.9.9]'" in p for p in found), "an empty section is no release notes"
    assert any("X.Y.Z" in p for p in release_notes.problems("v1.2", SHA, root))


def test_main_exits_1_with_an_annotation_and_prints_nothing(tmp_path: Path, capsys: Any) -> None:
    assert release_notes.main(["1.2", SHA]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "::error title=Release v1.2::" in captured.err
    assert release_notes.main([VERSION, SHA, "acme/nexus-autofix"]) == 0
    assert f"@{SHA} # v{VERSION}" in capsys.readouterr().out
