"""action/fetch_uv.py: the uv wheel for this machine, from the index or a wheelhouse, checked against the lock."""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.action_support import ROOT, build_wheel, platform_tag


def _module() -> Any:
    spec = importlib.util.spec_from_file_location("fetch_uv", ROOT / "action" / "fetch_uv.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fetch_uv = _module()
# The platform tags uv publishes wheels for (the names of a real release's files).
FILES = [
    f"uv-1.2.3-py3-none-{tag}.whl"
    for tag in (
        "macosx_10_12_x86_64",
        "macosx_11_0_arm64",
        "manylinux_2_17_aarch64.manylinux2014_aarch64",
        "manylinux_2_17_x86_64.manylinux2014_x86_64",
        "musllinux_1_1_x86_64",
        "win_amd64",
        "win_arm64",
    )
] + ["uv-1.2.3.tar.gz", "uv-1.2.2-py3-none-win_amd64.whl"]


@pytest.mark.parametrize(
    ("system", "machine", "libc", "expected"),
    [
        ("linux", "x86_64", "glibc", "manylinux_2_17_x86_64.manylinux2014_x86_64"),
        ("linux", "aarch64", "glibc", "manylinux_2_17_aarch64.manylinux2014_aarch64"),
        ("linux", "x86_64", "musl", "musllinux_1_1_x86_64"),
        ("darwin", "arm64", "", "macosx_11_0_arm64"),
        ("darwin", "x86_64", "", "macosx_10_12_x86_64"),
        ("win32", "AMD64", "", "win_amd64"),
        ("win32", "ARM64", "", "win_arm64"),
    ],
)
def test_the_wheel_for_each_runner_platform(system: str, machine: str, libc: str, expected: str) -> None:
    assert (
        fetch_uv.choose(FILES, "1.2.3", fetch_uv.wanted_tags(system, machine, libc))
        == f"uv-1.2.3-py3-none-{expected}.whl"
    )


def test_no_wheel_for_the_platform_or_version_is_none() -> None:
    assert fetch_uv.choose(FILES, "1.2.3", fetch_uv.wanted_tags("linux", "riscv64", "glibc")) is None
    assert fetch_uv.choose(FILES, "9.9.9", fetch_uv.wanted_tags("win32", "AMD64", "")) is None


def test_the_real_lock_pins_one_version_with_hashes() -> None:
    version, hashes = fetch_uv.pinned((ROOT / "requirements-uv.lock").read_text(encoding="utf-8"))
    assert version.count(".") == 2
    assert len(hashes) >= 10


def _wheelhouse(tmp_path: Path, *, listed: bool = True) -> tuple[Path, Path]:
    binary = b"#!/usr/bin/env bash\necho 'uv 0.0.1 (stand-in)'\n"
    wheel = build_wheel(
        tmp_path / "wheels", "uv", "0.0.1", {"uv-0.0.1.data/scripts/uv": binary}, tag=f"py3-none-{platform_tag()}"
    )
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest() if listed else "0" * 64
    lock = tmp_path / "requirements-uv.lock"
    lock.write_text(f"uv==0.0.1 \\\n    --hash=sha256:{'1' * 64} \\\n    --hash=sha256:{digest}\n", encoding="utf-8")
    return wheel.parent, lock


def _run(lock: Path, target: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "action" / "fetch_uv.py"), str(lock), str(target), "5"],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_from_a_wheelhouse_the_binary_is_unpacked_and_runs(tmp_path: Path) -> None:
    wheels, lock = _wheelhouse(tmp_path)
    proc = _run(lock, tmp_path / "uv", NEXUS_AUTOFIX_WHEELHOUSE=str(wheels))
    assert proc.returncode == 0, proc.stderr
    binary = Path(proc.stdout.strip())
    assert binary == tmp_path / "uv" / "bin" / "uv"
    assert subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout.startswith("uv 0.0.1")


def test_a_wheel_whose_hash_the_lock_does_not_list_is_refused(tmp_path: Path) -> None:
    wheels, lock = _wheelhouse(tmp_path, listed=False)
    proc = _run(lock, tmp_path / "uv", NEXUS_AUTOFIX_WHEELHOUSE=str(wheels))
    assert proc.returncode == 1
    assert "does not list" in proc.stderr
    assert not (tmp_path / "uv").exists()


@pytest.fixture
def local_index(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A simple-API index on 127.0.0.1 serving tmp_path/index (the page) and its wheels."""
    root = tmp_path / "index"
    (root / "simple" / "uv").mkdir(parents=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[assignment,method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple", root
    finally:
        server.shutdown()
        server.server_close()


def test_from_an_index_page_the_link_for_this_machine_is_followed(
    tmp_path: Path, local_index: tuple[str, Path]
) -> None:
    url, root = local_index
    wheels, lock = _wheelhouse(tmp_path)
    wheel = next(wheels.glob("*.whl"))
    (root / "files").mkdir()
    (root / "files" / wheel.name).write_bytes(wheel.read_bytes())
    links = [
        f'<a href="../../files/{wheel.name}#sha256=x">{wheel.name}</a>',
        '<a href="../../files/other.whl">uv-0.0.1-py3-none-win_arm64.whl</a>',
    ]
    (root / "simple" / "uv" / "index.html").write_text(
        "<html><body>" + "<br>".join(links) + "</body></html>", encoding="utf-8"
    )
    proc = _run(lock, tmp_path / "uv", PIP_INDEX_URL=url)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).is_file()


def test_an_index_that_refuses_fails_fast_for_the_pip_fallback(tmp_path: Path) -> None:
    _, lock = _wheelhouse(tmp_path)
    proc = _run(lock, tmp_path / "uv", UV_INDEX_URL="http://127.0.0.1:9/simple")
    assert proc.returncode == 1
    assert "fetch_uv: URLError" in proc.stderr
