"""Redaction and neutralisation of every string that came from a log, branch, PR title or job name.

Two jobs, always in this order:
1. `redact_secrets`: tokens, keys, webhook URLs, credential pairs and the run's own secret values become
   `***` (GitHub's own mask), so nothing sensitive leaves the runner in a comment, issue or webhook.
2. `neutralise`: text that GitHub (or a chat client) would act on is made inert: `@mentions` would ping
   people and teams, `#123` / `GH-123` would cross-link issues, HTML comments and `<!-- nexus:` look-alikes
   could end or forge our hidden state, control and bidi characters can hide text.

A zero-width space (U+200B) is what breaks a mention or a reference: it is invisible when rendered, works
inside code blocks (where HTML entities would show literally), and survives copy into Slack and Teams.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MASK = "***"
ZWSP = "\u200b"

# Each pattern names what it catches; the order matters only where patterns overlap (blocks first).
_SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private_key",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
            re.DOTALL,
        ),
    ),
    ("github_pat", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}")),
    ("github_token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b")),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b")),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,250}")),
    ("slack_app_token", re.compile(r"\bxapp-\d-[A-Za-z0-9-]{10,250}")),
    ("npm_token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("pypi_token", re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{20,}")),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")),
    ("gcp_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("stripe_key", re.compile(r"\b(?:sk|rk)_live_[0-9A-Za-z]{16,}")),
)

# Webhook URLs are credentials in themselves: keep scheme and host (useful to read), mask the rest.
_WEBHOOK_URL = re.compile(
    r"(?P<keep>https?://(?:hooks\.slack\.com|[A-Za-z0-9.-]*webhook\.office\.com|outlook\.office(?:365)?\.com"
    r"|[A-Za-z0-9.-]*\.logic\.azure\.com(?::\d+)?|discord(?:app)?\.com/api/webhooks|[A-Za-z0-9.-]*"
    r"\.environment\.api\.powerplatform\.com(?::\d+)?))(?P<secret>/[^\s\"'<>`)\]]+)",
    re.IGNORECASE,
)

# `password=...`, `token: ...`, `"secret": "..."`, `Cookie: ...`, `Authorization: Bearer ...`.
_CREDENTIAL_PAIR = re.compile(
    # The key must END in the sensitive word (`db_password`, `GITHUB_TOKEN`), so `token_count: 3` stays readable.
    r"(?P<key>\b[\w.-]*(?:password|passwd|pwd|token|secret|api[_-]?key|access[_-]?key|private[_-]?key|cookie"
    r"|session[_-]?id|client[_-]?secret|credentials?)[\"']?\s*[:=]\s*)"
    r"(?P<value>(?!\*\*\*)(?:\"[^\"\n]{1,512}\"|'[^'\n]{1,512}'|[^\s\"',;&]{3,}))",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(
    r"(?P<key>\b(?:authorization|proxy-authorization)\s*[:=]\s*(?:bearer|basic|token|bot)?\s*)(?P<value>[^\s\"',;]{6,})",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^\s/:@]+:)(?P<secret>[^\s/@]+)(?=@)", re.IGNORECASE)

# Mentions: `@user`, `@org/team`; not e-mail addresses (a word character before the @).
_MENTION = re.compile(r"(?<![\w@./+-])@(?=[A-Za-z0-9])")
# Issue references: `#123`, `org/repo#123`, `GH-123`.
_ISSUE_REF = re.compile(r"(?<!&)#(?=\d)|\b(GH)-(?=\d)", re.IGNORECASE)
_HTML_COMMENT_OPEN = re.compile(r"<!--")
_HTML_COMMENT_CLOSE = re.compile(r"--!?>")
# Slack and Teams act on these: `<!channel>`, `<!here>`, `<@U123>`, `<#C123>`.
_CHAT_SPECIAL = re.compile(r"<(?=[!@#])")
# C0 controls except tab and newline, DEL, C1 controls, and the bidi overrides/isolates ("Trojan Source").
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\ufeff]")


def mask_values(text: str, secrets: Sequence[str]) -> str:
    """Each known secret value replaced by `***`."""
    # Longest first, so a secret that contains another is masked whole.
    for value in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def redact_secrets(text: str, secrets: Sequence[str] = ()) -> str:
    """Replace credentials with `***`; `secrets` are values known to be secret in this run (masked verbatim)."""
    if not text:
        return text
    text = mask_values(text, secrets)
    for _, pattern in _SECRET_PATTERNS:
        text = pattern.sub(MASK, text)
    text = _WEBHOOK_URL.sub(lambda m: m.group("keep") + "/" + MASK, text)
    text = _URL_USERINFO.sub(lambda m: m.group("keep") + MASK, text)
    text = _AUTH_HEADER.sub(lambda m: m.group("key") + MASK, text)
    return _CREDENTIAL_PAIR.sub(lambda m: m.group("key") + MASK, text)


def neutralise(text: str) -> str:
    """Make mentions, issue references, HTML comments, chat specials and control characters inert."""
    if not text:
        return text
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _MENTION.sub("@" + ZWSP, text)
    text = _ISSUE_REF.sub(lambda m: (m.group(1) + "-" if m.group(1) else "#") + ZWSP, text)
    text = _HTML_COMMENT_OPEN.sub("<" + ZWSP + "!--", text)
    text = _HTML_COMMENT_CLOSE.sub(lambda m: m.group(0)[:-1] + ZWSP + ">", text)
    return _CHAT_SPECIAL.sub("<" + ZWSP, text)


def sanitize(text: str, secrets: Sequence[str] = ()) -> str:
    """Redact secrets, then neutralise: the one call for any untrusted string that leaves the runner."""
    return neutralise(redact_secrets(text, secrets))


def contains_secret(text: str, secrets: Sequence[str] = ()) -> bool:
    """True when `text` still holds something `redact_secrets` would mask (for tests and self-checks)."""
    return redact_secrets(text, secrets) != text
