"""Golden files for the rendered report. Regenerate with `python scripts/regen_report.py`, then review the diff."""

from __future__ import annotations

import pytest

from tests.report.cases import CASES, golden_files


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendered_report_matches_golden_file(name: str) -> None:
    report = CASES[name]()[-1]
    for path, text in golden_files(name, report).items():
        assert path.is_file(), f"{path.name} is missing: run python scripts/regen_report.py"
        assert text == path.read_text(encoding="utf-8"), f"{path.name} changed: run scripts/regen_report.py, review"
