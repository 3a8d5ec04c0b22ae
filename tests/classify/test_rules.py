"""rules.yaml is valid, user rules add or override, and bad user rules fail with a message naming them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from nexus_action.classify import classify_text
from nexus_action.classify.model import DOMAINS as ROUTING_DOMAINS
from nexus_action.classify.model import KINDS, agent_for
from nexus_action.classify.rules import RULE_DOMAINS, builtin_document, load_rules
from nexus_action.errors import NexusError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "nexus_action" / "schemas" / "rules.schema.json").read_text(encoding="utf-8"))
DOMAINS_REQUIRED = {
    "rust", "frontend", "python", "go", "jvm", "native", "ruby", "php", "elixir", "haskell", "lua", "perl", "infra",
    "github", "runner",
}  # fmt: skip


def test_rules_yaml_is_valid_against_the_schema() -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(builtin_document())


def test_rule_ids_are_unique_and_every_domain_is_covered() -> None:
    ids = [r["id"] for r in builtin_document()["rules"]]
    assert len(ids) == len(set(ids))
    blocker_domains = {r["domain"] for r in builtin_document()["rules"] if "priority" in r}
    assert blocker_domains >= DOMAINS_REQUIRED


def test_every_domain_rules_can_name_is_one_the_rest_of_the_product_knows() -> None:
    """Rules, classification, config routing and the agent fallback share one domain list: an ecosystem with no
    agent of its own (ruby, php, elixir, haskell, lua, perl) routes to Atlas unless `routing:` says otherwise."""
    classification = json.loads(
        (ROOT / "nexus_action" / "schemas" / "classification.schema.json").read_text(encoding="utf-8")
    )
    assert set(RULE_DOMAINS) - {"any"} == set(ROUTING_DOMAINS) == set(classification["properties"]["domain"]["enum"])
    assert set(KINDS) == set(classification["properties"]["kind"]["enum"]) >= {"docs", "license"}
    for domain in ("ruby", "php", "elixir", "haskell", "lua", "perl", "native"):
        assert agent_for(domain) == "Atlas"
    assert agent_for("ruby", {"ruby": "Ruby"}) == "Ruby"


def test_schema_and_hand_checker_agree_on_bad_rules() -> None:
    bad: list[dict[str, Any]] = [
        {"id": "x", "domain": "cobol", "log": "boom"},
        {"id": "x", "domain": "rust"},
        {"id": "x", "domain": "rust", "log": "a", "job": "b"},
        {"id": "X Y", "domain": "rust", "log": "a"},
        {"id": "x", "domain": "rust", "log": "a", "kind": "explosion"},
        {"id": "x", "domain": "rust", "log": "a", "weight": -1},
        {"id": "x", "domain": "rust", "log": "a", "colour": "red"},
    ]
    rule_schema = {**SCHEMA["$defs"]["rule"], "$defs": SCHEMA["$defs"]}
    for rule in bad:
        assert not jsonschema.Draft202012Validator(rule_schema).is_valid(rule), rule
        with pytest.raises(NexusError) as err:
            load_rules([rule])
        assert err.value.code == "NEXUS-CONFIG-INVALID"
        assert "rules[0]" in err.value.message


def test_bad_regex_is_reported_with_the_rule_id() -> None:
    expected = r"config file rules\[0\] \(team\.broken\): log is not a valid regular expression"
    with pytest.raises(NexusError, match=expected):
        load_rules([{"id": "team.broken", "domain": "go", "log": "([unclosed"}])


def test_user_rule_adds_a_domain_signal_and_blocker() -> None:
    log = "Running migrations\nMIGRATION ABORTED: column users.email missing\n"
    plain = classify_text(log)
    assert plain.domain == "unknown"
    rule = {
        "id": "team.migrations",
        "domain": "python",
        "kind": "deploy",
        "failure_type": "db_migration",
        "weight": 5,
        "priority": 95,
        "log": r"^MIGRATION ABORTED: (?P<message>.+)",
    }
    result = classify_text(log, extra_rules=[rule])
    assert (result.domain, result.kind, result.failure_type) == ("python", "deploy", "db_migration")
    assert result.top_blocker is not None
    assert result.top_blocker.log_line == 2
    assert any(e.rule == "team.migrations" for e in result.evidence)


def test_user_rule_needles_let_it_see_lines_without_builtin_needles() -> None:
    log = "step one\nquota exhausted for project acme\n"
    rule = {"id": "team.quota", "domain": "infra", "priority": 90, "weight": 5, "log": "quota exhausted"}
    assert b"quota exhausted" in load_rules([rule]).needles
    assert classify_text(log, extra_rules=[rule]).domain == "infra"


def test_user_rule_with_a_builtin_id_overrides_it() -> None:
    log = "##[error]Resource not accessible by integration\n"
    assert classify_text(log).domain == "github"
    override = {
        "id": "github.integration_forbidden",
        "domain": "infra",
        "weight": 9,
        "priority": 88,
        "kind": "permission",
        "failure_type": "gh_permission",
        "log": "Resource not accessible by integration",
    }
    assert classify_text(log, extra_rules=[override]).domain == "infra"


def test_routing_overrides_the_agent() -> None:
    log = "error[E0308]: mismatched types\n --> src/main.rs:4:18\n"
    assert classify_text(log).agent == "Rex"
    assert classify_text(log, routing={"rust": "Ferris"}).agent == "Ferris"


def test_user_rules_from_a_config_file_round_trip(tmp_path: Path) -> None:
    config = tmp_path / "nexus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "rules": [
                    {
                        "id": "team.flaky",
                        "domain": "runner",
                        "weight": 9,
                        "priority": 99,
                        "kind": "network",
                        "failure_type": "flaky",
                        "log": "FLAKY-INFRA",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    from nexus_action.cli import settings_from

    settings = settings_from({}, str(config))
    result = classify_text("error FLAKY-INFRA happened\n", extra_rules=settings.extra_rules)
    assert (result.domain, result.failure_type) == ("runner", "flaky")
