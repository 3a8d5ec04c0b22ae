"""Small GitHub-flavoured Markdown builders that keep untrusted text from changing the page's structure.

Every function here takes text that has already been through `sanitize` (secrets masked, mentions and HTML
comments made inert) and only deals with Markdown syntax: fences, table cells, inline code, links.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import quote

_BACKTICK_RUN = re.compile(r"`+")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>|#!~&])")
# GitHub-hosted runners check out into /home/runner/work/<repo>/<repo>/ (Windows: D:\a\<repo>\<repo>\).
_WORKSPACE_PREFIX = re.compile(
    r"^(?:/home/runner/work/[^/]+/[^/]+/|/__w/[^/]+/[^/]+/|[A-Za-z]:[\\/]a[\\/][^\\/]+[\\/][^\\/]+[\\/])"
)


def longest_backtick_run(text: str) -> int:
    return max((len(m.group(0)) for m in _BACKTICK_RUN.finditer(text)), default=0)


def code_block(text: str, info: str = "text") -> str:
    """A fenced block whose fence is longer than any backtick run inside, so the text cannot close it."""
    fence = "`" * max(3, longest_backtick_run(text) + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def one_line(text: str, limit: int = 0) -> str:
    """Newlines folded to spaces (a table row is one line), optionally cut with an ellipsis."""
    flat = " ".join(text.split())
    return clip(flat, limit) if limit else flat


def cell_code(text: str, limit: int = 160) -> str:
    """Inline code for a table cell: one line, `|` escaped (GFM splits cells before parsing code spans)."""
    flat = one_line(text, limit)
    if not flat:
        return ""
    ticks = "`" * (longest_backtick_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat.replace('|', chr(92) + '|')}{pad}{ticks}"


def text(value: str, limit: int = 0) -> str:
    """Plain text with Markdown and HTML syntax escaped, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(value, limit))


def link(label: str, url: str | None) -> str:
    """`[label](url)`; the bare label when there is no URL. `label` must already be escaped."""
    if not url or any(c in url for c in '<> \n\t"') or not url.startswith(("https://", "http://")):
        return label
    return f"[{label}](<{url}>)"


def repo_path(path: str) -> str | None:
    """A log's file path as a path inside the repository, or None when it points outside it."""
    path = _WORKSPACE_PREFIX.sub("", path.strip()).replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    if not path or path.startswith("/") or re.match(r"^[A-Za-z]:", path) or ".." in path.split("/"):
        return None
    return path


def blob_url(server_url: str, repository: str, sha: str, path: str, line: int | None) -> str | None:
    """`https://github.com/o/r/blob/<sha>/<path>#L<line>` for a repository path, else None."""
    inside = repo_path(path)
    if not inside or not sha or not repository:
        return None
    anchor = f"#L{line}" if line else ""
    return f"{server_url}/{repository}/blob/{sha}/{quote(inside, safe='/._-~+@')}{anchor}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GFM table; cells must already be escaped with `text` or `cell_code`."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(c or " " for c in row) + " |" for row in rows)
    return "\n".join(lines)
