from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any, TextIO

import pytest

from nexus_action import cli
from nexus_action.errors import NexusError

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "tests" / "data" / "events"


def _run(argv: list[str], env: dict[str, str] | None = None) -> int:
    return cli.main(argv, env if env is not None else {})


@pytest.mark.parametrize(
    ("argv", "must_say"),
    [
        ([], ["classify", "report", "command", "settings", "docs/error-codes.md"]),
        (["classify"], ["domain, agent and kind", "--json", "--changed-files", "examples:"]),
        (["report"], ["comment -> fallback issue -> webhook", "--dry-run", "--event", "--log", "examples:"]),
        (["command"], ["/nexus", "permission", "--event"]),
        (["settings"], ["Precedence", "AUTOFIX_*", "masked"]),
    ],
)
def test_help_explains_each_command(argv: list[str], must_say: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _run([*argv, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for phrase in must_say:
        assert phrase in text


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run(["--version"])
    assert capsys.readouterr().out.strip() == "nexus-autofix 0.1.0"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _run([])
    assert info.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_unexpected_exception_prints_one_line_and_the_traceback_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: argparse.Namespace, env: Any, out: TextIO) -> int:
        raise RuntimeError("job\nname  failed")

    monkeypatch.setitem(cli.HANDLERS, "settings", broken)
    code = _run(["settings"], {"RUNNER_TEMP": str(tmp_path)})
    err = capsys.readouterr().err
    assert code == 70
    first, where, hint = err.splitlines()
    assert first == "error NEXUS-INTERNAL: unexpected RuntimeError: job name failed"
    assert "Traceback" not in err
    path = Path(where.removeprefix("  full traceback: "))
    assert path.parent == tmp_path
    assert "RuntimeError" in path.read_text(encoding="utf-8")
    assert "in broken" in path.read_text(encoding="utf-8")
    assert "bug" in hint


def test_nexus_error_is_rendered_with_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def forbidden(args: argparse.Namespace, env: Any, out: TextIO) -> int:
        raise NexusError("NEXUS-TOKEN-FORBIDDEN", "403 on POST /repos/o/r/issues/1/comments")

    monkeypatch.setitem(cli.HANDLERS, "settings", forbidden)
    assert _run(["settings"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error NEXUS-TOKEN-FORBIDDEN: 403 on POST")
    assert "hint: Grant the workflow" in err


def test_keyboard_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(args: argparse.Namespace, env: Any, out: TextIO) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.HANDLERS, "settings", interrupted)
    assert _run(["settings"]) == 130


def test_settings_command_shows_sources_and_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "nexus.yml"
    config.write_text("history_limit: 5\n", encoding="utf-8")
    env = {"GITHUB_TOKEN": "ghs_supersecret", "INPUT_DRY-RUN": "true"}
    assert _run(["settings", "--config", str(config)], env) == 0
    out = capsys.readouterr().out
    assert "ghs_supersecret" not in out
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "***" in lines["AUTOFIX_GITHUB_TOKEN"]
    assert lines["AUTOFIX_DRY_RUN"].split()[1:] == ["true", "[input]"]
    assert lines["AUTOFIX_HISTORY_LIMIT"].split()[1:] == ["5", "[config]"]
    assert lines["AUTOFIX_HTTP_RETRIES"].split()[1:] == ["3", "[default]"]


def test_bad_setting_exits_2_with_the_variable_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["settings"], {"AUTOFIX_DRY_RUN": "maybe"}) == 2
    assert "AUTOFIX_DRY_RUN must be one of true, false" in capsys.readouterr().err


def test_a_chosen_config_path_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["settings"], {"INPUT_CONFIG-PATH": str(tmp_path / "nope.yml")}) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_default_config_path_may_be_absent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert _run(["settings"]) == 0


def test_classify_path_imports_no_network_or_schema_libraries() -> None:
    # PyGithub alone costs ~0.4 s of import; `classify` is the CLI's hot path and must stay light.
    code = (
        "import sys, nexus_action, nexus_action.cli, nexus_action.classify, nexus_action.classify.command\n"
        "from nexus_action.cli import build_parser\n"
        "build_parser()\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('github', 'requests', 'jsonschema', 'urllib3'))\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == ""


def test_error_text_never_shows_the_token_or_webhook_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://hooks.slack.com/services/T000/B000/abcdefSECRET"

    def leaky(args: argparse.Namespace, env: Any, out: TextIO) -> int:
        raise ConnectionError(f"HTTPSConnectionPool: Max retries exceeded with url: {url} (token ghs_0123456789abc)")

    env = {"RUNNER_TEMP": str(tmp_path), "GITHUB_TOKEN": "ghs_0123456789abc", "AUTOFIX_ALERT_WEBHOOK_URL": url}
    monkeypatch.setitem(cli.HANDLERS, "settings", leaky)
    assert _run(["settings"], env) == 70
    err = capsys.readouterr().err
    assert "abcdefSECRET" not in err
    assert "ghs_0123456789abc" not in err
    assert "***" in err
    trace = Path(err.splitlines()[1].removeprefix("  full traceback: ")).read_text(encoding="utf-8")
    assert "abcdefSECRET" not in trace
    assert "ghs_0123456789abc" not in trace

    def rejected(args: argparse.Namespace, env: Any, out: TextIO) -> int:
        raise NexusError("NEXUS-WEBHOOK-REJECTED", f"{url} answered 404 no_service")

    monkeypatch.setitem(cli.HANDLERS, "settings", rejected)
    assert _run(["settings"], env) == 5
    assert "abcdefSECRET" not in capsys.readouterr().err


@pytest.mark.parametrize("name", ["AUTOFIX_GITHUB_TOKEN", "INPUT_GITHUB_TOKEN", "INPUT_GITHUB-TOKEN", "GITHUB_TOKEN"])
def test_with_broken_settings_the_token_is_still_scrubbed_under_every_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    token = "ghs_" + "k" * 36

    def leaky(args: argparse.Namespace, env: Any, out: TextIO) -> int:
        raise NexusError("NEXUS-DELIVERY-FAILED", f"POST failed with Authorization: token {token}")

    # A bad boolean makes the settings themselves fail, so the fallback list of token names is what scrubs.
    env = {"RUNNER_TEMP": str(tmp_path), name: token, "AUTOFIX_DRY_RUN": "maybe"}
    monkeypatch.setitem(cli.HANDLERS, "settings", leaky)
    assert _run(["settings"], env) == 5
    assert token not in capsys.readouterr().err


def test_an_unknown_flag_after_a_subcommand_shows_that_subcommand_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _run(["classify", "--bogus", "x.log"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage: nexus-autofix classify" in err
    assert "unrecognized arguments: --bogus" in err


@pytest.mark.parametrize("flag", ["--run-id", "--pr", "--run-attempt"])
@pytest.mark.parametrize("value", ["-5", "0", "1" * 30])
def test_run_numbers_must_be_positive(flag: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run(["report", "--dry-run", flag, value])
    assert "at least 1" in capsys.readouterr().err


def test_settings_names_where_the_token_came_from_and_the_routing_in_effect(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["settings"], {"GITHUB_TOKEN": "ghs_" + "x" * 36}) == 0
    shown = capsys.readouterr().out
    token = next(line for line in shown.splitlines() if line.startswith("AUTOFIX_GITHUB_TOKEN"))
    assert token.endswith("[env GITHUB_TOKEN]")
    assert "x" * 36 not in shown
    routing = next(line for line in shown.splitlines() if line.startswith("AUTOFIX_ROUTING"))
    assert '"rust": "Rex"' in routing


def test_a_bad_route_map_is_refused_when_the_settings_are_read() -> None:
    env = {"AUTOFIX_ALERT_WEBHOOK_ENABLED": "true", "AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP": "garbage"}
    assert _run(["settings"], env) == 2
