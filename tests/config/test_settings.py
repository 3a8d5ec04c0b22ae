from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from nexus_action.config.file import read_config, validate_config
from nexus_action.config.settings import (
    OPTIONS,
    OPTIONS_BY_ATTR,
    Settings,
    load_settings,
    require_token,
)
from nexus_action.errors import NexusError

ROOT = Path(__file__).resolve().parent.parent.parent


def _error(env: dict[str, str], config: dict[str, Any] | None = None) -> NexusError:
    with pytest.raises(NexusError) as info:
        load_settings(env, config)
    assert info.value.code == "NEXUS-CONFIG-INVALID"
    return info.value


# ---- defaults and the table ----------------------------------------------------------------------


def test_defaults_match_the_issue() -> None:
    s = load_settings({})
    assert s.respect_retry_after is True
    assert s.max_wait_seconds == 60.0
    assert s.fail_on_error is False
    assert s.dry_run is False
    assert s.comment_issue_append is False
    assert s.alert_webhook_enabled is False
    assert s.alert_webhook_format == "json"
    assert s.routing == {}
    assert set(s.sources.values()) == {"default"}


def test_table_and_dataclass_agree() -> None:
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    for option in OPTIONS:
        assert option.attr in fields, option.attr
        field = fields[option.attr]
        default = field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        assert default == option.default, option.attr


def test_settings_are_frozen() -> None:
    s = load_settings({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.dry_run = True  # type: ignore[misc]


# ---- precedence ------------------------------------------------------------------------------------


def test_input_beats_env_beats_config_beats_default() -> None:
    config = {"max_wait_seconds": 30}
    assert load_settings({}, config).max_wait_seconds == 30
    assert load_settings({"AUTOFIX_MAX_WAIT_SECONDS": "20"}, config).max_wait_seconds == 20
    env = {"AUTOFIX_MAX_WAIT_SECONDS": "20", "INPUT_MAX-WAIT": "10"}
    s = load_settings(env, config)
    assert s.max_wait_seconds == 10
    assert s.sources["max_wait_seconds"] == "input"
    assert load_settings({"AUTOFIX_MAX_WAIT_SECONDS": "20"}, config).sources["max_wait_seconds"] == "env"
    assert load_settings({}, config).sources["max_wait_seconds"] == "config"


@pytest.mark.parametrize("name", ["INPUT_DRY-RUN", "INPUT_DRY_RUN"])
def test_input_with_hyphen_or_underscore(name: str) -> None:
    s = load_settings({name: "true", "AUTOFIX_DRY_RUN": "false"})
    assert s.dry_run is True
    assert s.sources["dry_run"] == "input"


@pytest.mark.parametrize("empty", ["", "   ", "\n"])
def test_empty_values_count_as_unset(empty: str) -> None:
    env = {"INPUT_DRY-RUN": empty, "INPUT_DRY_RUN": empty, "AUTOFIX_DRY_RUN": "yes"}
    assert load_settings(env).dry_run is True
    assert load_settings({"AUTOFIX_DRY_RUN": empty}, {"dry_run": True}).dry_run is True
    assert load_settings({}, {"dry_run": ""}).sources["dry_run"] == "default"
    assert load_settings({}, {"dry_run": None}).sources["dry_run"] == "default"


def test_github_token_from_input_then_autofix_then_github_token() -> None:
    assert load_settings({"GITHUB_TOKEN": "ghs_env"}).github_token == "ghs_env"
    assert load_settings({"GITHUB_TOKEN": "ghs_env", "AUTOFIX_GITHUB_TOKEN": "ghs_af"}).github_token == "ghs_af"
    env = {"GITHUB_TOKEN": "ghs_env", "INPUT_GITHUB-TOKEN": "ghs_input"}
    assert load_settings(env).github_token == "ghs_input"


def test_github_token_is_never_read_from_the_config_file() -> None:
    assert load_settings({}, {"github_token": "from-config"}).github_token == ""
    with pytest.raises(NexusError, match="github_token"):
        validate_config({"github_token": "x"}, "nexus.yml")


def test_respect_retry_after_has_its_bare_name_too() -> None:
    assert load_settings({"RESPECT_RETRY_AFTER": "false"}).respect_retry_after is False
    env = {"RESPECT_RETRY_AFTER": "false", "AUTOFIX_RESPECT_RETRY_AFTER": "true"}
    assert load_settings(env).respect_retry_after is True


def test_the_issue_named_variables_are_read() -> None:
    env = {
        "AUTOFIX_COMMENT_ISSUE_APPEND": "true",
        "AUTOFIX_ALERT_WEBHOOK_ENABLED": "yes",
        "AUTOFIX_ALERT_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/XXXXXXXX",
        "AUTOFIX_ALERT_WEBHOOK_FORMAT": "Teams_Adaptive",
        "AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP": "repo:org/repo=https://a.example/x;default=https://b.example/y",
        "AUTOFIX_HTTP_RETRIES": "5",
        "AUTOFIX_MAX_RETRIES": "1",
        "AUTOFIX_FAIL_ON_ERROR": "1",
        "AUTOFIX_ROUTING": "rust=Ferris, Frontend=Blaze",
    }
    s = load_settings(env)
    assert s.comment_issue_append is True
    assert s.webhook_configured is True
    assert s.alert_webhook_format == "teams_adaptive"
    assert s.http_retries == 5
    assert s.max_retries == 1
    assert s.fail_on_error is True
    assert s.routing == {"rust": "Ferris", "frontend": "Blaze"}
    assert "https://hooks.slack.com/services/T0/B0/XXXXXXXX" in s.secret_values()
    assert "https://b.example/y" in s.secret_values()


def test_routing_from_config_mapping() -> None:
    assert load_settings({}, {"routing": {"infra": "Bolt"}}).routing == {"infra": "Bolt"}


def test_lists_from_env_and_config() -> None:
    assert load_settings({"AUTOFIX_IGNORE_JOBS": "lint, docs\nbench"}).ignore_jobs == ("lint", "docs", "bench")
    assert load_settings({}, {"skip_senders": ["renovate[bot]"]}).skip_senders == ("renovate[bot]",)


# ---- bad values ------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["true", "TRUE", "Yes", "1", "false", "False", "NO", "0", " yes "])
def test_bool_words_in_any_case(word: str) -> None:
    assert load_settings({"AUTOFIX_DRY_RUN": word}).dry_run is (word.strip().lower() in ("true", "yes", "1"))


@pytest.mark.parametrize("word", ["on", "off", "y", "n", "2", "truthy", "enabled", "-1", "t"])
def test_other_bool_words_are_refused_with_name_value_and_accepted_words(word: str) -> None:
    err = _error({"AUTOFIX_DRY_RUN": word})
    assert "AUTOFIX_DRY_RUN" in err.message
    assert repr(word) in err.message
    assert "true, false, 1, 0, yes, no" in err.message


def test_bad_input_names_the_input() -> None:
    err = _error({"INPUT_FAIL-ON-ERROR": "maybe"})
    assert "input fail-on-error" in err.message
    assert "'maybe'" in err.message


def test_bad_config_value_names_the_key_and_the_file() -> None:
    err = _error({}, {"comment_issue_append": "sometimes"})
    assert "comment_issue_append (config file)" in err.message


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("AUTOFIX_MAX_WAIT_SECONDS", "soon", "a number from 0 to 3600"),
        ("AUTOFIX_MAX_WAIT_SECONDS", "-1", "a number from 0 to 3600"),
        ("AUTOFIX_MAX_WAIT_SECONDS", "3601", "a number from 0 to 3600"),
        ("AUTOFIX_MAX_WAIT_SECONDS", "nan", "a number from 0 to 3600"),
        ("AUTOFIX_MAX_WAIT_SECONDS", "inf", "a number from 0 to 3600"),
        ("AUTOFIX_HTTP_RETRIES", "2.5", "a whole number from 0 to 10"),
        ("AUTOFIX_HTTP_RETRIES", "11", "a whole number from 0 to 10"),
        ("AUTOFIX_MAX_RETRIES", "lots", "a whole number from 0 to 20"),
        ("AUTOFIX_HISTORY_LIMIT", "0", "a whole number from 1 to 200"),
    ],
)
def test_numbers_and_ranges(name: str, value: str, accepted: str) -> None:
    err = _error({name: value})
    assert name in err.message
    assert repr(value) in err.message
    assert accepted in err.message


def test_yaml_true_is_not_a_number() -> None:
    err = _error({}, {"max_wait_seconds": True})
    assert "max_wait_seconds (config file)" in err.message


def test_numbers_at_the_bounds_are_accepted() -> None:
    s = load_settings({"AUTOFIX_MAX_WAIT_SECONDS": "0", "AUTOFIX_HTTP_RETRIES": " 10 "})
    assert (s.max_wait_seconds, s.http_retries) == (0, 10)
    assert isinstance(s.http_retries, int)


@pytest.mark.parametrize(
    ("name", "value", "choices"),
    [
        ("AUTOFIX_ALERT_WEBHOOK_FORMAT", "slack", "json, slack_blocks, teams_adaptive, teams_messagecard"),
        ("AUTOFIX_MODE", "fix", "report, command"),
        ("AUTOFIX_COMMAND_PERMISSION", "owner", "read, triage, write, maintain, admin"),
        ("AUTOFIX_ALERT_WEBHOOK_ON", "sometimes", "fallback, always, never"),
    ],
)
def test_enums_list_their_choices(name: str, value: str, choices: str) -> None:
    err = _error({name: value})
    assert f"{name} must be one of {choices}; got {value!r}" == err.message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("rust", "'rust'"),
        ("rust=", "'rust='"),
        ("=Rex", "'=Rex'"),
        ("cobol=Rex", "'cobol'"),
    ],
)
def test_routing_map_errors(value: str, fragment: str) -> None:
    err = _error({"AUTOFIX_ROUTING": value})
    assert "AUTOFIX_ROUTING" in err.message
    assert fragment in err.message
    assert "rust=Rex" in err.message or "python" in err.message


def test_routing_config_with_empty_agent_is_refused() -> None:
    err = _error({}, {"routing": {"rust": ""}})
    assert "routing (config file) rust" in err.message


@pytest.mark.parametrize("url", ["http://hooks.slack.com/services/T/B/secretpart", "hooks.slack.com/secretpart"])
def test_webhook_url_must_be_https_and_is_never_echoed(url: str) -> None:
    err = _error({"AUTOFIX_ALERT_WEBHOOK_URL": url})
    assert "AUTOFIX_ALERT_WEBHOOK_URL must be an https:// URL" in err.message
    assert "secretpart" not in err.message
    assert "secretpart" not in err.hint


def test_local_http_webhook_is_allowed_for_testing() -> None:
    assert load_settings({"AUTOFIX_ALERT_WEBHOOK_URL": "http://localhost:8080/hook"}).alert_webhook_url


def test_rules_must_be_a_list() -> None:
    err = _error({}, {"rules": "no"})
    assert "rules (config file)" in err.message


def test_require_token() -> None:
    with pytest.raises(NexusError) as info:
        require_token(load_settings({}))
    assert info.value.code == "NEXUS-TOKEN-MISSING"
    assert require_token(load_settings({"GITHUB_TOKEN": "ghs_x"})) == "ghs_x"


def test_every_bool_option_refuses_a_bad_word() -> None:
    for option in OPTIONS:
        if option.kind == "bool":
            err = _error({option.env_names[0]: "maybe"})
            assert option.env_names[0] in err.message


# ---- the config file and its schema ---------------------------------------------------------------


def _schema_script() -> Any:
    spec = importlib.util.spec_from_file_location("generate_config_schema", ROOT / "scripts/generate_config_schema.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_schema_is_generated_from_the_settings_table() -> None:
    committed = (ROOT / "nexus_action" / "schemas" / "config.schema.json").read_text(encoding="utf-8")
    assert committed == _schema_script().render(), "stale: run python scripts/generate_config_schema.py"


def test_schema_covers_exactly_the_config_options() -> None:
    schema = json.loads((ROOT / "nexus_action" / "schemas" / "config.schema.json").read_text(encoding="utf-8"))
    expected = {o.attr for o in OPTIONS if o.in_config} | {"rules"}
    assert set(schema["properties"]) == expected
    assert schema["properties"]["max_wait_seconds"]["maximum"] == OPTIONS_BY_ATTR["max_wait_seconds"].maximum


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "nexus.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_file_round_trip(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "dry_run: yes\nalert_webhook_format: slack_blocks\nrouting:\n  rust: Ferris\nignore_jobs: [docs]\n"
        "max_wait_seconds: '15'\nrules:\n  - id: my-rule\n",
    )
    s = load_settings({}, read_config(path))
    assert s.dry_run is True
    assert s.alert_webhook_format == "slack_blocks"
    assert s.routing == {"rust": "Ferris"}
    assert s.ignore_jobs == ("docs",)
    assert s.max_wait_seconds == 15
    assert s.extra_rules == ({"id": "my-rule"},)


def test_bad_yaml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "routing: {rust: Rex\n")
    with pytest.raises(NexusError) as info:
        read_config(path)
    assert info.value.code == "NEXUS-CONFIG-INVALID"
    assert str(path) in info.value.message
    assert "not valid YAML" in info.value.message


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("alert_webhook_format: slack\n", ["alert_webhook_format", "'slack' is not one of"]),
        ("routing:\n  cobol: Rex\n", ["routing", "cobol"]),
        ("max_wait_seconds: 99999\n", ["max_wait_seconds", "99999"]),
        ("webhook_format: json\n", ["(top level)", "webhook_format"]),
        ("- just\n- a list\n", ["(top level)", "object"]),
        ("ignore_jobs: [1, 2]\n", ["ignore_jobs.0"]),
    ],
)
def test_schema_violations_name_the_key(tmp_path: Path, text: str, fragments: list[str]) -> None:
    with pytest.raises(NexusError) as info:
        read_config(_write(tmp_path, text))
    assert info.value.code == "NEXUS-CONFIG-INVALID"
    for fragment in fragments:
        assert fragment in info.value.message


def test_empty_or_absent_config_is_empty(tmp_path: Path) -> None:
    assert read_config(_write(tmp_path, "# nothing yet\n")) == {}
    assert read_config(tmp_path / "absent.yml") == {}


def test_required_config_that_is_missing_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(NexusError) as info:
        read_config(tmp_path / "absent.yml", required=True)
    assert info.value.code == "NEXUS-INPUT-INVALID"


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "nexus.yml"
    path.write_bytes(b"dry_run: \xff\xfe\n")
    with pytest.raises(NexusError) as info:
        read_config(path)
    assert info.value.code == "NEXUS-CONFIG-INVALID"


def test_secret_values_hold_every_route_map_url_whole_even_with_an_at_sign() -> None:
    teams = "https://contoso.webhook.office.com/webhookb2/a1b2@c3d4/IncomingWebhook/e5f6/g7h8"
    slack = "https://hooks.slack.com/services/T000/B000/XXXXXXXX"
    settings = load_settings(
        {"AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP": f"repo:org/web=teams_messagecard@{teams};default={slack}"}
    )
    assert teams in settings.secret_values()
    assert slack in settings.secret_values()
