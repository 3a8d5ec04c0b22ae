"""Neutralisation: text that GitHub (or a chat client) would act on is made inert.

`@mentions` would ping people and teams, `#123` / `GH-123` would cross-link issues, HTML comments and
`<!-- nexus:` look-alikes could end or forge our hidden state, control and bidi characters can hide text.

A zero-width space (U+200B) is what breaks a mention or a reference: it is invisible when rendered, works
inside code blocks (where HTML entities would show literally), and survives copy into Slack and Teams.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"

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
