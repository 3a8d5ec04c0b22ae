"""requirements.lock and requirements-uv.lock: in step with pyproject.toml, one pin per package for every Python
and platform the action supports, every pin hash-checked. (That each pin really installs is checked with the
network: CI's `lock` job on 3.10-3.13, and `uv pip install --dry-run --python-platform` when the lock changes.)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
PLATFORMS = {
    "linux-x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    "linux-aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    "macos-arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    "macos-x86_64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64"},
    "windows-amd64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
}
ENTRY = re.compile(
    r"^([A-Za-z0-9][\w.-]*)==([^\s;\\]+)(?: ; ([^\\]+?))? \\\n((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", re.M
)


def _entries(name: str) -> list[tuple[str, Version, Marker | None, list[str]]]:
    text = (ROOT / name).read_text(encoding="utf-8")
    entries = [
        (canonicalize_name(m[1]), Version(m[2]), Marker(m[3]) if m[3] else None, re.findall(r"[0-9a-f]{64}", m[4]))
        for m in ENTRY.finditer(text)
    ]
    pins = [line for line in text.splitlines() if re.match(r"^[A-Za-z0-9]", line)]
    assert len(entries) == len(pins), f"{name}: a pin the parser did not read"
    return entries


def _environment(python: str, platform: str) -> dict[str, str]:
    return {
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "nt" if platform.startswith("windows") else "posix",
        **PLATFORMS[platform],
    }


def _pins_for(python: str, platform: str) -> dict[str, list[Version]]:
    env = _environment(python, platform)
    pins: dict[str, list[Version]] = {}
    for name, version, marker, _ in _entries("requirements.lock"):
        if marker is None or marker.evaluate(env):
            pins.setdefault(name, []).append(version)
    return pins


def test_every_pin_is_hash_checked() -> None:
    for name, _, _, hashes in _entries("requirements.lock"):
        assert hashes, name


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_one_pin_per_package_and_every_dependency_satisfied(python: str, platform: str) -> None:
    pins = _pins_for(python, platform)
    for name, versions in pins.items():
        assert len(versions) == 1, f"{name} is pinned {len(versions)} times for Python {python} on {platform}"
    env = _environment(python, platform)
    for spec in PYPROJECT["project"]["dependencies"]:
        requirement = Requirement(spec)
        if requirement.marker and not requirement.marker.evaluate(env):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{spec} from pyproject.toml is not in requirements.lock ({python}, {platform})"
        assert pins[name][0] in requirement.specifier, f"{name}=={pins[name][0]} does not satisfy {spec}"


def test_the_lock_names_only_packages_something_requires() -> None:
    """Each pin's `# via` names a pinned package, pyproject.toml or the constraints file: no leftovers."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {name for name, *_ in _entries("requirements.lock")}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text)[1:]:
        comment = " ".join(
            line.strip().lstrip("#").strip() for line in block.splitlines() if line.strip().startswith("#")
        )
        assert comment.startswith("via "), block.splitlines()[0]
        via = re.findall(r"-c [\w.-]+|[\w.-]+ \(pyproject\.toml\)|[\w.-]+", comment.removeprefix("via "))
        assert via, block.splitlines()[0]
        for parent in via:
            ok = parent.endswith("(pyproject.toml)") or parent == "-c lock-constraints.txt"
            assert ok or canonicalize_name(parent) in pinned, f"{block.splitlines()[0]}: via {parent}"


def test_intel_macs_keep_a_cryptography_that_ships_their_wheels() -> None:
    # lock-constraints.txt: cryptography 49+ has no macOS x86_64 (or universal2) wheels.
    assert _pins_for("3.12", "macos-x86_64")["cryptography"][0] < Version("49")
    constraints = (ROOT / "lock-constraints.txt").read_text(encoding="utf-8")
    assert "cryptography<49 ; sys_platform == 'darwin' and platform_machine == 'x86_64'" in constraints


def test_the_lock_covers_the_oldest_python_pyproject_accepts() -> None:
    assert PYPROJECT["project"]["requires-python"] == ">=3.10"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--universal --generate-hashes" in makefile
    assert "--python-version 3.10 -c lock-constraints.txt -o requirements.lock pyproject.toml" in makefile


def test_the_uv_lock_pins_one_uv_with_wheels_for_every_platform() -> None:
    entries = _entries("requirements-uv.lock")
    assert [name for name, *_ in entries] == ["uv"]
    _, version, marker, hashes = entries[0]
    assert marker is None
    assert version >= Version("0.9")
    assert len(hashes) >= 10, "one hash per platform wheel (Linux, macOS, Windows, x86_64 and arm64)"
