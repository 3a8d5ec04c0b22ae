"""Check a release and write its notes: `python scripts/release_notes.py X.Y.Z SHA [REPOSITORY]`.

Run by .github/workflows/release.yml before it tags anything. Refuses (exit 1, one line per problem) unless the
version is X.Y.Z, pyproject.toml says the same version, CHANGELOG.md has a non-empty `## [X.Y.Z]` section and
the commit SHA is a full 40-character one. Prints the notes: that section, then the line to pin the release.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r"\d+\.\d+\.\d+")
FULL_SHA = re.compile(r"[0-9a-f]{40}")


def changelog_section(text: str, version: str) -> str:
    """The body of `## [version]` in CHANGELOG.md, up to the next `## ` heading ("" when absent)."""
    match = re.search(rf"^## \[{re.escape(version)}\][^\n]*\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    return match.group(1).strip() if match else ""


def project_version(pyproject: str) -> str:
    match = re.search(r'^version = "([^"]+)"', pyproject, flags=re.MULTILINE)
    return match.group(1) if match else ""


def problems(version: str, sha: str, root: Path = ROOT) -> list[str]:
    found: list[str] = []
    if not VERSION.fullmatch(version):
        found.append(f"version must be X.Y.Z (digits, no leading v); got {version!r}")
    if not FULL_SHA.fullmatch(sha):
        found.append(f"the commit must be a full 40-character SHA; got {sha!r}")
    declared = project_version((root / "pyproject.toml").read_text(encoding="utf-8"))
    if declared != version:
        found.append(f"pyproject.toml says version {declared!r}; bump it to {version!r} first")
    if not changelog_section((root / "CHANGELOG.md").read_text(encoding="utf-8"), version):
        found.append(f"CHANGELOG.md has no (or an empty) '## [{version}]' section")
    return found


def notes(version: str, sha: str, repository: str, root: Path = ROOT) -> str:
    section = changelog_section((root / "CHANGELOG.md").read_text(encoding="utf-8"), version)
    pin = f"uses: {repository}@{sha} # v{version}"
    return (
        f"{section}\n\n## Pin this release\n\nCommit `{sha}`. In your workflow:\n\n```yaml\n{pin}\n```\n\n"
        f"The tag `v{version.split('.', 1)[0]}` moves to each new release of this major version; pin the SHA.\n"
    )


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    version, sha = argv[0], argv[1]
    repository = argv[2] if len(argv) == 3 else "<owner>/nexus-autofix"
    found = problems(version, sha)
    for problem in found:
        print(f"::error title=Release v{version}::{problem}", file=sys.stderr)
    if found:
        return 1
    print(notes(version, sha, repository), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
