"""Route-map grammar: which webhook (and which payload format) a repository's alerts go to.

    AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP="repo:org/api=https://...;repo:org/*=slack_blocks@https://...;default=https://..."

- Entries are separated by `;` or newlines; blank entries (a trailing `;`) are ignored.
- A key is `repo:OWNER/NAME` (exact), `repo:OWNER/*` or any `*`/`?` glob over `OWNER/NAME`, or `default`.
  Repository names are matched case-insensitively, as GitHub treats them.
- A value is `URL` or `FORMAT@URL`. Only the text before the first `@` is tried as a format, and only when it
  has no `://`, so Teams URLs (which contain `@` in their path) need no quoting.
- Most specific wins: an exact repository, then the glob with the most literal characters (ties: the longer
  pattern, then the earlier entry), then `default`.

Webhook URLs are credentials (anyone holding one can post to the channel), so no error message or repr in this
module shows one whole: `redact_url` keeps the scheme and host only.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from nexus_action.errors import NexusError

# Kept in step with nexus_action.config.settings.WEBHOOK_FORMATS (a test checks it); duplicated so this module
# stays importable without the settings table.
PAYLOAD_FORMATS = ("json", "slack_blocks", "teams_adaptive", "teams_messagecard")
ROUTE_MAP_SETTING = "AUTOFIX_ALERT_WEBHOOK_ROUTE_MAP"
URL_SETTING = "AUTOFIX_ALERT_WEBHOOK_URL"
FORMAT_SETTING = "AUTOFIX_ALERT_WEBHOOK_FORMAT"

_REPO_PATTERN = re.compile(r"^[A-Za-z0-9_.*?-]+/[A-Za-z0-9_.*?-]+$")
_MASK = "***"


def redact_url(url: str) -> str:
    """`https://hooks.slack.com/services/T/B/X` -> `https://hooks.slack.com/***`: recognisable, useless to abuse."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # an unparsable port or bracket: show nothing of it
        return _MASK
    if not parts.scheme or not host:
        return _MASK
    return f"{parts.scheme}://{host}{port}/{_MASK}"


@dataclass(frozen=True)
class Route:
    """Where one alert goes: the URL (a secret), the payload format, and the map entry that chose it."""

    url: str
    format: str
    pattern: str  # "repo:org/web", "repo:org/*", "default", or the setting name for the plain URL

    def __repr__(self) -> str:
        return f"Route(url={redact_url(self.url)!r}, format={self.format!r}, pattern={self.pattern!r})"

    @property
    def display(self) -> str:
        """What logs and step summaries may show: `slack_blocks -> https://hooks.slack.com/*** (repo:org/*)`."""
        return f"{self.format} -> {redact_url(self.url)} ({self.pattern})"


@dataclass(frozen=True)
class RouteEntry:
    """One parsed `key=[format@]url` entry; `format` is None when the entry leaves it to the default."""

    pattern: str  # the repository pattern, lower-cased, or "" for `default`
    url: str
    format: str | None
    position: int  # 1-based, for messages and tie-breaking

    def __repr__(self) -> str:
        return f"RouteEntry(pattern={self.pattern!r}, url={redact_url(self.url)!r}, format={self.format!r})"

    @property
    def is_default(self) -> bool:
        return not self.pattern

    @property
    def is_glob(self) -> bool:
        return any(c in self.pattern for c in "*?")

    @property
    def key(self) -> str:
        return "default" if self.is_default else f"repo:{self.pattern}"

    def specificity(self) -> tuple[int, int, int, int]:
        """Sort key, larger is more specific: exact beats glob; more literal characters; longer; earlier."""
        literal = len(self.pattern.replace("*", "").replace("?", ""))
        return (0 if self.is_glob else 1, literal, len(self.pattern), -self.position)


@dataclass(frozen=True)
class RouteMap:
    entries: tuple[RouteEntry, ...] = ()

    @property
    def default(self) -> RouteEntry | None:
        return next((e for e in self.entries if e.is_default), None)

    def __bool__(self) -> bool:
        return bool(self.entries)

    @property
    def urls(self) -> tuple[str, ...]:
        """Every URL in the map, for `::add-mask::` and redaction."""
        return tuple(e.url for e in self.entries)


def _entry_for_message(entry: str) -> str:
    """The entry as a user may see it: every URL-looking part redacted."""
    key, sep, value = entry.partition("=")
    if not sep:
        return re.sub(r"\S*://\S*", lambda m: redact_url(m.group(0)), entry)
    fmt, at, url = value.partition("@")
    if at and "://" not in fmt:
        return f"{key}={fmt}@{redact_url(url)}"
    return f"{key}={redact_url(value)}" if value.strip() else f"{key}="


def _bad_entry(setting: str, position: int, entry: str, problem: str) -> NexusError:
    return NexusError(
        "NEXUS-CONFIG-INVALID",
        f"{setting} entry {position} {_entry_for_message(entry.strip())!r}: {problem}",
        "Write entries as repo:OWNER/NAME=URL, repo:OWNER/*=FORMAT@URL or default=URL, separated by `;`; "
        "FORMAT is one of " + ", ".join(PAYLOAD_FORMATS) + "; URLs must be https.",
    )


def check_url(url: str) -> str | None:
    """Why `url` cannot be a webhook target, or None when it can (https with a host, no spaces)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "the URL cannot be parsed"
    if parts.scheme.lower() != "https":
        return f"the URL must start with https:// (got {parts.scheme or 'no'} scheme)"
    if not host:
        return "the URL has no host"
    if any(c.isspace() for c in url):
        return "the URL contains whitespace"
    return None


def _split_value(value: str) -> tuple[str | None, str]:
    fmt, at, rest = value.partition("@")
    if at and "://" not in fmt:
        return fmt.strip().lower(), rest.strip()
    return None, value.strip()


def parse_route_map(text: str, *, setting: str = ROUTE_MAP_SETTING) -> RouteMap:
    """Parse the route map, or raise NEXUS-CONFIG-INVALID naming the first bad entry (its URL redacted)."""
    entries: list[RouteEntry] = []
    seen: dict[str, int] = {}
    raw_entries = [e for e in re.split(r"[;\n]", text or "") if e.strip()]
    for position, raw in enumerate(raw_entries, start=1):
        key, sep, value = raw.strip().partition("=")
        key = key.strip()
        if not sep or not value.strip():
            raise _bad_entry(setting, position, raw, "expected KEY=URL")
        if key.lower() == "default":
            pattern = ""
        elif key.lower().startswith("repo:"):
            pattern = key[5:].strip().lower()
            if not _REPO_PATTERN.match(pattern):
                raise _bad_entry(setting, position, raw, "the repository must look like OWNER/NAME or OWNER/*")
        else:
            raise _bad_entry(setting, position, raw, f"unknown key {key!r}; expected repo:OWNER/NAME or default")
        fmt, url = _split_value(value)
        if fmt is not None and fmt not in PAYLOAD_FORMATS:
            raise _bad_entry(
                setting, position, raw, f"unknown format {fmt!r}; expected one of {', '.join(PAYLOAD_FORMATS)}"
            )
        problem = check_url(url)
        if problem:
            raise _bad_entry(setting, position, raw, problem)
        entry = RouteEntry(pattern=pattern, url=url, format=fmt, position=position)
        if entry.key in seen:
            raise _bad_entry(setting, position, raw, f"{entry.key} is already routed by entry {seen[entry.key]}")
        seen[entry.key] = position
        entries.append(entry)
    return RouteMap(tuple(entries))


def _matches(entry: RouteEntry, repository: str) -> bool:
    if entry.is_glob:
        return fnmatch.fnmatchcase(repository, entry.pattern)
    return repository == entry.pattern


def resolve_route(
    route_map: RouteMap,
    repository: str,
    *,
    default_url: str,
    default_format: str,
) -> Route | None:
    """The route for `repository`: the most specific map entry, else the map's default, else `default_url`.

    Returns None when nothing is configured for this repository. `default_format` applies to entries that name
    no format, and to `default_url`; a bad `default_url` or `default_format` is NEXUS-CONFIG-INVALID.
    """
    if default_format not in PAYLOAD_FORMATS:
        raise NexusError(
            "NEXUS-CONFIG-INVALID",
            f"{FORMAT_SETTING} must be one of {', '.join(PAYLOAD_FORMATS)}; got {default_format!r}",
        )
    repo = repository.strip().lower()
    candidates = [e for e in route_map.entries if not e.is_default and _matches(e, repo)]
    chosen = max(candidates, key=RouteEntry.specificity) if candidates else route_map.default
    if chosen is not None:
        return Route(url=chosen.url, format=chosen.format or default_format, pattern=chosen.key)
    if not default_url.strip():
        return None
    problem = check_url(default_url.strip())
    if problem:
        raise NexusError(
            "NEXUS-CONFIG-INVALID",
            f"{URL_SETTING} {redact_url(default_url)!r}: {problem}",
            f"Set {URL_SETTING} to the https URL your Slack, Teams or custom receiver gave you.",
        )
    return Route(url=default_url.strip(), format=default_format, pattern=URL_SETTING)


def webhook_urls(route_map_text: str, url: str = "") -> tuple[str, ...]:
    """Every webhook URL configured, for `::add-mask::` before anything is printed. Never raises."""
    try:
        urls = list(parse_route_map(route_map_text).urls)
    except NexusError:
        # A malformed map still holds secrets: mask every URL-looking piece.
        urls = re.findall(r"https?://[^\s;]+", route_map_text or "")
    return tuple(u for u in (*urls, url.strip()) if u)
