"""action.yml's composite steps on the runner emulator (tests/runner_emulator.py): what they pass to the CLI,
what they set, and how they find Python.

The end-to-end tests run the real CLI in dry-run through NEXUS_AUTOFIX_PYTHON (an interpreter that already has the
dependencies: the action's own switch for skipping the venv). The command-line tests put a recording stand-in
there instead. Installing, caching and the documented workflows are in tests/test_runner_emulation.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.action_support import ROOT, SMOKE, fixture_inputs, script, tools_path
from tests.runner_emulator import FAKE_TOKEN, JobResult, Runner, StepResult, parse_file_commands

ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
_fixture_inputs = fixture_inputs


def _load_checker() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("smoke_check_outputs", SMOKE / "check_outputs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_outputs = _load_checker()


def _failure(result: JobResult) -> str:
    return "\n".join(f"{s.name}: {s.outcome}\n{s.stdout}\n{s.stderr}" for s in result.all_steps() if s.ran)


def _run(tmp_path: Path, inputs: dict[str, str], event_name: str = "pull_request", **env: str) -> JobResult:
    return Runner(tmp_path, env=env, event_name=event_name).run_action(inputs)


def _action_steps(result: JobResult) -> list[StepResult]:
    return result.step("nexus").children


# --- end to end: the real CLI, in dry-run, on the bundled smoke fixtures ------------------------------------


@pytest.mark.parametrize("fixture", ["rust-clippy-pr", "go-fork-workflow-run"])
def test_dry_run_sets_every_output_and_writes_the_report(tmp_path: Path, fixture: str) -> None:
    inputs = _fixture_inputs(fixture)
    result = _run(tmp_path, inputs, "workflow_dispatch", NEXUS_AUTOFIX_PYTHON=sys.executable)
    assert result.status == "success", _failure(result)
    # With a prepared interpreter the cache, install and save steps are skipped; setup and run are not.
    assert [s.ran for s in _action_steps(result)] == [True, False, False, True, False]
    outputs = result.step("nexus").outputs
    assert check_outputs.check(SMOKE / fixture, outputs) == []
    assert Path(outputs["report-path"]).parent.name == "nexus-autofix"
    assert result.summary.strip(), "the step summary was not written"
    assert FAKE_TOKEN not in "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())


def test_dry_run_writes_the_chosen_webhook_payload(tmp_path: Path) -> None:
    inputs = _fixture_inputs("rust-clippy-pr")
    result = _run(tmp_path, inputs, NEXUS_AUTOFIX_PYTHON=sys.executable)
    assert result.status == "success", _failure(result)
    payload = Path(result.step("nexus").outputs["report-path"]) / "payloads" / "slack_blocks.json"
    body = json.loads(payload.read_text(encoding="utf-8"))
    assert "blocks" in body
    assert "hooks.example.invalid" not in payload.read_text(encoding="utf-8")


def test_a_bad_input_value_fails_with_the_config_error(tmp_path: Path) -> None:
    inputs = _fixture_inputs("rust-clippy-pr")
    result = _run(tmp_path, {**inputs, "webhook-format": "slack"}, NEXUS_AUTOFIX_PYTHON=sys.executable)
    run = result.step("run")
    assert run.returncode == 2
    assert result.status == "failure"
    assert "NEXUS-CONFIG-INVALID" in run.stderr
    assert "slack_blocks" in run.stderr  # the message lists the accepted values


def test_slash_command_dry_run_sets_the_command_outputs(tmp_path: Path) -> None:
    event = SMOKE / "slash-command-retry" / "event.json"
    inputs = {"dry-run": "true", "github-token": "", "event-name": "issue_comment", "event-path": str(event)}
    result = _run(tmp_path, inputs, "issue_comment", NEXUS_AUTOFIX_PYTHON=sys.executable)
    assert result.status == "success", _failure(result)
    outputs = result.step("nexus").outputs
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


def _record_run(tmp_path: Path, inputs: dict[str, str], event_name: str = "pull_request", **env: str) -> JobResult:
    env = {
        "NEXUS_AUTOFIX_PYTHON": str(_recorder(tmp_path)),
        "RECORD_DIR": str(tmp_path),
        "REAL_PYTHON": sys.executable,
        **env,
    }
    return _run(tmp_path, inputs, event_name, **env)


def test_issue_comment_events_run_slash_commands_by_default(tmp_path: Path) -> None:
    result = _record_run(tmp_path, {"log-path": str(tmp_path)}, event_name="issue_comment")
    assert result.status == "success", _failure(result)
    argv, _ = _recorded(tmp_path)
    assert argv[0] == str(ROOT / "entrypoint.py")
    assert argv[1] == "command"
    assert "--log" not in argv
    assert "--dry-run" not in argv


def test_mode_and_dry_run_are_read_case_insensitively(tmp_path: Path) -> None:
    result = _record_run(tmp_path, {"mode": " Report ", "dry-run": "TRUE"}, event_name="issue_comment")
    assert result.status == "success", _failure(result)
    argv, _ = _recorded(tmp_path)
    assert argv[1] == "report"
    assert "--dry-run" in argv


def test_autofix_variables_count_when_the_input_is_empty(tmp_path: Path) -> None:
    result = _record_run(tmp_path, {}, AUTOFIX_MODE="command", AUTOFIX_DRY_RUN="yes")
    assert result.status == "success", _failure(result)
    argv, _ = _recorded(tmp_path)
    assert argv[1] == "command"
    assert "--dry-run" in argv


def test_a_log_folder_gives_one_log_per_file_and_a_file_is_named_after_the_job(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    for name in ("build.log", "test.txt"):
        (folder / name).write_text("error\n", encoding="utf-8")
    (folder / "nested").mkdir()
    result = _record_run(tmp_path, {"log-path": str(folder)})
    assert result.status == "success", _failure(result)
    argv, _ = _recorded(tmp_path)
    logs = [argv[i + 1] for i, a in enumerate(argv) if a == "--log"]
    assert logs == [str(folder / "build.log"), str(folder / "test.txt")]

    single = tmp_path / "single"
    single.mkdir()
    _record_run(single, {"log-path": str(folder / "build.log")})
    argv, _ = _recorded(single)
    assert argv[argv.index("--log") + 1] == f"lint={folder / 'build.log'}"


def test_event_override_and_out_dir_reach_the_cli_and_report_path(tmp_path: Path) -> None:
    out = tmp_path / "my report"
    event = SMOKE / "go-fork-workflow-run" / "event.json"
    result = _record_run(tmp_path, {"event-path": str(event), "event-name": "workflow_run", "out-dir": str(out)})
    assert result.status == "success", _failure(result)
    argv, _ = _recorded(tmp_path)
    assert argv[argv.index("--event") + 1] == str(event)
    assert argv[argv.index("--event-name") + 1] == "workflow_run"
    assert argv[argv.index("--out") + 1] == str(out)
    assert result.step("nexus").outputs["report-path"] == str(out)


HOSTILE = '"; touch PWNED; echo "$(touch PWNED2)`touch PWNED3`\n::set-output name=domain::owned'


def test_input_values_reach_the_cli_verbatim_and_never_run(tmp_path: Path) -> None:
    inputs = {name: HOSTILE for name in ACTION["inputs"] if name not in ("mode", "event-path", "log-path", "out-dir")}
    result = _record_run(tmp_path, inputs)
    assert result.status == "success", _failure(result)
    _, env = _recorded(tmp_path)
    for name in inputs:
        if name.startswith("event-"):
            continue
        assert env["INPUT_" + name.upper().replace("-", "_")] == HOSTILE, name
    assert not list(tmp_path.rglob("PWNED*"))


def test_the_cli_exit_code_is_the_step_exit_code(tmp_path: Path) -> None:
    result = _record_run(tmp_path, {}, RECORD_EXIT="5")
    assert result.step("run").returncode == 5
    assert result.status == "failure"


# --- finding Python: python3, python, py -3; the first that runs and is 3.10+ ----------------------------

OLD_PYTHON = """#!/usr/bin/env bash
# Answers the action's probe as a Python 3.9.18 would: its path and version, then exit 3 (too old).
printf '%s\\n' "$0" 3.9.18 no-lock
exit 3
"""
STORE_STUB = """#!/usr/bin/env bash
# The Windows Store alias: on PATH, but only prints where to install Python from.
echo "Python was not found; run without arguments to install from the Microsoft Store" >&2
exit 9009
"""
PY_LAUNCHER = """#!/usr/bin/env bash
# The Windows `py` launcher: `py -3` starts the newest Python 3.
if [ "$1" = -3 ]; then shift; fi
exec "{python}" "$@"
"""


def _discover(tmp_path: Path, pythons: dict[str, str], **env: str) -> JobResult:
    bin_dir = tmp_path / "fake-bin"
    for name, text in pythons.items():
        script(bin_dir / name, text)
    env = {"PATH": tools_path(tmp_path, bin_dir), "NEXUS_AUTOFIX_INSTALLER": "pip", **env}
    # command mode with no event needs no log: only discovery is under test; the install is not reached or is
    # stopped by an unreachable wheelhouse.
    return Runner(tmp_path, env={**env, "NEXUS_AUTOFIX_WHEELHOUSE": str(tmp_path / "no-wheels")}).run_action(
        {"mode": "command"}
    )


def test_a_python3_that_does_not_run_does_not_hide_a_working_python(tmp_path: Path) -> None:
    result = _discover(
        tmp_path, {"python3": STORE_STUB, "python": f'#!/usr/bin/env bash\nexec "{sys.executable}" "$@"\n'}
    )
    setup = result.step("setup")
    assert setup.outputs["ready"] == "true"
    assert "using python -> " in setup.stdout
    assert setup.outputs["base-python"] == sys.executable


def test_the_py_launcher_is_the_last_resort(tmp_path: Path) -> None:
    result = _discover(tmp_path, {"py": PY_LAUNCHER.format(python=sys.executable)})
    assert "using py -3 -> " in result.step("setup").stdout


def test_too_old_or_missing_python_is_named_in_one_error_and_does_not_fail_the_job(tmp_path: Path) -> None:
    result = _discover(tmp_path, {"python3": OLD_PYTHON, "python": STORE_STUB})
    errors = result.annotations("error")
    assert len(errors) == 1, errors
    assert "No Python 3.10 or newer" in errors[0]
    assert "python3: Python 3.9.18 at " in errors[0]
    assert "python: " in errors[0]
    assert "does not run" in errors[0]
    assert "py -3: not found" in errors[0]
    assert "actions/setup-python" in result.summary
    assert result.status == "success"
    assert [s.ran for s in _action_steps(result)] == [True, False, False, False, False]


def test_no_python_with_fail_on_error_fails_the_step(tmp_path: Path) -> None:
    bin_dir = tmp_path / "empty"
    bin_dir.mkdir()
    runner = Runner(tmp_path, env={"PATH": tools_path(tmp_path, bin_dir)})
    result = runner.run_action({"mode": "command", "fail-on-error": "TRUE"})
    assert result.status == "failure"
    assert "python3: not found; python: not found; py -3: not found" in result.annotations("error")[0]


def test_setup_hashes_the_lock_and_keeps_the_venv_outside_the_workspace(tmp_path: Path) -> None:
    import hashlib

    result = _discover(tmp_path, {"python3": f'#!/usr/bin/env bash\nexec "{sys.executable}" "$@"\n'})
    setup = result.step("setup").outputs
    assert setup["lock-hash"] == hashlib.sha256((ROOT / "requirements.lock").read_bytes()).hexdigest()
    assert setup["install"] == "true"
    assert setup["venv"].endswith("/runner-temp/nexus-autofix/venv")
    assert "/workspace" not in setup["venv"]
    assert setup["python"] == setup["venv"] + "/bin/python"


def test_output_file_parser_reads_both_forms() -> None:
    text = "a=1\nb<<EOF_x\nline one\nline=two\nEOF_x\nc=x=y\n"
    assert parse_file_commands(text) == {"a": "1", "b": "line one\nline=two", "c": "x=y"}
