"""The Action and the documented workflows on the runner emulator (tests/runner_emulator.py): real bash processes,
GitHub's shell flags, `if:` against the job's or the action's status, post steps, a local cache service.

Nothing here reaches the network: the prepared interpreter (NEXUS_AUTOFIX_PYTHON) or a local wheelhouse stands
in for PyPI, and "no network" is an index URL on 127.0.0.1 that refuses or never answers.
"""

from __future__ import annotations

import re
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.action_support import ROOT, SMOKE, fixture_inputs, offline_action, script, tools_path
from tests.runner_emulator import Expression, Runner, condition_holds

EXAMPLES = ROOT / "docs" / "examples"
CLIPPY_OUTPUT = "error: this `if` has identical blocks\n  --> src/lib.rs:12:5\nerror: could not compile `demo`\n"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


# --- the emulator's own semantics ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "status", "expected"),
    [
        (None, "success", True),
        (None, "failure", False),
        ("failure()", "failure", True),
        ("failure()", "success", False),
        ("always()", "failure", True),
        ("steps.a.outputs.x == 'TRUE'", "success", True),  # GitHub compares strings ignoring case
        ("steps.a.outputs.x == 'true'", "failure", False),  # no status function: success() && (...)
        ("always() && steps.a.outputs.x == 'true'", "failure", True),
        ("steps.a.outputs.missing != 'true'", "success", True),
        ("!cancelled() && (steps.a.outputs.x == 'no' || steps.a.outputs.y == '')", "success", True),
        ("${{ failure() }}", "failure", True),
    ],
)
def test_if_conditions_follow_githubs_rules(condition: str | None, status: str, expected: bool) -> None:
    context = {"steps": {"a": {"outputs": {"x": "true"}}}}
    assert condition_holds(condition, context, lambda: status) is expected


def test_an_expression_the_emulator_does_not_know_fails_loudly() -> None:
    with pytest.raises(AssertionError, match="hashFiles"):
        Expression("hashFiles('x')").evaluate({}, lambda: "success")
    with pytest.raises(AssertionError, match="unknown context"):
        Expression("secret.x").evaluate({}, lambda: "success")


def test_a_step_without_shell_has_no_pipefail_and_shell_bash_has(tmp_path: Path) -> None:
    steps = [
        {"id": "plain", "run": "false | cat", "continue-on-error": True},
        {"id": "bash", "run": "false | cat", "shell": "bash", "continue-on-error": True},
    ]
    result = Runner(tmp_path).run_job({"jobs": {"j": {"steps": steps}}}, "j")
    assert result.step("plain").outcome == "success"
    assert result.step("bash").outcome == "failure"


def test_actions_cache_post_step_skips_the_save_when_the_job_failed(tmp_path: Path) -> None:
    """Why action.yml saves with actions/cache/save under always(): the post step's post-if is success()."""
    cache = {"uses": "actions/cache@0000000000000000000000000000000000000000", "with": {"path": "d", "key": "k"}}
    make = {"run": "mkdir -p d && echo x > d/f"}
    runner = Runner(tmp_path)
    red = runner.run_job({"jobs": {"j": {"steps": [cache, make, {"run": "exit 1"}]}}}, "j")
    assert red.status == "failure"
    assert runner.cached_keys() == []
    green = runner.run_job({"jobs": {"j": {"steps": [cache, make]}}}, "j")
    assert green.status == "success"
    assert runner.cached_keys() == ["k"]


# --- the documented examples: a failing command must fail its step -----------------------------------------

COMMAND_WORD = re.compile(r"(?:^|[|;&(]|&&|\|\|)\s*([A-Za-z_][\w.-]*)", re.MULTILINE)
NOT_STUBBED = {"echo", "printf", "tee", "cat", "true", "false", "test", "exit", "set", "export", "cd", "if", "then"}


def _example_run_steps() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(EXAMPLES.glob("*.yml")):
        for job_id, job in load(path)["jobs"].items():
            for i, step in enumerate(job.get("steps", [])):
                if "run" in step:
                    yield f"{path.name}:{job_id}:{i}", step
    for doc in (ROOT / "README.md", ROOT / "docs" / "quick-start.md"):
        for block in re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.DOTALL):
            data = yaml.safe_load(block)
            for i, step in enumerate(data if isinstance(data, list) else []):
                if isinstance(step, dict) and "run" in step:
                    yield f"{doc.name}:{i}", step


def _commands(run: str) -> set[str]:
    return {word for word in COMMAND_WORD.findall(run) if word not in NOT_STUBBED}


RUN_STEPS = [(name, step) for name, step in _example_run_steps() if _commands(step["run"])]


def _with_failing_commands(tmp_path: Path, step: dict[str, Any]) -> tuple[Runner, dict[str, Any]]:
    stubs = tmp_path / "stubs"
    for command in _commands(step["run"]):
        script(stubs / command, f"#!/usr/bin/env bash\necho '{command}: simulated failure' >&2\nexit 3\n")
    runner = Runner(tmp_path, env={"PATH": tools_path(tmp_path, stubs)})
    return runner, {"jobs": {"j": {"steps": [{**step, "id": "under-test"}]}}}


def test_every_example_with_a_command_is_checked() -> None:
    names = [name for name, _ in RUN_STEPS]
    assert any(name.startswith("last-step.yml") for name in names)
    assert any(name.startswith("quick-start.md") for name in names)


@pytest.mark.parametrize(("name", "step"), RUN_STEPS, ids=[name for name, _ in RUN_STEPS])
def test_a_failing_command_fails_the_example_step(tmp_path: Path, name: str, step: dict[str, Any]) -> None:
    runner, workflow = _with_failing_commands(tmp_path, step)
    result = runner.run_job(workflow, "j")
    assert result.step("under-test").outcome == "failure", f"{name}: a failing command exited 0:\n{step['run']}"


@pytest.mark.parametrize(("name", "step"), RUN_STEPS, ids=[name for name, _ in RUN_STEPS])
def test_examples_that_pipe_into_tee_use_bash_and_say_why(name: str, step: dict[str, Any]) -> None:
    if "| tee" not in step["run"]:
        return
    assert step.get("shell") == "bash", f"{name}: without shell: bash the pipe hides the failure"


def test_tee_examples_explain_the_shell_in_a_comment() -> None:
    for path in [*EXAMPLES.glob("*.yml"), ROOT / "docs" / "quick-start.md"]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^( *)shell: bash *(#.*)?$", text, flags=re.MULTILINE):
            before = text[: match.start()].splitlines()[-3:]
            comment = match.group(2) or " ".join(line for line in before if line.strip().startswith("#"))
            assert "pipefail" in comment, f"{path.name}: say why shell: bash is there"


def test_the_check_does_catch_a_tee_without_bash(tmp_path: Path) -> None:
    step = {"name": "clippy", "run": 'cargo clippy 2>&1 | tee "$RUNNER_TEMP/clippy.log"'}
    runner, workflow = _with_failing_commands(tmp_path, step)
    assert runner.run_job(workflow, "j").step("under-test").outcome == "success"  # the trap the docs avoid


# --- the last-step example, end to end ----------------------------------------------------------------------


def _cargo_stub(tmp_path: Path) -> Path:
    stubs = tmp_path / "cargo-bin"
    script(stubs / "cargo", f"#!/usr/bin/env bash\nprintf '%s' '{CLIPPY_OUTPUT}'\nexit 101\n")
    return stubs


def _last_step_job(tmp_path: Path, workflow: dict[str, Any]) -> tuple[Runner, Any]:
    env = {"PATH": tools_path(tmp_path, _cargo_stub(tmp_path)), "NEXUS_AUTOFIX_PYTHON": sys.executable}
    runner = Runner(tmp_path, env=env, event_path=SMOKE / "rust-clippy-pr" / "event.json")
    # The example as written; the job only adds dry-run (nothing may reach GitHub from a test).
    return runner, runner.run_job(workflow, "lint", job_env={"AUTOFIX_DRY_RUN": "true"})


def test_last_step_example_turns_the_job_red_and_reports(tmp_path: Path) -> None:
    _, result = _last_step_job(tmp_path, load(EXAMPLES / "last-step.yml"))
    assert result.status == "failure"
    assert result.step("cargo clippy").outcome == "failure"
    nexus = result.step("NEXUS AutoFix")
    assert nexus.outcome == "success", nexus.all_output()
    assert nexus.outputs["domain"] == "rust"
    report = Path(nexus.outputs["report-path"])
    assert (report / "comment.md").is_file()
    assert "identical blocks" in (report / "comment.md").read_text(encoding="utf-8")


def test_without_shell_bash_the_same_example_goes_green_and_never_reports(tmp_path: Path) -> None:
    workflow = load(EXAMPLES / "last-step.yml")
    for step in workflow["jobs"]["lint"]["steps"]:
        step.pop("shell", None)
    _, result = _last_step_job(tmp_path, workflow)
    assert result.status == "success"
    assert not result.step("NEXUS AutoFix").ran


# --- the action's own steps ----------------------------------------------------------------------------------


def _offline_runner(tmp_path: Path, action: Path, wheelhouse: Path, **env: str) -> Runner:
    python_bin = tmp_path / "python-bin"
    (python_bin).mkdir(exist_ok=True)
    if not (python_bin / "python3").exists():
        (python_bin / "python3").symlink_to(sys.executable)
    full_env = {"PATH": tools_path(tmp_path, python_bin), "NEXUS_AUTOFIX_WHEELHOUSE": str(wheelhouse), **env}
    return Runner(tmp_path, action_root=action, env=full_env)


def test_with_the_job_already_failed_the_venv_is_installed_saved_and_restored_next_time(tmp_path: Path) -> None:
    action, wheelhouse, lock_hash = offline_action(tmp_path)
    runner = _offline_runner(tmp_path, action, wheelhouse, NEXUS_AUTOFIX_INSTALLER="pip")
    inputs = fixture_inputs("rust-clippy-pr")
    first = runner.run_action(inputs, job_failed=True)
    assert first.status == "failure"  # the build's failure, which the action reports and leaves alone
    install = first.step("install")
    assert install.outcome == "success", install.all_output()
    assert "installed with pip" in install.stdout
    assert first.step("nexus").outputs["domain"] == "rust"
    keys = runner.cached_keys()
    assert len(keys) == 1
    assert keys[0].startswith("nexus-autofix-venv-Linux-X64-py3.")
    assert keys[0].endswith(lock_hash)

    second = runner.run_action(inputs, job_failed=True)  # a new runner: fresh RUNNER_TEMP, same cache service
    assert second.step("restore").outputs["cache-hit"] == "true"
    assert "restored from cache" in second.step("install").stdout
    assert not second.step("Save the virtualenv").ran
    assert second.step("nexus").outputs["domain"] == "rust"


def test_uv_on_path_installs_the_lock(tmp_path: Path) -> None:
    action, wheelhouse, lock_hash = offline_action(tmp_path)
    uv_bin = tmp_path / "uv-bin"
    uv_bin.mkdir()
    (uv_bin / "uv").symlink_to(Path(sys.executable).parent / "uv")
    runner = _offline_runner(tmp_path, action, wheelhouse)
    runner.extra_env["PATH"] = tools_path(tmp_path, uv_bin, tmp_path / "python-bin")
    result = runner.run_action({"mode": "command", "dry-run": "true"})
    install = result.step("install")
    assert install.outcome == "success", install.all_output()
    assert "installed with uv" in install.stdout
    venv = Path(result.step("setup").outputs["venv"])
    assert (venv / ".nexus-lock-sha256").read_text(encoding="utf-8") == lock_hash


def test_uv_is_fetched_from_its_pinned_lock_when_it_is_not_on_path(tmp_path: Path) -> None:
    action, wheelhouse, _ = offline_action(tmp_path, uv_wheel="platform")
    runner = _offline_runner(tmp_path, action, wheelhouse)
    result = runner.run_action({"mode": "command", "dry-run": "true"})
    install = result.step("install")
    assert install.outcome == "success", install.all_output()
    assert "installed with uv" in install.stdout
    root = Path(result.step("setup").outputs["root"])
    assert "--- pip install uv" not in (root / "install.log").read_text(encoding="utf-8"), "fetch_uv.py did not"
    assert (root / "uv" / "bin" / "uv").is_file()


def test_uv_is_installed_with_pip_from_its_pinned_lock_when_it_cannot_be_fetched(tmp_path: Path) -> None:
    action, wheelhouse, _ = offline_action(tmp_path, uv_wheel="any")  # no wheel tagged for this machine
    runner = _offline_runner(tmp_path, action, wheelhouse)
    result = runner.run_action({"mode": "command", "dry-run": "true"})
    install = result.step("install")
    assert install.outcome == "success", install.all_output()
    assert "installed with uv" in install.stdout
    root = Path(result.step("setup").outputs["root"])
    assert (root / "uv" / "bin" / "uv").is_file()
    assert "--- pip install uv" in (root / "install.log").read_text(encoding="utf-8")
    assert runner.cached_keys(), "the venv (and uv with it) was not saved"


def test_a_stale_venv_from_an_older_lock_is_rebuilt(tmp_path: Path) -> None:
    action, wheelhouse, lock_hash = offline_action(tmp_path)
    runner = _offline_runner(tmp_path, action, wheelhouse, NEXUS_AUTOFIX_INSTALLER="pip")
    stale = tmp_path / "job-1" / "runner-temp" / "nexus-autofix" / "venv"
    stale.mkdir(parents=True)
    (stale / ".nexus-lock-sha256").write_text("an-older-lock", encoding="utf-8")
    (stale / "leftover").write_text("x", encoding="utf-8")
    result = runner.run_action({"mode": "command", "dry-run": "true"})
    assert result.step("install").outcome == "success", result.step("install").all_output()
    assert not (stale / "leftover").exists()
    assert (stale / ".nexus-lock-sha256").read_text(encoding="utf-8") == lock_hash


def _assert_reported_not_fatal(result: Any, what: str) -> None:
    errors = result.annotations("error")
    assert any(what in e for e in errors), errors
    assert "NEXUS AutoFix could not start" in result.summary
    assert result.status == "success", "a set-up failure must not turn the job red (fail-on-error is false)"
    assert not result.step("run").ran


def test_a_lock_hash_mismatch_is_reported_in_the_summary_and_not_fatal(tmp_path: Path) -> None:
    action, wheelhouse, _ = offline_action(tmp_path, bad_hash=True)
    runner = _offline_runner(tmp_path, action, wheelhouse, NEXUS_AUTOFIX_INSTALLER="pip")
    result = runner.run_action({"mode": "command"})
    _assert_reported_not_fatal(result, "Installing the dependencies failed")
    assert "PIP_INDEX_URL" in result.summary
    assert "NEXUS_AUTOFIX_WHEELHOUSE" in result.summary
    assert not runner.cached_keys()


def test_fail_on_error_true_turns_a_set_up_failure_red(tmp_path: Path) -> None:
    action, wheelhouse, _ = offline_action(tmp_path, bad_hash=True)
    runner = _offline_runner(tmp_path, action, wheelhouse, NEXUS_AUTOFIX_INSTALLER="pip")
    result = runner.run_action({"mode": "command", "fail-on-error": "true"})
    assert result.status == "failure"
    assert result.step("install").outcome == "failure"
    assert result.annotations("error")


def _refusing_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: connections are refused


@pytest.fixture
def silent_index() -> Iterator[str]:
    """An index that accepts the connection and never answers (the kernel's backlog does the accepting)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/simple"


def _no_network_run(tmp_path: Path, index: str) -> tuple[Any, float]:
    python_bin = tmp_path / "python-bin"
    python_bin.mkdir()
    (python_bin / "python3").symlink_to(sys.executable)
    env = {"PATH": tools_path(tmp_path, python_bin), "PIP_INDEX_URL": index, "UV_CACHE_DIR": str(tmp_path / "uv")}
    runner = Runner(tmp_path, env=env)  # the real action and its real locks; no uv on PATH
    start = time.monotonic()
    result = runner.run_action(fixture_inputs("rust-clippy-pr"), job_failed=True)
    return result, time.monotonic() - start


def test_no_network_refused_gives_an_error_a_summary_and_exit_0(tmp_path: Path) -> None:
    result, seconds = _no_network_run(tmp_path, f"http://127.0.0.1:{_refusing_port()}/simple")
    install = result.step("install")
    assert install.returncode == 0
    assert any("Installing the dependencies failed" in e for e in result.annotations("error"))
    assert "UV_INDEX_URL" in result.summary
    assert not result.step("run").ran
    assert result.status == "failure"  # the build's own failure; the action added none
    assert result.step("nexus").outcome == "success"
    assert seconds < 30


@pytest.mark.slow
def test_no_network_silent_index_is_reported_within_30_seconds(tmp_path: Path, silent_index: str) -> None:
    result, seconds = _no_network_run(tmp_path, silent_index)
    assert result.step("install").returncode == 0
    assert any("Installing the dependencies failed" in e for e in result.annotations("error"))
    assert "could not start" in result.summary
    assert seconds < 30, f"the install gave up after {seconds:.1f} s"


# --- log-path ------------------------------------------------------------------------------------------------


def _prepared(tmp_path: Path) -> Runner:
    return Runner(tmp_path, env={"NEXUS_AUTOFIX_PYTHON": sys.executable})


def test_an_empty_log_file_still_yields_a_report(tmp_path: Path) -> None:
    empty = tmp_path / "build.log"
    empty.write_text("", encoding="utf-8")
    inputs = fixture_inputs("rust-clippy-pr") | {"log-path": str(empty)}
    result = _prepared(tmp_path).run_action(inputs, job_failed=True)
    assert result.step("run").outcome == "success", result.step("run").all_output()
    assert (Path(result.step("nexus").outputs["report-path"]) / "comment.md").is_file()


def test_a_missing_log_file_still_yields_a_report(tmp_path: Path) -> None:
    """A step before the tee failed (checkout, npm ci): the file was never written. The action passes the path on."""
    inputs = fixture_inputs("rust-clippy-pr") | {"log-path": str(tmp_path / "never-written.log")}
    result = _prepared(tmp_path).run_action(inputs, job_failed=True)
    assert result.step("run").outcome == "success", result.step("run").all_output()
    report = Path(result.step("nexus").outputs["report-path"])
    assert (report / "comment.md").is_file()
    written = "".join(p.read_text(encoding="utf-8") for p in report.glob("*.md")) + result.summary
    assert "was not available" in written, "the report must say the log was missing"
