"""Run action.yml's composite steps as written, the way the runner does, and check what they set.

The harness reads action.yml, evaluates each step's `if:` and the `${{ }}` expressions of its `env:` mapping
(inputs, github.*, runner.*, steps.<id>.outputs.*: anything else fails the test, so the action cannot grow an
expression nobody ran), then runs the `run:` script with `bash --noprofile --norc -eo pipefail` and a fresh
GITHUB_OUTPUT per step, a GITHUB_STEP_SUMMARY and a RUNNER_TEMP in tmp_path. `uses:` steps are skipped: the
only one is actions/cache, and skipping it is exactly a cache miss.

NEXUS_AUTOFIX_PYTHON (an interpreter with the dependencies already installed) is the action's own switch for
skipping the venv; the end-to-end tests point it at this test run's interpreter.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
SMOKE = ROOT / "tests" / "data" / "smoke"
BASH = shutil.which("bash") or "/bin/bash"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STEP_OUTPUT_EQUALS = re.compile(r"^steps\.([\w-]+)\.outputs\.([\w-]+) == '([^']*)'$")
SKIPPABLE_USES = ("actions/cache@",)
FAKE_TOKEN = "ghs_" + "H4rness" * 5 + "x"


def _load_checker() -> Any:
    spec = importlib.util.spec_from_file_location("smoke_check_outputs", SMOKE / "check_outputs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_outputs = _load_checker()


def parse_output_file(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT's two forms: `name=value` and `name<<DELIMITER` ... `DELIMITER`."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
        i += 1
    return outputs


@dataclass
class StepRun:
    name: str
    ran: bool
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


class ActionHarness:
    def __init__(
        self,
        tmp_path: Path,
        inputs: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        *,
        event_name: str = "pull_request",
        action_path: Path = ROOT,
    ) -> None:
        declared = ACTION["inputs"]
        unknown = set(inputs or {}) - set(declared)
        assert not unknown, f"inputs not declared in action.yml: {unknown}"
        self.tmp = tmp_path
        self.temp = tmp_path / "runner-temp"
        self.workspace = tmp_path / "workspace"
        for folder in (self.temp, self.workspace):
            folder.mkdir(exist_ok=True)
        self.summary = tmp_path / "step-summary.md"
        self.summary.touch()
        self.github = {"token": FAKE_TOKEN, "workspace": str(self.workspace), "event_name": event_name}
        self.runner = {"temp": str(self.temp), "os": "Linux", "arch": "X64"}
        self.inputs = {name: self._substitute(str(spec.get("default", ""))) for name, spec in declared.items()}
        self.inputs.update(inputs or {})
        self.steps: dict[str, dict[str, str]] = {}
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(action_path),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(SMOKE / "rust-clippy-pr" / "event.json"),
            "GITHUB_REPOSITORY": "Codertocat/Hello-World",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_JOB": "lint",
            "GITHUB_WORKFLOW": "CI",
            "GITHUB_SHA": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
            "GITHUB_REF": "refs/pull/2/merge",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": "https://api.github.com",
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_OS": "Linux",
            **(env or {}),
        }

    def _value(self, expr: str) -> str:
        scope, _, rest = expr.partition(".")
        if scope == "inputs":
            return self.inputs[rest]
        if scope == "github":
            return self.github[rest]
        if scope == "runner":
            return self.runner[rest]
        match = re.fullmatch(r"([\w-]+)\.outputs\.([\w-]+)", rest)
        if scope == "steps" and match:
            return self.steps.get(match.group(1), {}).get(match.group(2), "")
        raise AssertionError(f"the harness cannot evaluate ${{{{ {expr} }}}}: keep action.yml's expressions simple")

    def _substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: self._value(m.group(1)), text)

    def _condition(self, condition: str | None) -> bool:
        if condition is None:
            return True
        match = STEP_OUTPUT_EQUALS.match(condition.strip())
        assert match, f"the harness cannot evaluate if: {condition}"
        step, name, expected = match.groups()
        return self.steps.get(step, {}).get(name, "") == expected

    def run(self) -> list[StepRun]:
        """Run the steps in order; like the runner, stop at the first failing step."""
        runs: list[StepRun] = []
        for index, step in enumerate(ACTION["runs"]["steps"]):
            name = step.get("name", f"step {index}")
            if not self._condition(step.get("if")):
                runs.append(StepRun(name, ran=False))
                continue
            if "uses" in step:
                assert step["uses"].startswith(SKIPPABLE_USES), f"the harness cannot run {step['uses']}"
                runs.append(StepRun(name, ran=False))  # a cache miss
                continue
            runs.append(self._run_script(index, step))
            if runs[-1].returncode != 0:
                break
        return runs

    def _run_script(self, index: int, step: dict[str, Any]) -> StepRun:
        assert step.get("shell") == "bash"
        assert "${{" not in step["run"], "expressions inside run: are forbidden; pass values through env:"
        output_file = self.tmp / f"github-output-{index}"
        output_file.write_text("", encoding="utf-8")
        script = self.tmp / f"step-{index}.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = dict(self.env, GITHUB_OUTPUT=str(output_file))
        env.update({key: self._substitute(str(value)) for key, value in (step.get("env") or {}).items()})
        proc = subprocess.run(
            [BASH, "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env=env,
            cwd=self.workspace,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        outputs = parse_output_file(output_file.read_text(encoding="utf-8"))
        if step.get("id"):
            self.steps[step["id"]] = outputs
        return StepRun(step.get("name", ""), True, proc.returncode, proc.stdout, proc.stderr, outputs)

    def outputs(self) -> dict[str, str]:
        """The action's outputs, as `outputs.<name>.value` maps them from the step outputs."""
        return {name: self._substitute(spec["value"]) for name, spec in ACTION["outputs"].items()}


def _fixture_inputs(name: str, tmp_path: Path) -> dict[str, str]:
    """The smoke workflow's inputs; the fixture sits in the workspace, where actions/checkout puts it there."""
    folder = tmp_path / "workspace" / "tests" / "data" / "smoke" / name
    shutil.copytree(SMOKE / name, folder)
    fixture = json.loads((folder / "fixture.json").read_text(encoding="utf-8"))
    inputs = {
        "dry-run": "true",
        "event-name": fixture["event_name"],
        "event-path": str(folder / fixture["event"]),
        "log-path": str(folder / fixture["log_path"]),
        "webhook-enabled": "true",
        "webhook-url": "https://hooks.example.invalid/nexus-harness",
        "webhook-format": "slack_blocks",
        "webhook-on": "always",
    }
    return inputs


def _failure(runs: list[StepRun]) -> str:
    last = runs[-1]
    return f"step {last.name!r} exited {last.returncode}\nstdout:\n{last.stdout}\nstderr:\n{last.stderr}"


# --- end to end: the real CLI, in dry-run, on the bundled smoke fixtures ------------------------------------


@pytest.mark.parametrize("fixture", ["rust-clippy-pr", "go-fork-workflow-run"])
def test_dry_run_sets_every_output_and_writes_the_report(tmp_path: Path, fixture: str) -> None:
    inputs = _fixture_inputs(fixture, tmp_path)
    harness = ActionHarness(tmp_path, inputs, {"NEXUS_AUTOFIX_PYTHON": sys.executable}, event_name="workflow_dispatch")
    runs = harness.run()
    assert all(r.returncode == 0 for r in runs), _failure(runs)
    # With a prepared interpreter the cache and install steps are skipped; setup and run are not.
    assert [r.ran for r in runs] == [True, False, False, True]
    outputs = harness.outputs()
    assert check_outputs.check(SMOKE / fixture, outputs) == []
    assert Path(outputs["report-path"]).parent == harness.temp / "nexus-autofix"
    assert harness.summary.read_text(encoding="utf-8").strip(), "the step summary was not written"
    assert FAKE_TOKEN not in "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


def test_a_log_symlinked_out_of_the_workspace_is_refused_unless_allowed(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "credentials.txt"
    secret.parent.mkdir()
    secret.write_text("error: the line an attacker wants posted\n", encoding="utf-8")
    inputs = _fixture_inputs("rust-clippy-pr", tmp_path)
    folder = Path(inputs["log-path"]).parent if Path(inputs["log-path"]).is_file() else Path(inputs["log-path"])
    logs = tmp_path / "workspace" / "logs"
    shutil.copytree(folder, logs)
    (logs / "innocent.log").symlink_to(secret)
    env = {"NEXUS_AUTOFIX_PYTHON": sys.executable}
    harness = ActionHarness(tmp_path, {**inputs, "log-path": str(logs)}, env, event_name="workflow_dispatch")
    runs = harness.run()
    assert runs[-1].returncode == 2, _failure(runs)
    assert "NEXUS-LOG-PATH-OUTSIDE" in runs[-1].stderr
    assert "innocent.log" in runs[-1].stderr
    assert "attacker" not in harness.summary.read_text(encoding="utf-8")

    allowed = tmp_path / "allowed"
    allowed.mkdir()
    inputs = _fixture_inputs("rust-clippy-pr", allowed)
    harness = ActionHarness(
        allowed, {**inputs, "log-path": str(logs), "allow-outside-logs": "true"}, env, event_name="workflow_dispatch"
    )
    runs = harness.run()
    assert runs[-1].returncode == 0, _failure(runs)  # logs/ is outside *this* workspace, and that is allowed


def test_dry_run_writes_the_chosen_webhook_payload(tmp_path: Path) -> None:
    inputs = _fixture_inputs("rust-clippy-pr", tmp_path)
    harness = ActionHarness(tmp_path, inputs, {"NEXUS_AUTOFIX_PYTHON": sys.executable})
    runs = harness.run()
    assert runs[-1].returncode == 0, _failure(runs)
    payload = Path(harness.outputs()["report-path"]) / "payloads" / "slack_blocks.json"
    body = json.loads(payload.read_text(encoding="utf-8"))
    assert "blocks" in body
    assert "hooks.example.invalid" not in payload.read_text(encoding="utf-8")


def test_a_bad_input_value_fails_with_the_config_error(tmp_path: Path) -> None:
    inputs = _fixture_inputs("rust-clippy-pr", tmp_path)
    harness = ActionHarness(tmp_path, {**inputs, "webhook-format": "slack"}, {"NEXUS_AUTOFIX_PYTHON": sys.executable})
    runs = harness.run()
    assert runs[-1].name == "Run NEXUS AutoFix"
    assert runs[-1].returncode == 2
    assert "NEXUS-CONFIG-INVALID" in runs[-1].stderr
    assert "slack_blocks" in runs[-1].stderr  # the message lists the accepted values


def test_slash_command_dry_run_sets_the_command_outputs(tmp_path: Path) -> None:
    event = SMOKE / "slash-command-retry" / "event.json"
    inputs = {"dry-run": "true", "github-token": "", "event-name": "issue_comment", "event-path": str(event)}
    harness = ActionHarness(tmp_path, inputs, {"NEXUS_AUTOFIX_PYTHON": sys.executable}, event_name="issue_comment")
    runs = harness.run()
    assert runs[-1].returncode == 0, _failure(runs)
    outputs = harness.outputs()
    assert outputs["command-status"] == "ok"
    assert [c["command"] for c in json.loads(outputs["commands"])] == ["/nexus retry"]
    assert json.loads(outputs["retried-runs"]) == []
    plan = json.loads((Path(outputs["report-path"]) / "plan.json").read_text(encoding="utf-8"))
    assert plan["mode"] == "command"
    assert plan["dry_run"] is True


# --- the run step's command line, with a recording stand-in for Python -------------------------------------

RECORDER = """#!/usr/bin/env bash
# Stand-in for the interpreter: the setup step's `-c` checks go to the real one; the CLI call is recorded
# (argv NUL-separated, and the environment), then it exits as told.
if [ "$1" = -c ]; then exec "$REAL_PYTHON" "$@"; fi
printf '%s\\0' "$@" > "$RECORD_DIR/argv"
env -0 > "$RECORD_DIR/env"
exit "${RECORD_EXIT:-0}"
"""


def _recorder(tmp_path: Path) -> Path:
    path = tmp_path / "recording-python"
    path.write_text(RECORDER, encoding="utf-8")
    path.chmod(0o755)
    return path


def _recorded(tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    argv = (tmp_path / "argv").read_text(encoding="utf-8").split("\0")[:-1]
    pairs = (item.split("=", 1) for item in (tmp_path / "env").read_text(encoding="utf-8").split("\0") if item)
    return argv, dict(pairs)  # type: ignore[arg-type]


def _record_run(tmp_path: Path, inputs: dict[str, str], event_name: str = "pull_request", **env: str) -> Any:
    harness = ActionHarness(
        tmp_path,
        inputs,
        {
            "NEXUS_AUTOFIX_PYTHON": str(_recorder(tmp_path)),
            "RECORD_DIR": str(tmp_path),
            "REAL_PYTHON": sys.executable,
            **env,
        },
        event_name=event_name,
    )
    runs = harness.run()
    return harness, runs


def test_issue_comment_events_run_slash_commands_by_default(tmp_path: Path) -> None:
    _, runs = _record_run(tmp_path, {"log-path": str(tmp_path)}, event_name="issue_comment")
    assert runs[-1].returncode == 0, _failure(runs)
    argv, _ = _recorded(tmp_path)
    assert argv[0] == str(ROOT / "entrypoint.py")
    assert argv[1] == "command"
    assert "--log" not in argv
    assert "--dry-run" not in argv


def test_mode_and_dry_run_are_read_case_insensitively(tmp_path: Path) -> None:
    _, runs = _record_run(tmp_path, {"mode": " Report ", "dry-run": "TRUE"}, event_name="issue_comment")
    assert runs[-1].returncode == 0, _failure(runs)
    argv, _ = _recorded(tmp_path)
    assert argv[1] == "report"
    assert "--dry-run" in argv


def test_autofix_variables_count_when_the_input_is_empty(tmp_path: Path) -> None:
    _, runs = _record_run(tmp_path, {}, AUTOFIX_MODE="command", AUTOFIX_DRY_RUN="yes")
    assert runs[-1].returncode == 0, _failure(runs)
    argv, _ = _recorded(tmp_path)
    assert argv[1] == "command"
    assert "--dry-run" in argv


def test_a_log_folder_gives_one_log_per_file_and_a_file_is_named_after_the_job(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in ("build.log", "test.txt"):
        (folder / name).write_text("error\n", encoding="utf-8")
    (folder / "nested").mkdir()
    _, runs = _record_run(tmp_path, {"log-path": str(folder)})
    assert runs[-1].returncode == 0, _failure(runs)
    argv, _ = _recorded(tmp_path)
    logs = [argv[i + 1] for i, a in enumerate(argv) if a == "--log"]
    assert logs == [str(folder / "build.log"), str(folder / "test.txt")]

    single = tmp_path / "single"
    single.mkdir()
    _, runs = _record_run(single, {"log-path": str(folder / "build.log")})
    argv, _ = _recorded(single)
    assert argv[argv.index("--log") + 1] == f"lint={folder / 'build.log'}"


def test_event_override_and_out_dir_reach_the_cli_and_report_path(tmp_path: Path) -> None:
    out = tmp_path / "my report"
    event = SMOKE / "go-fork-workflow-run" / "event.json"
    harness, runs = _record_run(tmp_path, {"event-path": str(event), "event-name": "workflow_run", "out-dir": str(out)})
    assert runs[-1].returncode == 0, _failure(runs)
    argv, _ = _recorded(tmp_path)
    assert argv[argv.index("--event") + 1] == str(event)
    assert argv[argv.index("--event-name") + 1] == "workflow_run"
    assert argv[argv.index("--out") + 1] == str(out)
    assert harness.outputs()["report-path"] == str(out)


HOSTILE = '"; touch PWNED; echo "$(touch PWNED2)`touch PWNED3`\n::set-output name=domain::owned'


def test_input_values_reach_the_cli_verbatim_and_never_run(tmp_path: Path) -> None:
    inputs = {name: HOSTILE for name in ACTION["inputs"] if name not in ("mode", "event-path", "log-path", "out-dir")}
    _, runs = _record_run(tmp_path, inputs)
    assert runs[-1].returncode == 0, _failure(runs)
    _, env = _recorded(tmp_path)
    for name in inputs:
        if name.startswith("event-"):
            continue
        assert env["INPUT_" + name.upper().replace("-", "_")] == HOSTILE, name
    assert not list(tmp_path.rglob("PWNED*"))


def test_the_cli_exit_code_is_the_step_exit_code(tmp_path: Path) -> None:
    _, runs = _record_run(tmp_path, {}, RECORD_EXIT="5")
    assert runs[-1].name == "Run NEXUS AutoFix"
    assert runs[-1].returncode == 5


# --- start-up: Python check, venv, cache, hash-pinned install ----------------------------------------------

FAKE_OLD_PYTHON = """#!/usr/bin/env bash
# Answers like Python 3.9.18 would.
case "$2" in
  *version_info\\ \\>=*) exit 1 ;;
  *version_info*) echo 3.9.18 ;;
esac
"""


def test_setup_refuses_python_older_than_3_10_with_a_clear_error(tmp_path: Path) -> None:
    old = tmp_path / "python3.9"
    old.write_text(FAKE_OLD_PYTHON, encoding="utf-8")
    old.chmod(0o755)
    runs = ActionHarness(tmp_path, {}, {"NEXUS_AUTOFIX_PYTHON": str(old)}).run()
    assert len(runs) == 1
    assert runs[0].returncode == 1
    assert "needs Python 3.10 or newer" in runs[0].stdout
    assert "is 3.9.18" in runs[0].stdout
    assert "::error title=NEXUS AutoFix::" in runs[0].stdout


def test_setup_says_when_there_is_no_python_at_all(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    runs = ActionHarness(tmp_path, {}, {"PATH": str(empty)}).run()
    assert runs[0].returncode == 1
    assert "python3 was not found" in runs[0].stdout


STAND_IN_PYTHON = """#!/usr/bin/env bash
# A base interpreter whose `-m venv` and `-m pip` are recorded instead of run (no network in tests).
if [ "$1" = -m ] && [ "$2" = venv ]; then venv="${!#}"; mkdir -p "$venv/bin"; cp "$0" "$venv/bin/python"; exit 0; fi
if [ "$1" = -m ] && [ "$2" = pip ]; then printf '%s\\n' "$@" >> "$RECORD_DIR/pip"; exit 0; fi
exec "$REAL_PYTHON" "$@"
"""


def _action_copy(tmp_path: Path) -> tuple[Path, str]:
    """An action folder with a lock file of our own; entrypoint.py links back to the real package."""
    action = tmp_path / "action"
    action.mkdir()
    lock = b"requests==2.32.3 \\\n    --hash=sha256:" + b"0" * 64 + b"\n"
    (action / "requirements.lock").write_bytes(lock)
    (action / "entrypoint.py").symlink_to(ROOT / "entrypoint.py")
    return action, hashlib.sha256(lock).hexdigest()


def _stand_in_path(tmp_path: Path) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python3"
    python.write_text(STAND_IN_PYTHON, encoding="utf-8")
    python.chmod(0o755)
    return f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"


def test_cold_start_creates_the_venv_outside_the_workspace_and_installs_the_lock_with_hashes(tmp_path: Path) -> None:
    action, lock_hash = _action_copy(tmp_path)
    env = {"PATH": _stand_in_path(tmp_path), "REAL_PYTHON": sys.executable, "RECORD_DIR": str(tmp_path)}
    harness = ActionHarness(tmp_path, {"dry-run": "true", "mode": "command"}, env, action_path=action)
    runs = harness.run()
    setup = harness.steps["setup"]
    assert setup["install"] == "true"
    assert setup["lock-hash"] == lock_hash
    venv = harness.temp / "nexus-autofix" / "venv"
    assert setup["venv"] == str(venv)
    assert not str(venv).startswith(str(harness.workspace))
    assert [r.ran for r in runs[:3]] == [True, False, True]  # the cache step is a miss here
    pip = (tmp_path / "pip").read_text(encoding="utf-8").split("\n")
    assert "--require-hashes" in pip
    # The runner's pip installs into a pip-less venv (no ensurepip: seconds saved on every cold start).
    assert pip[pip.index("--python") + 1] == setup["python"] == str(venv / "bin" / "python")
    assert pip[pip.index("-r") + 1] == str(action / "requirements.lock")
    assert pip[pip.index("--cache-dir") + 1] == setup["pip-cache"]
    assert (venv / ".nexus-lock-sha256").read_text(encoding="utf-8") == lock_hash


def test_warm_start_reuses_a_restored_venv_without_running_pip(tmp_path: Path) -> None:
    action, lock_hash = _action_copy(tmp_path)
    venv = tmp_path / "runner-temp" / "nexus-autofix" / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / ".nexus-lock-sha256").write_text(lock_hash, encoding="utf-8")
    env = {"PATH": _stand_in_path(tmp_path), "REAL_PYTHON": sys.executable, "RECORD_DIR": str(tmp_path)}
    inputs = _fixture_inputs("rust-clippy-pr", tmp_path)
    harness = ActionHarness(tmp_path, inputs, env, action_path=action)
    runs = harness.run()
    assert runs[-1].returncode == 0, _failure(runs)
    assert "dependencies restored from cache" in runs[2].stdout
    assert not (tmp_path / "pip").exists()
    assert harness.outputs()["domain"] == "rust"


def test_a_stale_venv_from_an_older_lock_is_rebuilt(tmp_path: Path) -> None:
    action, lock_hash = _action_copy(tmp_path)
    venv = tmp_path / "runner-temp" / "nexus-autofix" / "venv"
    venv.mkdir(parents=True)
    (venv / ".nexus-lock-sha256").write_text("an-older-lock", encoding="utf-8")
    (venv / "leftover").write_text("x", encoding="utf-8")
    env = {"PATH": _stand_in_path(tmp_path), "REAL_PYTHON": sys.executable, "RECORD_DIR": str(tmp_path)}
    harness = ActionHarness(tmp_path, {"mode": "command"}, env, action_path=action)
    harness.run()
    assert (tmp_path / "pip").exists()
    assert not (venv / "leftover").exists()
    assert (venv / ".nexus-lock-sha256").read_text(encoding="utf-8") == lock_hash


def test_output_file_parser_reads_both_forms() -> None:
    text = "a=1\nb<<EOF_x\nline one\nline=two\nEOF_x\nc=x=y\n"
    assert parse_output_file(text) == {"a": "1", "b": "line one\nline=two", "c": "x=y"}
