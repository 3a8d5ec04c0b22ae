"""The documentation stays true: generated reference up to date, every input documented, links resolve."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from nexus_action.config.settings import OPTIONS
from nexus_action.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CONFIG_DOC = DOCS / "configuration.md"
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
MARKDOWN = sorted([ROOT / "README.md", *DOCS.glob("*.md")])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_config_docs", ROOT / "scripts" / "generate_config_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configuration_reference_is_up_to_date() -> None:
    expected = _generator().render()
    assert CONFIG_DOC.read_text(encoding="utf-8") == expected, "run: python scripts/generate_config_docs.py"


def test_the_generator_notices_a_new_input(tmp_path: Path) -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    action["inputs"]["brand-new-input"] = {"description": "Something new.", "default": ""}
    assert "`brand-new-input`" in _generator().render(action)
    assert "`brand-new-input`" not in CONFIG_DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(ACTION["inputs"]))
def test_every_input_is_documented(name: str) -> None:
    assert f"`{name}`" in CONFIG_DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(ACTION["outputs"]))
def test_every_output_is_documented(name: str) -> None:
    assert f"| `{name}` |" in CONFIG_DOC.read_text(encoding="utf-8")


def test_every_setting_names_its_environment_variables_and_default() -> None:
    text = CONFIG_DOC.read_text(encoding="utf-8")
    for option in OPTIONS:
        row = next(line for line in text.splitlines() if line.startswith(f"| **{option.attr}**"))
        for env in option.env_names:
            assert f"`{env}`" in row, (option.attr, env)
        assert row.split(" | ")[4].strip(), f"{option.attr} has no default in the table"


def test_booleans_default_as_the_settings_table_says() -> None:
    text = CONFIG_DOC.read_text(encoding="utf-8")
    for option in (o for o in OPTIONS if o.kind == "bool"):
        row = next(line for line in text.splitlines() if line.startswith(f"| **{option.attr}**"))
        assert row.split(" | ")[4] == ("`true`" if option.default else "`false`"), option.attr


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        assert resolved.exists(), f"{path.name}: broken link {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), f"{path.name}: no heading for #{anchor} in {resolved.name}"


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+\s+(.*)$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_error_codes_named_in_docs_exist(path: Path) -> None:
    for code in re.findall(r"NEXUS-[A-Z]+(?:-[A-Z]+)*", path.read_text(encoding="utf-8")):
        assert code in ERROR_CODES, f"{path.name} names unknown code {code}"


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_yaml_snippets_parse_and_keep_expressions_out_of_run(path: Path) -> None:
    for block in re.findall(r"```yaml\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL):
        data = yaml.safe_load(block)
        for step in data if isinstance(data, list) else []:
            assert "${{" not in str(step.get("run", "")), f"{path.name}: expression inside run:"


def test_quick_start_adoption_is_five_lines() -> None:
    text = (DOCS / "quick-start.md").read_text(encoding="utf-8")
    section = text.split("## Adopt it in five lines", 1)[1]
    first_block = re.search(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    assert first_block is not None
    lines = first_block.group(1).strip("\n").splitlines()
    assert len(lines) == 5
    assert any("if: failure()" in line for line in lines)


def test_quick_start_links_every_example() -> None:
    text = (DOCS / "quick-start.md").read_text(encoding="utf-8")
    for example in sorted((DOCS / "examples").glob("*.yml")):
        assert f"(examples/{example.name})" in text, example.name


def test_runbook_covers_the_failure_modes() -> None:
    text = (DOCS / "operator-runbook.md").read_text(encoding="utf-8")
    for status in ("**401**", "**403**", "**429**", "**5xx**", "**404**"):
        assert status in text, status
    assert "NEXUS AutoFix report for PR #<N>" in text  # the fallback issue's exact title


def test_runbook_scope_table_covers_every_permission_the_examples_grant() -> None:
    text = (DOCS / "operator-runbook.md").read_text(encoding="utf-8")
    table = text.split("## Minimal token scopes", 1)[1].split("\n## ", 1)[0]
    granted: set[str] = set()
    for path in (DOCS / "examples").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for job in data["jobs"].values():
            granted |= {f"{scope}: {level}" for scope, level in (job.get("permissions") or {}).items()}
    for grant in sorted(granted):
        assert f"`{grant}`" in table, f"{grant} is granted in an example but not explained in the runbook"


def test_error_code_remedies_point_at_docs_that_exist() -> None:
    for code in ERROR_CODES.values():
        for doc in re.findall(r"docs/[\w./-]+\.md", code.remedy):
            assert (ROOT / doc).is_file(), f"{code.code} points at missing {doc}"
