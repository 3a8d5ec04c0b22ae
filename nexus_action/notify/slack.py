"""Slack incoming-webhook message in Block Kit (`slack_blocks`). Pure.

Layout: header, where it happened, transition, top blocker, failed-jobs fields, link buttons, context line, and a
plain `text` fallback (what notifications and old clients show).

Slack's limits (https://api.slack.com/reference/block-kit/blocks): 50 blocks per message, 150 characters in a
header, 3,000 in a section's text, 10 fields of 2,000 each per section, 75 in a button label, 3,000 in a button
URL. Past roughly 13,000 characters of blocks Slack answers `msg_blocks_too_long`, so the failed-jobs list is
shortened until the serialised blocks fit in BLOCKS_BUDGET, well under that.

Escaping: Slack parses `&`, `<` and `>` in every text (`<!channel>`, `<url|label>`), so those become entities.
mrkdwn has no backslash escape for `*`, `_`, `~` and backticks, so untrusted names go inside inline code (where
formatting is off) and blocker text inside a code block; a backtick in them is swapped for a look-alike so it
cannot close the span.
"""

from __future__ import annotations

import json
from typing import Any

from nexus_action.notify.digest import AlertDigest, JobLine, escape_entities, fit_jobs
from nexus_action.report.markdown import clip, one_line

MAX_BLOCKS = 50
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
BUTTON_LABEL_LIMIT = 75
MAX_JOB_FIELDS = 30
BLOCKS_BUDGET = 10_000
TEXT_FALLBACK_LIMIT = 1000
TRANSITION_LIMIT = 1500
BACKTICK_LOOKALIKE = "ˋ"  # U+02CB MODIFIER LETTER GRAVE ACCENT


def escape(text: str) -> str:
    """Slack's three control characters as entities (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return escape_entities(text)


def code(text: str) -> str:
    """Inline code: formatting characters inside it are shown as typed."""
    if not text:
        return ""
    return "`" + escape(text.replace("`", BACKTICK_LOOKALIKE)) + "`"


def code_block(text: str, limit: int) -> str:
    body = escape(text.replace("`", BACKTICK_LOOKALIKE))
    # Escaping lengthens the text: clip after it, and leave room for the fences.
    return "```" + clip(body, limit - 6) + "```"


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def _mrkdwn(text: str, limit: int = SECTION_LIMIT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def _where(d: AlertDigest) -> str:
    parts = [f"*Repository* {code(d.repository)}"]
    if d.workflow:
        parts.append(f"*Workflow* {code(d.workflow)}")
    if d.branch:
        parts.append(f"*Branch* {code(d.branch)}")
    if d.short_sha:
        parts.append(f"*Commit* {code(d.short_sha)}")
    if d.pr_number:
        parts.append(f"*PR* #{d.pr_number}")
    return "  ·  ".join(parts)


def _top_blocker(d: AlertDigest) -> str:
    top = d.top
    if top is None:
        return ""
    where = f" at {code(top.location)}" if top.location else ""
    head = f"*Top blocker* in {code(top.name)}{where}"
    if not top.blocker:
        return head + "\n_no error line found in the log_"
    return head + "\n" + code_block(top.blocker, SECTION_LIMIT - len(head) - 1)


def _job_field(job: JobLine) -> dict[str, Any]:
    facts = " · ".join(x for x in (job.domain, job.kind, job.agent) if x)
    text = f"*{code(clip(job.name, 150))}*\n{escape(facts)}"
    if job.location:
        text += f"\n{code(clip(job.location, 200))}"
    if job.blocker:
        text += f"\n{code(clip(one_line(job.blocker), 300))}"
    elif not job.log_available:
        text += "\n_log not available_"
    return _mrkdwn(text, FIELD_LIMIT)


def _job_sections(jobs: tuple[JobLine, ...], shown: int) -> list[dict[str, Any]]:
    fields = [_job_field(j) for j in jobs[:shown]]
    return [
        {"type": "section", "fields": fields[i : i + FIELDS_PER_SECTION]}
        for i in range(0, len(fields), FIELDS_PER_SECTION)
    ]


def _buttons(d: AlertDigest) -> dict[str, Any] | None:
    if not d.links:
        return None
    elements = [
        {
            "type": "button",
            "text": _plain(link.title, BUTTON_LABEL_LIMIT),
            "url": link.url,
            "action_id": f"nexus-link-{i}",
        }
        for i, link in enumerate(d.links[:5])
    ]
    elements[0]["style"] = "primary" if not d.failed else "danger"
    return {"type": "actions", "elements": elements}


def _context(d: AlertDigest, hidden_jobs: int) -> dict[str, Any]:
    bits = []
    if d.run_id:
        bits.append(f"run {d.run_id} · attempt {d.run_attempt}")
    if d.created_at:
        bits.append(escape(d.created_at))
    if hidden_jobs:
        bits.append(f"+{hidden_jobs} more failed job{'s' if hidden_jobs != 1 else ''} in the workflow run")
    bits.append(f"NEXUS AutoFix · {code(d.dedupe_key)}")
    return {"type": "context", "elements": [_mrkdwn(" · ".join(bits), FIELD_LIMIT)]}


def _blocks(d: AlertDigest, shown: int) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(d.headline, HEADER_LIMIT)},
        {"type": "section", "text": _mrkdwn(_where(d))},
    ]
    if d.transition:
        lines = "\n".join(f"• {line}" for line in d.transition)
        blocks.append({"type": "section", "text": _plain("Transition\n" + lines, TRANSITION_LIMIT)})
    top = _top_blocker(d)
    if top:
        blocks.append({"type": "section", "text": _mrkdwn(top)})
    if d.jobs:
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": _mrkdwn(f"*Failed jobs ({d.job_count})*")})
        blocks.extend(_job_sections(d.jobs, shown))
    buttons = _buttons(d)
    if buttons:
        blocks.append(buttons)
    blocks.append(_context(d, d.job_count - shown))
    return blocks[:MAX_BLOCKS]


def blocks_size(blocks: list[dict[str, Any]]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False, separators=(",", ":")))


def slack_payload(d: AlertDigest) -> dict[str, Any]:
    """The incoming-webhook body: blocks within Slack's limits plus a plain `text` fallback."""
    # Fewer job fields until the whole message is comfortably under msg_blocks_too_long.
    blocks = fit_jobs(lambda shown: _blocks(d, shown), blocks_size, min(d.job_count, MAX_JOB_FIELDS), BLOCKS_BUDGET)
    return {
        "text": escape(clip(d.summary, TEXT_FALLBACK_LIMIT)),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
