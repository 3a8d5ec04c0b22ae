"""Output that a workspace or service runner prefixed with the name of the task that printed it.

Monorepo runners stream each package's output with a prefix, so a tool's own line no longer starts where its
rules expect (`FAIL src/a.test.ts`, `error TS2322: ...`, `Error: ...`):
- pnpm (`pnpm -r run`, `--parallel`, `--stream`): `<package dir> <script>: <line>` (its command echo is
  `<package dir> <script>$ <command>`); the directory holds a `/` (or is `.`), so two words and a colon
  (`Tests Failed: 1 failed`) are not taken for one;
- Turborepo: `<package>:<task>: <line>`;
- Yarn (`yarn workspaces foreach`, with its prefix on): `[<package>]: <line>`;
- Docker Compose: `<service>  | <line>`.

The line is read as the runner found it first; only when no rule matches it is the text after such a prefix
tried, so a line whose own words look like a prefix (`error TS2322: ...`) is never cut.
"""

from __future__ import annotations

import re

_PREFIX = re.compile(
    r"^(?:"
    r"(?:[\w@.+-]*/[\w@.+/-]*|\.) [\w:.+-]+: "  # pnpm: packages/core test: (a directory: `Tests Failed:` is not)
    r"|[\w@.+/-]+:[\w.+-]+: "  # turbo: web:build:   @scope/web:test:
    r"|\[[\w@.+/-]+\]: "  # yarn workspaces foreach: [@scope/web]:
    r"|[\w.-]+ +\| "  # docker compose: api-1  |
    r")"
)
# A prefix is short: past this, the `: ` is the line's own (a message, a path, a key: value).
MAX_PREFIX_CHARS = 80


def unprefixed(text: str) -> str | None:
    """The text after a runner's prefix, or None when the line has none (or nothing follows it)."""
    if ": " not in text[:MAX_PREFIX_CHARS] and " | " not in text[:MAX_PREFIX_CHARS]:
        return None  # the usual line: one cheap test
    match = _PREFIX.match(text)
    if match is None or match.end() > MAX_PREFIX_CHARS:
        return None
    rest = text[match.end() :]
    return rest if rest.strip() else None
