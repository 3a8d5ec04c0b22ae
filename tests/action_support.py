"""What the Action tests share: the smoke fixtures as inputs, a PATH without Python, and an offline install.

The offline install is real (python -m venv, pip or uv, --require-hashes, a wheelhouse) but installs one
stand-in wheel instead of the lock's 18 packages: its .pth file points the new venv at this test run's
site-packages, so the venv it builds can run the real CLI without the network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import shutil
import stat
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "tests" / "data" / "smoke"
# What the action's scripts call, besides Python: a PATH of exactly these shows what a runner must have.
TOOLS = ("bash", "sh", "cat", "sed", "tr", "grep", "tail", "mkdir", "mktemp", "rm", "env", "dirname", "tee", "sleep")


def fixture_inputs(name: str) -> dict[str, str]:
    fixture = json.loads((SMOKE / name / "fixture.json").read_text(encoding="utf-8"))
    return {
        "dry-run": "true",
        "event-name": fixture["event_name"],
        # Relative to the workspace, where the emulated checkout put the fixtures (as in nexus_smoke.yml).
        "event-path": f"tests/data/smoke/{name}/{fixture['event']}",
        "log-path": f"tests/data/smoke/{name}/{fixture['log_path']}",
        "webhook-enabled": "true",
        "webhook-url": "https://hooks.example.invalid/nexus-harness",
        "webhook-format": "slack_blocks",
        "webhook-on": "always",
    }


def tools_path(tmp: Path, *extra: Path) -> str:
    """A PATH with the shell tools and no Python at all (plus the given folders first)."""
    bin_dir = tmp / "tools"
    if not bin_dir.exists():
        bin_dir.mkdir(parents=True)
        for tool in TOOLS:
            found = shutil.which(tool)
            assert found, f"{tool} is needed by the action's scripts"
            (bin_dir / tool).symlink_to(found)
    return os.pathsep.join([*(str(p) for p in extra), str(bin_dir)])


def script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)
    return path


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(folder: Path, name: str, version: str, files: dict[str, bytes], *, tag: str = "py3-none-any") -> Path:
    """A minimal valid wheel (METADATA, WHEEL, RECORD with hashes) holding `files`."""
    folder.mkdir(parents=True, exist_ok=True)
    dist_info = f"{name}-{version}.dist-info"
    contents = dict(files)
    contents[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    contents[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    )
    record = [_record_line(n, d) for n, d in contents.items()] + [f"{dist_info}/RECORD,,"]
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = folder / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for member, data in contents.items():
            info = zipfile.ZipInfo(member)
            info.external_attr = (stat.S_IFREG | (0o755 if "/scripts/" in member else 0o644)) << 16
            archive.writestr(info, data)
    return wheel


def _pin(wheel: Path, name: str, version: str) -> str:
    return f"{name}=={version} \\\n    --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}\n"


def platform_tag() -> str:
    """A wheel platform tag this machine runs (Linux: manylinux; the tests run on Linux and macOS)."""
    machine = platform.machine().lower()
    if sys.platform == "darwin":
        return f"macosx_11_0_{'arm64' if machine in ('arm64', 'aarch64') else 'x86_64'}"
    return f"manylinux_2_17_{machine}.manylinux2014_{machine}"


def offline_action(tmp: Path, *, uv_wheel: str | None = None, bad_hash: bool = False) -> tuple[Path, Path, str]:
    """An action folder whose lock is one stand-in wheel, and the wheelhouse that holds it.

    uv_wheel: requirements-uv.lock pins a stand-in `uv` wheel whose script runs this test run's uv: "any"
    (py3-none-any, which only pip takes) or "platform" (tagged for this machine, which action/fetch_uv.py
    takes). Returns (action folder, wheelhouse, lock sha256).
    """
    action = tmp / "action-checkout"
    action.mkdir(parents=True)
    for name in ("action.yml", "action", "entrypoint.py"):
        (action / name).symlink_to(ROOT / name)
    wheelhouse = tmp / "wheelhouse"
    site = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    pth = "".join(f"{p}\n" for p in sorted(site)).encode()
    wheel = build_wheel(wheelhouse, "nexus_stand_in_deps", "1.0", {"nexus_stand_in_deps.pth": pth})
    lock = _pin(wheel, "nexus-stand-in-deps", "1.0")
    if bad_hash:
        lock = lock.replace(lock.split("sha256:")[1][:64], "0" * 64)
    (action / "requirements.lock").write_text(lock, encoding="utf-8")
    uv_lock = "uv==0.0.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"
    if uv_wheel:
        real_uv = Path(sys.executable).parent / "uv"
        assert real_uv.is_file(), "the test extra installs uv"
        launcher = f'#!/usr/bin/env bash\nexec "{real_uv}" "$@"\n'.encode()
        tag = "py3-none-any" if uv_wheel == "any" else f"py3-none-{platform_tag()}"
        wheel = build_wheel(wheelhouse, "uv", "0.0.1", {"uv-0.0.1.data/scripts/uv": launcher}, tag=tag)
        uv_lock = _pin(wheel, "uv", "0.0.1")
    (action / "requirements-uv.lock").write_text(uv_lock, encoding="utf-8")
    return action, wheelhouse, hashlib.sha256(lock.encode()).hexdigest()


def real_python() -> str:
    """This test run's interpreter, resolved (a venv's python is a symlink; the action resolves it too)."""
    return sys.executable
