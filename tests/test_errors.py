from __future__ import annotations

import re
from pathlib import Path

import pytest

from nexus_action.errors import ERROR_CODES, EXIT_CODE_MEANINGS, NexusError, config_error, error_codes_markdown


def test_every_code_has_a_remedy_and_a_nonzero_exit_code() -> None:
    for code, entry in ERROR_CODES.items():
        assert code.startswith("NEXUS-")
        assert entry.remedy
        assert entry.exit_code != 0


def test_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown NEXUS error code"):
        NexusError("NEXUS-NOPE", "x")


def test_config_error_names_setting_value_and_accepted_values() -> None:
    err = config_error("AUTOFIX_ALERT_WEBHOOK_FORMAT", "slack", "one of json, slack_blocks")
    assert err.code == "NEXUS-CONFIG-INVALID"
    assert "AUTOFIX_ALERT_WEBHOOK_FORMAT" in err.message
    assert "'slack'" in err.message
    assert "one of json, slack_blocks" in err.message


ROOT = Path(__file__).resolve().parent.parent


def test_docs_error_codes_is_generated_from_the_table() -> None:
    doc = (ROOT / "docs" / "error-codes.md").read_text(encoding="utf-8")
    assert doc == error_codes_markdown(), "stale: run python scripts/generate_error_codes.py"


def test_docs_give_each_code_its_meaning_exit_code_and_remedy() -> None:
    doc = error_codes_markdown()
    for code, entry in ERROR_CODES.items():
        section = doc.split(f"## {code}\n", 1)[1].split("\n## ", 1)[0]
        assert f"**Exit code:** {entry.exit_code}" in section
        assert entry.meaning in section
        assert entry.remedy in section


def test_every_exit_code_is_explained() -> None:
    assert {e.exit_code for e in ERROR_CODES.values()} <= set(EXIT_CODE_MEANINGS)


def test_every_code_the_package_raises_is_in_the_table() -> None:
    # NexusError refuses unknown codes at run time; this finds a typo before a user hits it.
    used: set[str] = set()
    for path in (ROOT / "nexus_action").rglob("*.py"):
        used |= set(re.findall(r"[\"'](NEXUS-[A-Z][A-Z-]*[A-Z])[\"']", path.read_text(encoding="utf-8")))
    assert used
    assert used <= set(ERROR_CODES), sorted(used - set(ERROR_CODES))


def test_issue_named_codes_exist() -> None:
    for code in (
        "NEXUS-CONFIG-INVALID",
        "NEXUS-EVENT-UNSUPPORTED",
        "NEXUS-TOKEN-MISSING",
        "NEXUS-TOKEN-FORBIDDEN",
        "NEXUS-RATE-LIMITED",
        "NEXUS-LOG-UNAVAILABLE",
        "NEXUS-DELIVERY-FAILED",
    ):
        assert code in ERROR_CODES


def test_render_is_one_line_plus_hint() -> None:
    err = NexusError("NEXUS-TOKEN-MISSING", "no token")
    assert err.render() == f"error NEXUS-TOKEN-MISSING: no token\n  hint: {ERROR_CODES['NEXUS-TOKEN-MISSING'].remedy}"
    assert str(err) == "NEXUS-TOKEN-MISSING: no token"
    assert err.exit_code == 2


def test_unsupported_event_remedy_names_every_supported_event() -> None:
    from nexus_action.runner.context import SUPPORTED_EVENTS

    remedy = ERROR_CODES["NEXUS-EVENT-UNSUPPORTED"].remedy
    assert all(re.search(rf"\b{event}\b", remedy) for event in SUPPORTED_EVENTS)
