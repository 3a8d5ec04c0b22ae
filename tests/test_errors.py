from __future__ import annotations

import pytest

from nexus_action.errors import ERROR_CODES, NexusError, config_error


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
