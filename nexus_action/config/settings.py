"""Settings: one frozen dataclass, built once at the edge from plain dicts.

Precedence, highest first: Action input (`INPUT_<NAME>`) > `AUTOFIX_*` environment variable >
config file (`.github/nexus.yml`) > default. An empty value counts as unset, because a composite
action passes every input through `env:` and an input the user did not give arrives as "".

The table `OPTIONS` is the single description of every setting: parsing, validation, the JSON
schema of the config file and `docs/configuration.md` are all checked against it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from nexus_action.classify.model import DOMAINS
from nexus_action.errors import NexusError, config_error

Kind = Literal["bool", "int", "float", "str", "enum", "list", "map", "secret"]

WEBHOOK_FORMATS = ("json", "slack_blocks", "teams_adaptive", "teams_messagecard")
PERMISSION_LEVELS = ("read", "triage", "write", "maintain", "admin")


@dataclass(frozen=True)
class Option:
    attr: str
    kind: Kind
    default: Any
    description: str
    input: str | None = None  # action input name (kebab-case)
    env: tuple[str, ...] = ()  # environment names, first wins
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    in_config: bool = True  # may be set in .github/nexus.yml

    @property
    def env_names(self) -> tuple[str, ...]:
        return self.env or (f"AUTOFIX_{self.attr.upper()}",)

    @property
    def display_name(self) -> str:
        return self.env_names[0]


OPTIONS: tuple[Option, ...] = (
    Option(
        "github_token",
        "secret",
        "",
        "Token used for the GitHub API (comments, issues, logs, re-runs).",
        input="github-token",
        env=("AUTOFIX_GITHUB_TOKEN", "GITHUB_TOKEN"),
        in_config=False,
    ),
    Option(
        "dry_run",
        "bool",
        False,
        "Do everything except write to GitHub or webhooks; write the plan instead.",
        input="dry-run",
    ),
    Option(
        "mode",
        "enum",
        "report",
        "`report` on CI events, `command` on issue_comment slash commands.",
        input="mode",
        choices=("report", "command"),
    ),
    Option(
        "log_path",
        "str",
        "",
        "A log file (or folder of logs) to classify instead of downloading job logs.",
        input="log-path",
    ),
    Option(
        "allow_outside_logs",
        "bool",
        False,
        "Accept log-path entries (and symlinks inside a log-path folder) that resolve outside GITHUB_WORKSPACE "
        "and RUNNER_TEMP.",
        input="allow-outside-logs",
    ),
    Option(
        "config_path",
        "str",
        ".github/nexus.yml",
        "Path of the repository config file.",
        input="config-path",
        in_config=False,
    ),
    Option(
        "out_dir",
        "str",
        "",
        "Folder for report files (default: $RUNNER_TEMP/nexus-autofix, else ./out).",
        input="out-dir",
    ),
    Option(
        "comment_issue_append",
        "bool",
        False,
        "Append history to the fallback issue as comments instead of keeping it in the body.",
        input="comment-issue-append",
    ),
    Option(
        "issue_label",
        "str",
        "nexus-autofix",
        "Label that marks fallback issues (found by label, never search).",
        input="issue-label",
    ),
    Option(
        "alert_webhook_enabled",
        "bool",
        False,
        "Allow the webhook channel (Slack, Teams or JSON).",
        input="webhook-enabled",
    ),
    Option(
        "alert_webhook_url",
        "secret",
        "",
        "Webhook URL (https). Masked in every log line.",
        input="webhook-url",
    ),
    Option(
        "alert_webhook_format",
        "enum",
        "json",
        "Payload format of the webhook.",
        input="webhook-format",
        choices=WEBHOOK_FORMATS,
    ),
    Option(
        "alert_webhook_route_map",
        "secret",
        "",
        "Per-repository routes: `repo:org/repo=url;repo:org/*=slack_blocks@url;default=url`.",
        input="webhook-route-map",
    ),
    Option(
        "alert_webhook_on",
        "enum",
        "fallback",
        "When the webhook fires: only when comment and issue failed, always, or never.",
        input="webhook-on",
        choices=("fallback", "always", "never"),
    ),
    Option(
        "respect_retry_after",
        "bool",
        True,
        "Wait as GitHub's retry-after / rate-limit headers say (capped).",
        input="respect-retry-after",
        env=("AUTOFIX_RESPECT_RETRY_AFTER", "RESPECT_RETRY_AFTER"),
    ),
    Option(
        "max_wait_seconds",
        "float",
        60.0,
        "Cap on any single wait for a rate limit, in seconds.",
        input="max-wait",
        minimum=0,
        maximum=3600,
    ),
    Option(
        "deadline_seconds",
        "float",
        120.0,
        "Network time the whole run may take (every GitHub call, retry, rate-limit wait, log download and "
        "webhook), in seconds; one request may take a quarter of it. Past it the remaining channels are skipped "
        "(NEXUS-DEADLINE) and the step summary still gets the report.",
        input="deadline",
        env=("AUTOFIX_DEADLINE_SECONDS",),
        minimum=1,
        maximum=3600,
    ),
    Option(
        "http_retries",
        "int",
        3,
        "Retries of a GitHub or webhook call after 5xx, timeout or reset.",
        input="http-retries",
        minimum=0,
        maximum=10,
    ),
    Option(
        "fail_on_error",
        "bool",
        False,
        "Exit non-zero when the report could not be delivered (default: report, but keep the workflow's colour).",
        input="fail-on-error",
    ),
    Option("routing", "map", {}, "Domain -> agent overrides, e.g. `rust=Rex,frontend=Blaze`.", input="routing"),
    Option(
        "history_limit",
        "int",
        20,
        "How many earlier runs the report's history keeps.",
        minimum=1,
        maximum=200,
    ),
    Option(
        "bot_login",
        "str",
        "github-actions[bot]",
        "Login the action writes as; only its comments' markers are trusted.",
        input="bot-login",
    ),
    Option(
        "command_permission",
        "enum",
        "write",
        "Least repository permission that may run slash commands.",
        input="command-permission",
        choices=PERMISSION_LEVELS,
    ),
    Option("allow_bot_commands", "bool", False, "Let `[bot]` accounts run slash commands."),
    Option("max_retries", "int", 2, "`/nexus retry` re-runs allowed per head SHA.", minimum=0, maximum=20),
    Option(
        "max_fix_requests",
        "int",
        3,
        "Fix requests on a PR before the circuit breaker wants a person.",
        minimum=1,
        maximum=50,
    ),
    Option(
        "dashboard_enabled",
        "bool",
        False,
        "Keep a CI failure dashboard issue for runs with no PR.",
        input="dashboard",
    ),
    Option("dashboard_title", "str", "CI failure dashboard", "Title of the dashboard issue."),
    Option("skip_senders", "list", (), "Senders whose events are ignored (the action's own identity always is)."),
    Option("workflows", "list", (), "Only report these workflows (glob patterns); empty means all."),
    Option("ignore_workflows", "list", (), "Never report these workflows (glob patterns)."),
    Option("ignore_jobs", "list", (), "Leave these jobs out of reports (glob patterns)."),
    Option("honor_skip_ci", "bool", False, "Also skip on `[skip ci]`-style markers in the head commit message."),
    Option(
        "compare_with_green",
        "bool",
        True,
        "Compare each failed job's log with the same job's log in the last green run of the workflow.",
        input="compare-with-green",
    ),
    Option(
        "green_max_age_days",
        "int",
        14,
        "A green run older than this many days is too far from this one to compare with.",
        minimum=1,
        maximum=400,
    ),
)

OPTIONS_BY_ATTR = {o.attr: o for o in OPTIONS}
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})


@dataclass(frozen=True)
class Settings:
    github_token: str = ""
    dry_run: bool = False
    mode: str = "report"
    log_path: str = ""
    allow_outside_logs: bool = False
    config_path: str = ".github/nexus.yml"
    out_dir: str = ""
    comment_issue_append: bool = False
    issue_label: str = "nexus-autofix"
    alert_webhook_enabled: bool = False
    alert_webhook_url: str = ""
    alert_webhook_format: str = "json"
    alert_webhook_route_map: str = ""
    alert_webhook_on: str = "fallback"
    respect_retry_after: bool = True
    max_wait_seconds: float = 60.0
    deadline_seconds: float = 120.0
    http_retries: int = 3
    fail_on_error: bool = False
    routing: Mapping[str, str] = field(default_factory=dict)
    history_limit: int = 20
    bot_login: str = "github-actions[bot]"
    command_permission: str = "write"
    allow_bot_commands: bool = False
    max_retries: int = 2
    max_fix_requests: int = 3
    dashboard_enabled: bool = False
    dashboard_title: str = "CI failure dashboard"
    skip_senders: tuple[str, ...] = ()
    workflows: tuple[str, ...] = ()
    ignore_workflows: tuple[str, ...] = ()
    ignore_jobs: tuple[str, ...] = ()
    honor_skip_ci: bool = False
    compare_with_green: bool = True
    green_max_age_days: int = 14
    # Rules from the config file's `rules:` list, validated by the classifier when it loads them.
    extra_rules: tuple[Mapping[str, Any], ...] = ()
    # Where each value came from (input / env / config / default), for `--explain-settings` and tests.
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    # The name each value was set under (`GITHUB_TOKEN`, `input github-token`, ...), for `nexus-autofix settings`.
    source_names: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def secret_values(self) -> tuple[str, ...]:
        """Values that must never leave the runner in clear: redaction masks these."""
        # The route map's own parser finds every URL; Teams connector URLs hold an `@`, so a naive split would
        # mask only their tail. It never raises: a malformed map is reported where it is used.
        from nexus_action.notify.routes import webhook_urls

        urls = webhook_urls(self.alert_webhook_route_map, self.alert_webhook_url)
        return tuple(v for v in (self.github_token, *urls) if v and len(v) >= 8)

    @property
    def webhook_configured(self) -> bool:
        return self.alert_webhook_enabled and bool(self.alert_webhook_url or self.alert_webhook_route_map)


def _input_names(name: str) -> tuple[str, ...]:
    upper = name.upper()
    # The runner keeps hyphens in INPUT_ names; our composite action maps them with underscores.
    return (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}")


def _raw_value(option: Option, env: Mapping[str, str], config: Mapping[str, Any]) -> tuple[Any, str, str] | None:
    """The winning raw value with its source and the name the user set it under."""
    if option.input:
        for name in _input_names(option.input):
            value = env.get(name, "")
            if value.strip():
                return value, "input", f"input {option.input}"
    for name in option.env_names:
        value = env.get(name, "")
        if value.strip():
            return value, "env", name
    if option.in_config and option.attr in config and config[option.attr] not in (None, ""):
        return config[option.attr], "config", f"{option.attr} (config file)"
    return None


def env_names_of(attr: str) -> tuple[str, ...]:
    """Every environment name a setting can arrive under: its input's INPUT_ forms, then its AUTOFIX_* names."""
    option = OPTIONS_BY_ATTR[attr]
    return (*(_input_names(option.input) if option.input else ()), *option.env_names)


def raw_from_env(attr: str, env: Mapping[str, str]) -> str:
    """One setting's raw value from the action input or AUTOFIX_* variable alone ("" when unset), by the same
    precedence as load_settings: for the config file's own path, which cannot come from the config file."""
    found = _raw_value(OPTIONS_BY_ATTR[attr], env, {})
    return str(found[0]).strip() if found else ""


def _parse_bool(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise config_error(name, raw, "one of true, false, 1, 0, yes, no (any case)")


def _number_words(option: Option) -> str:
    what = "a number" if option.kind == "float" else "a whole number"
    if option.minimum is not None and option.maximum is not None:
        return f"{what} from {option.minimum:g} to {option.maximum:g}"
    if option.minimum is not None:
        return f"{what} of at least {option.minimum:g}"
    if option.maximum is not None:
        return f"{what} of at most {option.maximum:g}"
    return what


def _parse_number(option: Option, name: str, raw: Any) -> float:
    try:
        if isinstance(raw, bool):  # YAML `true` is not a number of seconds
            raise ValueError
        number = float(str(raw).strip()) if option.kind == "float" else int(str(raw).strip())
    except ValueError:
        raise config_error(name, raw, _number_words(option)) from None
    low = option.minimum if option.minimum is not None else -math.inf
    high = option.maximum if option.maximum is not None else math.inf
    if not math.isfinite(number) or not low <= number <= high:
        raise config_error(name, raw, _number_words(option))
    return number


def _parse_url(name: str, raw: Any) -> str:
    url = str(raw).strip()
    # Plain http is allowed only for a receiver on this machine (tests, a local relay).
    if url.startswith("https://") or url.startswith(("http://localhost", "http://127.0.0.1")):
        return url
    # Never echo the URL: a webhook URL is a credential. Its scheme is enough to see the mistake.
    shown = url.split("//", 1)[0] + "//…" if "//" in url else "a value without a scheme"
    raise NexusError(
        "NEXUS-CONFIG-INVALID",
        f"{name} must be an https:// URL; got {shown}",
        f"Set {name} to the https:// URL your Slack or Teams workflow gave you (it is masked in logs).",
    )


def _parse_list(raw: Any) -> tuple[str, ...]:
    items = raw if isinstance(raw, list | tuple) else str(raw).replace("\n", ",").split(",")
    return tuple(s for s in (str(i).strip() for i in items) if s)


def _parse_map(name: str, raw: Any) -> dict[str, str]:
    if isinstance(raw, Mapping):
        pairs = [(str(k).strip().lower(), str(v).strip() if v is not None else "") for k, v in raw.items()]
        for key, value in pairs:
            if not value:
                raise config_error(f"{name} {key}", value, "an agent name, e.g. Rex")
    else:
        pairs = []
        for part in _parse_list(raw):
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise config_error(name, part, "comma-separated domain=Agent pairs, e.g. rust=Rex,frontend=Blaze")
            pairs.append((key.strip().lower(), value.strip()))
    for key, _ in pairs:
        if key not in DOMAINS:
            raise config_error(name, key, "a domain, one of " + ", ".join(DOMAINS))
    return dict(pairs)


def parse_value(option: Option, name: str, raw: Any) -> Any:
    """Turn one raw value into the typed value of `option`, or raise NEXUS-CONFIG-INVALID."""
    if option.kind == "bool":
        return _parse_bool(name, raw)
    if option.kind in ("int", "float"):
        return _parse_number(option, name, raw)
    if option.kind == "enum":
        word = str(raw).strip().lower()
        if word not in option.choices:
            raise config_error(name, raw, "one of " + ", ".join(option.choices))
        return word
    if option.kind == "list":
        return _parse_list(raw)
    if option.kind == "map":
        return _parse_map(name, raw)
    if option.attr == "alert_webhook_url":
        return _parse_url(name, raw)
    return str(raw).strip()


def load_settings(env: Mapping[str, str], config: Mapping[str, Any] | None = None) -> Settings:
    """Build Settings from environment values and an already-parsed, schema-checked config mapping."""
    config = config or {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    names: dict[str, str] = {}
    for option in OPTIONS:
        found = _raw_value(option, env, config)
        if found is None:
            sources[option.attr] = "default"
            continue
        raw, source, name = found
        values[option.attr] = parse_value(option, name, raw)
        sources[option.attr] = source
        names[option.attr] = name
    rules = config.get("rules") or ()
    if not isinstance(rules, list | tuple):
        raise config_error("rules (config file)", rules, "a list of rule objects")
    if values.get("alert_webhook_enabled") and values.get("alert_webhook_route_map"):
        from nexus_action.notify.routes import parse_route_map

        # Checked when the settings are read, not on the day the webhook is the last resort.
        parse_route_map(values["alert_webhook_route_map"], setting=names["alert_webhook_route_map"])
    return Settings(**values, extra_rules=tuple(rules), sources=sources, source_names=names)


def require_token(settings: Settings) -> str:
    if not settings.github_token:
        raise NexusError(
            "NEXUS-TOKEN-MISSING",
            "no GitHub token: input github-token and GITHUB_TOKEN are both empty",
        )
    return settings.github_token
