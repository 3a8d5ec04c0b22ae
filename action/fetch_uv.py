"""Fetch the uv that requirements-uv.lock pins, without pip: `python fetch_uv.py LOCK TARGET TIMEOUT`.

Installing the uv wheel with pip costs seconds of pip's own start-up and resolver for one file; this reads the
index's simple page (or NEXUS_AUTOFIX_WHEELHOUSE), takes the wheel built for this machine, checks its sha256
against the lock, and unpacks only the uv binary to TARGET/bin. Standard library only (it runs on the runner's
Python before any venv exists). Prints the binary's path; exit 1 on any failure, and the caller falls back to
`pip install` (which also knows pip.conf and every index option).

The index: UV_INDEX_URL, UV_DEFAULT_INDEX, PIP_INDEX_URL, else pip's own default.
"""

from __future__ import annotations

import hashlib
import html
import io
import os
import platform
import re
import stat
import sys
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

LINK = re.compile(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', re.IGNORECASE)


def pinned(lock_text: str) -> tuple[str, set[str]]:
    """The version and the sha256 hashes of `uv==X` in requirements-uv.lock."""
    match = re.search(r"^uv==(\S+)((?:\s*\\\s*--hash=sha256:[0-9a-f]{64})+)", lock_text, flags=re.MULTILINE)
    if not match:
        raise ValueError("requirements-uv.lock has no hash-pinned uv==X")
    return match.group(1), set(re.findall(r"[0-9a-f]{64}", match.group(2)))


def wanted_tags(system: str, machine: str, libc: str) -> list[str]:
    """Platform-tag patterns of the uv wheels this machine can run, best first."""
    machine = machine.lower()
    if system == "win32":
        return [{"amd64": r"win_amd64", "arm64": r"win_arm64", "x86": r"win32"}.get(machine, r"win_amd64")]
    if system == "darwin":
        arch = "arm64" if machine in ("arm64", "aarch64") else "x86_64"
        return [rf"macosx_\d+_\d+_{arch}", r"macosx_\d+_\d+_universal2"]
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    family = r"manylinux(?:_\d+_\d+|2014|2010|1)" if libc != "musl" else r"musllinux_\d+_\d+"
    return [rf"{family}_{arch}"]


def choose(filenames: list[str], version: str, tags: list[str]) -> str | None:
    for pattern in tags:
        for name in filenames:
            match = re.fullmatch(rf"uv-{re.escape(version)}-py3-none-([\w.]+)\.whl", name)
            if match and any(re.fullmatch(pattern, tag) for tag in match.group(1).split(".")):
                return name
    return None


def default_index() -> str:
    for name in ("UV_INDEX_URL", "UV_DEFAULT_INDEX", "PIP_INDEX_URL"):
        if os.environ.get(name):
            return os.environ[name]
    from pip._internal.models.index import PyPI  # pip's own default, without naming it here

    return str(PyPI.simple_url)


def fetch(url: str, timeout: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (the index's https or file URL)
        data: bytes = response.read()
        return data


def unpack(wheel: bytes, target: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        member = next(n for n in archive.namelist() if re.fullmatch(r"uv-[^/]+\.data/scripts/uv(\.exe)?", n))
        binary = target / "bin" / Path(member).name
        binary.parent.mkdir(parents=True, exist_ok=True)
        binary.write_bytes(archive.read(member))
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return binary


def main(lock: str, target: str, timeout: str) -> int:
    version, hashes = pinned(Path(lock).read_text(encoding="utf-8"))
    libc = "musl" if sys.platform.startswith("linux") and not platform.libc_ver()[0] else "glibc"
    tags = wanted_tags(sys.platform, platform.machine(), libc)
    wheelhouse = os.environ.get("NEXUS_AUTOFIX_WHEELHOUSE")
    if wheelhouse:
        files = {p.name: p.as_uri() for p in Path(wheelhouse).iterdir()}
    else:
        page_url = default_index().rstrip("/") + "/uv/"
        page = fetch(page_url, float(timeout)).decode("utf-8", "replace")
        links = LINK.findall(page)
        files = {html.unescape(n).strip(): urllib.parse.urljoin(page_url, html.unescape(h)) for h, n in links}
    name = choose(sorted(files), version, tags)
    if name is None:
        print(f"fetch_uv: no uv {version} wheel for {sys.platform} {platform.machine()}", file=sys.stderr)
        return 1
    wheel = fetch(files[name].split("#", 1)[0], float(timeout))
    digest = hashlib.sha256(wheel).hexdigest()
    if digest not in hashes:
        print(f"fetch_uv: {name} has sha256 {digest}, which requirements-uv.lock does not list", file=sys.stderr)
        return 1
    print(unpack(wheel, Path(target)))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main(*sys.argv[1:4]))
    except Exception as exc:  # any failure means: let pip do it
        print(f"fetch_uv: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
