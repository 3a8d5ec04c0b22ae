"""The Action's own metadata: what a user reads on the Marketplace and what reaches the script."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from nexus_action.config.settings import OPTIONS

ROOT = Path(__file__).resolve().parent.parent
ACTION_TEXT = (ROOT / "action.yml").read_text(encoding="utf-8")
ACTION: dict[str, Any] = yaml.safe_load(ACTION_TEXT)
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
RUN_STEP = next(s for s in STEPS if s.get("id") == "run")

# Inputs that steer the action itself rather than a setting (documented in docs/configuration.md).
ACTION_ONLY_INPUTS = {"event-path": "NEXUS_EVENT_PATH", "event-name": "NEXUS_EVENT_NAME"}
REQUIRED_OUTPUTS = (
    "domain",
    "agent",
    "kind",
    "failure-type",
    "top-blocker",
    "confidence",
    "delivered-via",
    "comment-url",
    "issue-url",
    "report-path",
)
# https://docs.github.com/en/actions/sharing-automations/creating-actions/metadata-syntax-for-github-actions#branding
BRANDING_COLORS = {"white", "black", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"}


def env_name(input_name: str) -> str:
    return ACTION_ONLY_INPUTS.get(input_name) or "INPUT_" + input_name.upper().replace("-", "_")


def test_marketplace_metadata() -> None:
    assert ACTION["name"] == "NEXUS AutoFix"
    assert 20 < len(ACTION["description"]) <= 250  # the Marketplace cuts longer descriptions
    assert ACTION["author"]
    assert ACTION["branding"]["color"] in BRANDING_COLORS
    assert re.fullmatch(r"[a-z0-9-]+", ACTION["branding"]["icon"])
    assert ACTION["runs"]["using"] == "composite"


@pytest.mark.parametrize("name", list(ACTION["inputs"]))
def test_every_input_has_a_description_and_an_empty_default(name: str) -> None:
    spec = ACTION["inputs"][name]
    assert len(spec.get("description", "")) > 15, name
    assert "default" in spec, name
    assert "required" not in spec or spec["required"] is False, name
    # Empty so that an AUTOFIX_* variable or the config file can win; the token is the one exception.
    expected = "${{ github.token }}" if name == "github-token" else ""
    assert spec["default"] == expected, name


@pytest.mark.parametrize("name", list(ACTION["inputs"]))
def test_every_input_reaches_the_script_through_env(name: str) -> None:
    assert RUN_STEP["env"].get(env_name(name)) == f"${{{{ inputs.{name} }}}}", name


def test_the_run_step_maps_nothing_but_inputs_and_step_outputs() -> None:
    expected = {env_name(n) for n in ACTION["inputs"]} | {"NEXUS_PYTHON", "PYTHONUTF8"}
    assert set(RUN_STEP["env"]) == expected


def test_settings_inputs_and_action_inputs_are_the_same_set() -> None:
    option_inputs = {o.input for o in OPTIONS if o.input}
    assert option_inputs - set(ACTION["inputs"]) == set(), "settings with an input name missing from action.yml"
    assert set(ACTION["inputs"]) - option_inputs == set(ACTION_ONLY_INPUTS), "action.yml inputs no setting reads"


def test_input_env_names_are_ones_the_settings_loader_reads() -> None:
    from nexus_action.config.settings import load_settings

    for option in OPTIONS:
        if option.input and option.kind == "bool":
            settings = load_settings({env_name(option.input): "true"})
            assert getattr(settings, option.attr) is True, option.input


def test_no_expression_inside_any_run_script() -> None:
    for step in STEPS:
        assert "${{" not in step.get("run", ""), step.get("name")


def test_every_run_step_is_bash_with_strict_mode() -> None:
    for step in (s for s in STEPS if "run" in s):
        assert step["shell"] == "bash", step["name"]
        assert step["run"].lstrip().startswith("set -euo pipefail"), step["name"]


@pytest.mark.parametrize("name", REQUIRED_OUTPUTS)
def test_required_outputs_map_from_the_run_step(name: str) -> None:
    spec = ACTION["outputs"][name]
    assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
    assert len(spec["description"]) > 15


def test_remote_actions_are_pinned_to_a_full_sha_with_a_version_comment() -> None:
    uses = re.findall(r"uses:\s*(\S+)(.*)", ACTION_TEXT)
    assert uses, "action.yml should restore its cache with actions/cache"
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*\s*", comment), f"{ref} lacks a `# vX.Y.Z` comment"


def test_the_cache_is_keyed_on_the_lock_hash_and_lives_outside_the_workspace() -> None:
    cache = next(s for s in STEPS if s.get("uses", "").startswith("actions/cache@"))
    assert "steps.setup.outputs.lock-hash" in cache["with"]["key"]
    assert "steps.setup.outputs.python-version" in cache["with"]["key"]
    assert cache["with"]["restore-keys"] in cache["with"]["key"]
    setup = next(s for s in STEPS if s.get("id") == "setup")
    assert 'root="${RUNNER_TEMP' in setup["run"]
    assert "GITHUB_WORKSPACE" not in setup["run"]


def test_install_uses_the_hash_pinned_lock() -> None:
    install = next(s for s in STEPS if s.get("name", "").startswith("Install dependencies"))
    assert "--require-hashes" in install["run"]
    assert '-r "$lock"' in install["run"]
    assert 'lock="$GITHUB_ACTION_PATH/requirements.lock"' in install["run"]
