"""Comments say why in the code's own terms: a reader of the repository has no issue tracker in front of them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRACKER_REFERENCE = re.compile(r"\((?:see )?issue #?\d+\)|\bissue #?\d+\b(?! of)", re.IGNORECASE)


def test_no_comment_or_docstring_names_an_issue_number() -> None:
    found = []
    for path in sorted((ROOT / "nexus_action").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TRACKER_REFERENCE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
