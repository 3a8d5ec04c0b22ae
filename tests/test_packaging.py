from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def _lock() -> dict[str, tuple[Version, int]]:
    """requirements.lock as {name: (pinned version, number of hashes)}."""
    pins: dict[str, tuple[Version, int]] = {}
    current = ""
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (Version(match.group(2)), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
    return pins


def test_every_runtime_dependency_is_pinned_in_the_lock_at_an_allowed_version() -> None:
    lock = _lock()
    for spec in PYPROJECT["project"]["dependencies"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in lock, f"{req.name} is not in requirements.lock: run `make lock`"
        version, _ = lock[name]
        assert req.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {req.name}=={version}, outside {req.specifier}: run `make lock`"
        )


def test_every_pin_has_hashes_so_pip_can_require_them() -> None:
    lock = _lock()
    assert len(lock) >= len(PYPROJECT["project"]["dependencies"])
    assert all(hashes >= 1 for _, hashes in lock.values()), [n for n, (_, h) in lock.items() if h == 0]


def test_lock_names_no_local_index() -> None:
    # An index or find-links line from the machine that ran pip-compile would break installs elsewhere.
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert not re.search(r"^\s*--(extra-)?index-url|^\s*--find-links|file://", text, re.MULTILINE)


def test_lock_has_no_test_only_packages() -> None:
    test_only = {canonicalize_name(Requirement(s).name) for s in PYPROJECT["project"]["optional-dependencies"]["test"]}
    runtime = {canonicalize_name(Requirement(s).name) for s in PYPROJECT["project"]["dependencies"]}
    assert not (set(_lock()) & (test_only - runtime) - {"packaging", "typing-extensions"})


def test_metadata_the_issue_asks_for() -> None:
    project = PYPROJECT["project"]
    assert project["requires-python"] == ">=3.10"
    assert project["scripts"]["nexus-autofix"] == "nexus_action.cli:main"
    names = {canonicalize_name(Requirement(s).name) for s in project["dependencies"]}
    assert names == {"pygithub", "requests", "pyyaml", "jsonschema"}
    test_names = {canonicalize_name(Requirement(s).name) for s in project["optional-dependencies"]["test"]}
    assert {"pytest", "vcrpy", "ruff", "mypy", "packaging"} <= test_names


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """Build the wheel from a copy of the sources (no build/ or egg-info left in the checkout)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "nexus_action", src / "nexus_action", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps", "-w", str(dist), "."],
        cwd=src,
        check=True,
        capture_output=True,
    )
    (built,) = dist.glob("nexus_autofix-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_ships_py_typed_and_the_console_script(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert "nexus_action/py.typed" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "nexus-autofix = nexus_action.cli:main" in wheel.read(entry_points).decode()


def test_wheel_ships_every_data_file_of_the_package(wheel: zipfile.ZipFile) -> None:
    # A schema, rules file or template left out of package-data works in a checkout and fails when installed.
    names = set(wheel.namelist())
    data = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "nexus_action").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    assert "nexus_action/schemas/config.schema.json" in data
    assert [d for d in data if d not in names] == []


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "nexus_action", "--help"],
        [sys.executable, str(ROOT / "entrypoint.py"), "--help"],
    ],
    ids=["python -m nexus_action", "entrypoint.py"],
)
def test_entry_points_answer_help_from_any_folder(command: list[str], tmp_path: Path) -> None:
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: nexus-autofix")
    assert "classify" in result.stdout


def test_entrypoint_passes_the_exit_code_through(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), "settings"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"AUTOFIX_DRY_RUN": "perhaps", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "error NEXUS-CONFIG-INVALID: AUTOFIX_DRY_RUN" in result.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("failing_exit", [1, 5])
def test_ci_gate_fails_when_make_test_fails_even_with_no_tests_collected(tmp_path: Path, failing_exit: int) -> None:
    # pytest exits 5 when it collected nothing; the gate must not let that pass as green.
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "Makefile").write_text(f"test:\n\t@exit {failing_exit}\n", encoding="utf-8")
    result = subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, check=False)
    assert result.returncode != 0
    (tmp_path / "Makefile").write_text("test:\n\t@true\n", encoding="utf-8")
    assert subprocess.run(["bash", str(tmp_path / ".ci" / "run")], capture_output=True, check=False).returncode == 0


def test_make_test_runs_every_gate() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^test: lint typecheck unit$", makefile, re.MULTILINE)
    for command in ("ruff check", "ruff format --check", "mypy --strict nexus_action", "-m pytest"):
        line = next(line for line in makefile.splitlines() if command in line)
        assert not line.lstrip().startswith("-"), f"make ignores failures of: {line.strip()}"
        assert "|| true" not in line


def test_one_version_everywhere() -> None:
    import nexus_action

    assert nexus_action.__version__ == PYPROJECT["project"]["version"]
