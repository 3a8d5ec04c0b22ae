"""Which log files a run may read: inside the workspace or the runner's temp folder, unless allowed otherwise.

`log-path` is expanded by the Action's shell step into one `--log` per file, and a file in a log folder may be
a symlink (a checked-out repository can hold one). Followed blindly, `logs/x.log -> /home/runner/.ssh/...` or
`-> /proc/self/environ` would put lines of that file into a public comment. So every log given is resolved
(symlinks followed) and must land under GITHUB_WORKSPACE or RUNNER_TEMP; `allow-outside-logs: true` lifts this.
Outside Actions (neither variable set) there is no workspace to keep to, and nothing is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from nexus_action.errors import NexusError

ROOT_VARIABLES = ("GITHUB_WORKSPACE", "RUNNER_TEMP")


def allowed_roots(env: Mapping[str, str]) -> tuple[Path, ...]:
    """The resolved folders logs may live in (empty outside GitHub Actions)."""
    return tuple(Path(env[name]).resolve() for name in ROOT_VARIABLES if env.get(name, "").strip())


def outside_roots(path: Path, roots: Iterable[Path]) -> Path | None:
    """Where `path` really is (symlinks followed) when that is under none of `roots`, else None."""
    real = Path(os.path.realpath(path))
    return None if any(real == root or real.is_relative_to(root) for root in roots) else real


def outside_logs(paths: Iterable[Path], env: Mapping[str, str], *, allow_outside: bool) -> dict[Path, NexusError]:
    """Each log file that resolves outside the workspace and RUNNER_TEMP, with the NEXUS-LOG-PATH-OUTSIDE error
    that says so (missing files are left to the reader, which names them)."""
    roots = allowed_roots(env)
    if allow_outside or not roots:
        return {}
    refused: dict[Path, NexusError] = {}
    for path in paths:
        if not path.exists():
            continue
        real = outside_roots(path, roots)
        if real is not None:
            via = f" (a symlink to {str(real)!r})" if path.is_symlink() or real != path.absolute() else ""
            refused[path] = NexusError(
                "NEXUS-LOG-PATH-OUTSIDE",
                f"log {str(path)!r}{via} is outside the workspace and RUNNER_TEMP; it was not read",
                "Keep log-path inside $GITHUB_WORKSPACE or $RUNNER_TEMP, or set `allow-outside-logs: true` "
                "if reading that file is intended.",
            )
    return refused


def refuse_outside_logs(paths: Iterable[Path], env: Mapping[str, str], *, allow_outside: bool) -> None:
    """Raise the NEXUS-LOG-PATH-OUTSIDE error of the first log file outside the workspace and RUNNER_TEMP."""
    for error in outside_logs(paths, env, allow_outside=allow_outside).values():
        raise error
