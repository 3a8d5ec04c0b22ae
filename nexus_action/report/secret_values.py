"""Values known to be secret in this run, and every form in which they can show up in text.

Three sources: the configured secrets (`Settings.secret_values()`: the token, webhook URLs), values a log itself
announced with `::add-mask::`, and environment variables whose name says they hold a secret. A value leaks in
more forms than its own: URL-encoded in a query string, JSON-escaped, base64'd alone or inside a larger base64
string (a docker `auth`, `Basic user:token`), where it starts at any of three byte alignments.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus

MIN_VALUE = 4  # shorter values would mask ordinary words
MIN_BASE64_CORE = 8
ADD_MASK = "::add-mask::"
# Environment variables that hold a secret by their name; paths, sockets and file names are not secrets.
_SECRET_NAME = re.compile(r"(?i)(token|secret|passw(or)?d|pwd|api_?key|private_?key|access_?key|credential|_auth$)")
_NOT_SECRET_NAME = re.compile(
    r"(?i)[_-](path|file|dir|sock|socket|name|id|user|username|type|permissions|scopes|format|mode|enabled|limit"
    r"|count|seconds|timeout|login|url_path|header|env|var|prefix)$"
)
# A value that is a plain lower-case word (`write`, `readonly`, `bearer`) names a setting, not a secret.
_PLAIN_WORD = re.compile(r"^[a-z][a-z_-]*$")
MIN_ENV_VALUE = 8
_SHELL_REFERENCE = re.compile(r"^\$(\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{.*\}\})$")
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _base64_cores(value: bytes) -> set[str]:
    """The part of base64(prefix + value + suffix) that depends on `value` alone, for each byte alignment."""
    cores: set[str] = set()
    n = len(value)
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + value).decode("ascii")
        first = -(-8 * shift // 6)  # the first character whose bits all come from the value
        last = 8 * (shift + n) // 6  # characters before this one hold value bits only
        core = encoded[first:last]
        if len(core) >= MIN_BASE64_CORE:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))
    return cores


def value_forms(value: str) -> set[str]:
    """`value` and its encoded forms, each long enough to mask without masking ordinary text."""
    forms = {value}
    for line in value.splitlines():
        if len(line.strip()) >= MIN_VALUE:
            forms.add(line.strip())  # the runner masks a multi-line secret line by line
    for item in list(forms):
        quoted = quote(item, safe="")
        forms.update({quoted, quote(item), quote_plus(item), _PERCENT.sub(lambda m: m[0].lower(), quoted)})
        forms.add(json.dumps(item)[1:-1])
        forms.update(_base64_cores(item.encode("utf-8")))
    return {f for f in forms if len(f) >= MIN_VALUE}


def usable(value: str) -> bool:
    stripped = value.strip()
    return len(stripped) >= MIN_VALUE and not _SHELL_REFERENCE.match(stripped) and stripped != "***"


def env_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """Values of environment variables named like secrets (`*_TOKEN`, `*_PASSWORD`, `INPUT_GITHUB-TOKEN`)."""
    found = []
    for name, value in env.items():
        if not _SECRET_NAME.search(name) or _NOT_SECRET_NAME.search(name) or not usable(value):
            continue
        if len(value.strip()) >= MIN_ENV_VALUE and not _PLAIN_WORD.match(value.strip()):
            found.append(value)
    return tuple(dict.fromkeys(found))


def _unescape_command_data(text: str) -> str:
    """Workflow-command data escaping (actions/toolkit escapeData), undone."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def announced_mask(line: str) -> tuple[str, ...]:
    """The value(s) a log line announces with `::add-mask::`, also when echoed by `set -x` inside quotes."""
    at = line.find(ADD_MASK)
    if at < 0:
        return ()
    raw = line[at + len(ADD_MASK) :].strip()
    candidates = {raw, raw.strip("\"'"), _unescape_command_data(raw), _unescape_command_data(raw.strip("\"'"))}
    return tuple(sorted(c for c in candidates if usable(c)))


def announced_masks(lines: Iterable[str]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for line in lines:
        for value in announced_mask(line):
            found[value] = None
    return tuple(found)
