"""The Action's own metadata: what a user reads on the Marketplace and what reaches the script."""

from __future__ import annotations

import re
import shutil
import subprocess
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
    assert 20 < len(ACTION["description"]) < 125  # the Marketplace takes descriptions under 125 characters
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


SCRIPTS = sorted((ROOT / "action").glob("*.sh"))
SCRIPT_CALL = re.compile(r'^bash "\$GITHUB_ACTION_PATH/(action/[\w-]+\.sh)"$')


def _script_of(step: dict[str, Any]) -> str:
    """The step's own script: inline, or the action/ file it runs."""
    match = SCRIPT_CALL.match(step["run"].strip())
    return (ROOT / match.group(1)).read_text(encoding="utf-8") if match else str(step["run"])


def test_every_run_step_is_bash_with_strict_mode() -> None:
    for step in (s for s in STEPS if "run" in s):
        assert step["shell"] == "bash", step["name"]
        code = [line for line in _script_of(step).splitlines() if line.strip() and not line.startswith("#")]
        assert code[0] == "set -euo pipefail", step["name"]


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_action_scripts_parse_and_avoid_bash_4_only_syntax(path: Path) -> None:
    """macOS runners may run the system bash 3.2: no associative arrays, mapfile or case conversion."""
    bash = shutil.which("bash")
    assert bash
    proc = subprocess.run([bash, "-n", str(path)], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"mapfile|readarray|declare -A|\$\{\w+(,,|\^\^)\}", text), path.name
    # "${array[@]}" of an empty array is an unbound-variable error under set -u in bash < 4.4.
    for array in re.findall(r"^\s*(?:local )?(\w+)=\(\)", text, flags=re.MULTILINE):
        bare = re.compile(r'(?<!\+)"\$\{' + array + r'\[@\]\}"')
        assert not bare.search(text), f'{path.name}: use ${{{array}[@]+"${{{array}[@]}}"}}'


def test_the_scripts_action_yml_runs_exist() -> None:
    called = {
        SCRIPT_CALL.match(s["run"].strip()).group(1)
        for s in STEPS
        if "run" in s and SCRIPT_CALL.match(s["run"].strip())
    }  # type: ignore[union-attr]
    assert called == {"action/find-python.sh", "action/install.sh"}
    assert all((ROOT / c).is_file() for c in called)


@pytest.mark.parametrize("name", REQUIRED_OUTPUTS)
def test_required_outputs_map_from_the_run_step(name: str) -> None:
    spec = ACTION["outputs"][name]
    assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}"
    assert len(spec["description"]) > 15


def test_remote_actions_are_pinned_to_a_full_sha_with_a_version_comment() -> None:
    uses = re.findall(r"uses:\s*(\S+)(.*)", ACTION_TEXT)
    assert uses, "action.yml should restore its cache with actions/cache/restore"
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*\s*", comment), f"{ref} lacks a `# vX.Y.Z` comment"


def _uses(prefix: str) -> dict[str, Any]:
    return next(s for s in STEPS if s.get("uses", "").startswith(prefix))


def test_the_venv_is_restored_and_saved_under_one_key_with_the_save_under_always() -> None:
    restore, save = _uses("actions/cache/restore@"), _uses("actions/cache/save@")
    assert restore["uses"].split("@")[1] == save["uses"].split("@")[1], "restore and save from one release"
    assert restore["with"]["key"] == save["with"]["key"]
    assert restore["with"]["path"] == save["with"]["path"]
    for part in ("runner.os", "runner.arch", "steps.setup.outputs.python-version", "steps.setup.outputs.lock-hash"):
        assert part in restore["with"]["key"], part
    assert "steps.setup.outputs.venv" in restore["with"]["path"]
    # Saved even when the job (or the report) failed, and only after the CLI ran: the last step.
    assert save["if"].startswith("always() && ")
    assert "steps.restore.outputs.cache-hit != 'true'" in save["if"]
    assert STEPS[-1] is save
    assert not any(s.get("uses", "").startswith("actions/cache@") for s in STEPS), "its post step skips failed jobs"


def test_the_cache_lives_outside_the_workspace() -> None:
    finder = (ROOT / "action" / "find-python.sh").read_text(encoding="utf-8")
    assert 'root="${RUNNER_TEMP' in finder
    assert "GITHUB_WORKSPACE" not in finder


def test_install_uses_the_hash_pinned_locks_with_short_network_timeouts() -> None:
    install = (ROOT / "action" / "install.sh").read_text(encoding="utf-8")
    assert install.count("--require-hashes") >= 3  # uv itself, then the lock with uv or with pip
    assert 'lock="$GITHUB_ACTION_PATH/requirements.lock"' in install
    assert 'uv_lock="$GITHUB_ACTION_PATH/requirements-uv.lock"' in install
    assert '-r "$lock"' in install
    assert "--only-binary :all:" in install  # never a source build on a runner
    assert 'pip_network=(--timeout "$timeout" --retries 1)' in install
    assert "UV_HTTP_TIMEOUT=" in install
    assert "UV_PYTHON_DOWNLOADS=never" in install


def test_the_run_step_runs_only_when_set_up_succeeded() -> None:
    condition = RUN_STEP["if"]
    assert "steps.setup.outputs.ready == 'true'" in condition
    assert "steps.install.outputs.ready == 'true'" in condition
