"""Microsoft Teams payloads: an Adaptive Card for Workflows webhooks, and the legacy connector MessageCard. Pure.

- `teams_adaptive`: the envelope Teams Workflows ("Post to a channel when a webhook request is received")
  expects, `{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
  "content": <card>}]}`. Card version 1.4: Teams has rejected 1.5 cards sent this way. No `msteams` key, because
  the official 1.4 schema does not allow it and we validate against that schema.
- `teams_messagecard`: the Office 365 connector format (`@type: MessageCard`), still accepted by old
  "Incoming Webhook" connectors.

Teams rejects messages over about 28 KB, so both shorten the failed-jobs list until the serialised message fits in
MESSAGE_BUDGET bytes. Teams renders a markdown subset in card text; untrusted text has its markdown characters
backslash-escaped so a job named `*[click](https://evil)*` shows as typed. MessageCard text also renders some
HTML, so `&`, `<` and `>` become entities there too.
"""

from __future__ import annotations

import re
from typing import Any

from nexus_action.notify.digest import AlertDigest, JobLine, escape_entities, fit_jobs, payload_bytes
from nexus_action.report.markdown import clip, one_line

ADAPTIVE_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
ADAPTIVE_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_VERSION = "1.4"
MESSAGE_BUDGET = 24_000  # bytes; Teams' limit is about 28 KB for the whole request body
MAX_JOBS = 25
MAX_ACTIONS = 5
BLOCKER_LIMIT = 2000
FAILURE_COLOR = "D70000"
SUCCESS_COLOR = "2EB886"

# Only what starts emphasis, code or a link anywhere in a line; `#`, `>` and list markers matter at a line start
# only. Escaping more would be harmless in CommonMark but shows stray backslashes in some Teams clients.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_~\[\]])")
_LINE_START_MARKER = re.compile(r"^(\s*)(?:([-+#])(?=\s)|(>)|(\d+)([.)])(?=\s))", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Backslash-escape the markdown Teams renders in card text, including list markers at a line start."""
    text = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return _LINE_START_MARKER.sub(_escape_marker, text)


def _escape_marker(m: re.Match[str]) -> str:
    indent, bullet, quote, number, dot = m.groups()
    if number:  # `1.` is escaped as `1\.`: a backslash before a digit is not an escape in markdown
        return f"{indent}{number}\\{dot}"
    return f"{indent}\\{bullet or quote}"


def escape_html_markdown(text: str) -> str:
    """For MessageCard text, which renders markdown and a little HTML."""
    return escape_markdown(escape_entities(text))


def _job_value(job: JobLine, esc: Any) -> str:
    facts = " · ".join(x for x in (job.domain, job.kind, job.agent) if x)
    detail = job.location
    if job.blocker:
        detail = f"{detail}: {clip(one_line(job.blocker), 300)}" if detail else clip(one_line(job.blocker), 300)
    elif not job.log_available:
        detail = "log not available"
    return str(esc(f"{facts} — {detail}" if detail else facts))


def _facts(d: AlertDigest) -> list[tuple[str, str]]:
    facts = [("Repository", d.repository)]
    if d.workflow:
        facts.append(("Workflow", d.workflow))
    if d.branch:
        facts.append(("Branch", d.branch))
    if d.short_sha:
        facts.append(("Commit", d.short_sha))
    if d.pr_number:
        facts.append(("Pull request", f"#{d.pr_number}"))
    if d.run_id:
        facts.append(("Run", f"{d.run_id} (attempt {d.run_attempt})"))
    return facts


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _card_body(d: AlertDigest, shown: int) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = [
        _text(escape_markdown(d.headline), size="Large", weight="Bolder", color="Attention" if d.failed else "Good"),
        {"type": "FactSet", "facts": [{"title": t, "value": escape_markdown(v)} for t, v in _facts(d)]},
    ]
    if d.transition:
        body.append(_text("**Transition**", spacing="Medium"))
        body.append(_text("\n".join("- " + escape_markdown(line) for line in d.transition)))
    top = d.top
    if top:
        where = f" at {escape_markdown(top.location)}" if top.location else ""
        items = [_text(f"**Top blocker** in {escape_markdown(top.name)}{where}")]
        text = escape_markdown(clip(top.blocker, BLOCKER_LIMIT)) if top.blocker else "_no error line found in the log_"
        items.append(_text(text, fontType="Monospace"))
        body.append({"type": "Container", "style": "attention", "items": items, "spacing": "Medium"})
    if d.jobs:
        body.append(_text(f"**Failed jobs ({d.job_count})**", spacing="Medium"))
        facts = [
            {"title": escape_markdown(clip(j.name, 150)), "value": _job_value(j, escape_markdown)}
            for j in d.jobs[:shown]
        ]
        if shown:
            body.append({"type": "FactSet", "facts": facts})
        if d.job_count > shown:
            body.append(_text(f"+{d.job_count - shown} more failed jobs in the workflow run", isSubtle=True))
    context = " · ".join(
        x for x in (escape_markdown(d.created_at), f"NEXUS AutoFix {escape_markdown(d.dedupe_key)}") if x
    )
    body.append(_text(context, size="Small", isSubtle=True, spacing="Medium"))
    return body


def adaptive_card(d: AlertDigest, shown: int) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": ADAPTIVE_SCHEMA,
        "version": ADAPTIVE_VERSION,
        "fallbackText": escape_markdown(d.summary),
        "body": _card_body(d, shown),
        "actions": [{"type": "Action.OpenUrl", "title": link.title, "url": link.url} for link in d.links[:MAX_ACTIONS]],
    }


def _fit(build: Any, d: AlertDigest) -> dict[str, Any]:
    payload: dict[str, Any] = fit_jobs(
        lambda shown: build(d, shown), lambda p: len(payload_bytes(p)), min(d.job_count, MAX_JOBS), MESSAGE_BUDGET
    )
    return payload


def _adaptive_envelope(d: AlertDigest, shown: int) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CONTENT_TYPE, "contentUrl": None, "content": adaptive_card(d, shown)}],
    }


def teams_adaptive_payload(d: AlertDigest) -> dict[str, Any]:
    """The Teams Workflows webhook body carrying a version 1.4 Adaptive Card under MESSAGE_BUDGET bytes."""
    return _fit(_adaptive_envelope, d)


def _messagecard(d: AlertDigest, shown: int) -> dict[str, Any]:
    esc = escape_html_markdown
    sections: list[dict[str, Any]] = [
        {
            "activityTitle": esc(d.headline),
            "activitySubtitle": esc(d.where),
            "facts": [{"name": n, "value": esc(v)} for n, v in _facts(d)],
            "markdown": True,
        }
    ]
    if d.transition:
        sections.append(
            {"title": "Transition", "text": "\n\n".join("- " + esc(t) for t in d.transition), "markdown": True}
        )
    top = d.top
    if top:
        where = f" at {esc(top.location)}" if top.location else ""
        text = esc(clip(top.blocker, BLOCKER_LIMIT)) if top.blocker else "_no error line found in the log_"
        sections.append({"title": f"Top blocker in {esc(top.name)}{where}", "text": text, "markdown": True})
    if d.jobs:
        facts = [{"name": esc(clip(j.name, 150)), "value": _job_value(j, esc)} for j in d.jobs[:shown]]
        more = f"+{d.job_count - shown} more failed jobs in the workflow run" if d.job_count > shown else ""
        section: dict[str, Any] = {"title": f"Failed jobs ({d.job_count})", "facts": facts, "markdown": True}
        if more:
            section["text"] = more
        sections.append(section)
    sections.append({"text": " · ".join(x for x in (esc(d.created_at), f"NEXUS AutoFix {esc(d.dedupe_key)}") if x)})
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": clip(d.summary, 200),
        "themeColor": FAILURE_COLOR if d.failed else SUCCESS_COLOR,
        "title": esc(d.headline),
        "sections": sections,
        "potentialAction": [
            {"@type": "OpenUri", "name": link.title, "targets": [{"os": "default", "uri": link.url}]}
            for link in d.links[:MAX_ACTIONS]
        ],
    }


def teams_messagecard_payload(d: AlertDigest) -> dict[str, Any]:
    """The legacy Office 365 connector MessageCard, under MESSAGE_BUDGET bytes."""
    return _fit(_messagecard, d)
