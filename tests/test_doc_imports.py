"""Every `from nexus_action... import ...` in the docs' code samples names something that exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
IMPORT = re.compile(r"^\s*from (nexus_action[\w.]*) import ([\w, ]+)$", re.MULTILINE)


def imports() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        for module, names in IMPORT.findall(doc.read_text(encoding="utf-8")):
            found += [(doc.name, module, name.strip()) for name in names.split(",") if name.strip()]
    return found


def test_the_docs_import_something() -> None:
    assert len(imports()) >= 5


@pytest.mark.parametrize(("doc", "module", "name"), imports())
def test_each_documented_import_exists(doc: str, module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name), f"{doc}: {module} has no {name}"
