"""`nexus-autofix classify`: files, standard input, changed files, JSON contract, clean errors, cheap import."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from nexus_action.classify.command import classify_command, read_changed_files
from nexus_action.cli import main
from nexus_action.config.settings import Settings
from nexus_action.errors import NexusError

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "tests" / "data" / "logs"
SCHEMA = json.loads((ROOT / "nexus_action" / "schemas" / "classification.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _no_repo_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the CLI reads .github/nexus.yml from the working directory when it exists
    monkeypatch.chdir(tmp_path)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args, env={})
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_output_is_valid_against_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["classify", str(LOGS / "rust_clippy.log"), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert (data["domain"], data["agent"], data["kind"], data["failure_type"]) == ("rust", "Rex", "lint", "rust_clippy")
    assert data["top_blocker"]["file"] == "src/lib.rs"


def test_human_summary_names_the_top_blocker(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["classify", str(LOGS / "python_mypy.log")], capsys)
    assert code == 0
    assert "domain:       python" in out
    assert "src/app/models.py:12" in out


def test_missing_log_is_a_clean_input_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    code, out, err = run_cli(["classify", str(missing)], capsys)
    assert code == 2
    assert out == ""
    assert "NEXUS-INPUT-INVALID" in err
    assert str(missing) in err
    assert "Traceback" not in err


def test_directory_as_log_is_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(["classify", str(tmp_path)], capsys)
    assert code == 2
    assert "directory" in err


def test_missing_changed_files_list_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(NexusError) as err:
        classify_command(
            str(LOGS / "rust_fmt.log"),
            workflow=None,
            job=None,
            step=None,
            changed_files=str(tmp_path / "files.txt"),
            settings=Settings(),
            stdin=io.BytesIO(),
        )
    assert err.value.code == "NEXUS-INPUT-INVALID"
    assert "files.txt" in err.value.message


def test_log_from_standard_input_and_changed_files_from_a_file(tmp_path: Path) -> None:
    files = tmp_path / "changed.txt"
    files.write_text("# changed in this PR\nsrc/app.py\n\nsetup.cfg\n", encoding="utf-8")
    assert read_changed_files(str(files), io.BytesIO()) == ["src/app.py", "setup.cfg"]
    result = classify_command(
        "-",
        workflow=None,
        job=None,
        step=None,
        changed_files=str(files),
        settings=Settings(routing={"python": "Pythia"}),
        stdin=io.BytesIO(b"error: something failed\n##[error]Process completed with exit code 1.\n"),
    )
    assert (result.domain, result.agent) == ("python", "Pythia")
    assert any(e.signal == "changed_files" and "src/app.py" in e.detail for e in result.evidence)


def test_log_and_changed_files_cannot_both_be_stdin() -> None:
    with pytest.raises(NexusError, match="standard input"):
        classify_command(
            "-", workflow=None, job=None, step=None, changed_files="-", settings=Settings(), stdin=io.BytesIO()
        )


def test_settings_rules_and_routing_reach_the_classifier(tmp_path: Path) -> None:
    log = tmp_path / "job.log"
    log.write_bytes(b"checking licences\nLICENCE VIOLATION: GPL-3.0 in vendor/foo\n")
    settings = Settings(
        routing={"infra": "Ops"},
        extra_rules=(
            {"id": "team.licence", "domain": "infra", "weight": 5, "priority": 90, "log": "LICENCE VIOLATION"},
        ),
    )
    result = classify_command(
        str(log), workflow=None, job=None, step=None, changed_files=None, settings=settings, stdin=io.BytesIO()
    )
    assert (result.domain, result.agent) == ("infra", "Ops")


def test_check_run_annotation_text_as_a_stream_gives_a_sensible_result() -> None:
    from nexus_action.classify import classify_log

    text = b"src/components/Button.tsx(14,7): error TS2322: Type 'string' is not assignable to type 'number'.\n"
    result = classify_log(io.BytesIO(text))
    assert (result.domain, result.kind) == ("frontend", "typecheck")
    assert result.top_blocker is not None
    top = result.top_blocker
    assert (top.file, top.line, top.column) == ("src/components/Button.tsx", 14, 7)


def test_importing_and_classifying_loads_no_heavy_modules() -> None:
    code = (
        "import sys, nexus_action\n"
        f"nexus_action.classify_log({str(LOGS / 'rust_clippy.log')!r})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('github', 'requests', 'jsonschema', 'urllib3'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""


def test_baseline_flag_compares_with_a_passing_log(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    failing, passing = tmp_path / "fail.log", tmp_path / "pass.log"
    head = "##[group]Run cargo test\ncargo test\n##[endgroup]\nwarning: unused import: `std::fmt`\n"
    passing.write_text(head + "test result: ok. 3 passed\n", encoding="utf-8")
    failing.write_text(
        head + "thread 'main' panicked at src/lib.rs:4:5:\n##[error]Process completed with exit code 101.\n"
    )
    code, out, _ = run_cli(["classify", str(failing), "--baseline", str(passing), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["baseline"]["used"] is True
    assert data["baseline"]["new_lines"] == 2
    assert data["top_blocker"]["new_since_baseline"] is True
    code, out, _ = run_cli(["classify", str(failing), "--baseline", str(passing)], capsys)
    assert "baseline:     2 of 6 lines new (33.3%)" in out


def test_missing_baseline_is_a_clean_input_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "fail.log"
    log.write_text("error: boom\n", encoding="utf-8")
    code, out, err = run_cli(["classify", str(log), "--baseline", str(tmp_path / "none.log")], capsys)
    assert code == 2
    assert out == ""
    assert "NEXUS-INPUT-INVALID" in err
    assert "--baseline" in err
