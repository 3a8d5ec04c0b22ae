"""The report's parts about the last green run: whether the top blocker is new since it, the blocks of log
lines that are new since it, and the commit range between it and this head (the first place to look).

Pure: reads the snapshot (its `green` run and each job's `classification.baseline`), returns Markdown lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from nexus_action.report import markdown as md
from nexus_action.report.model import FailedJob, Snapshot

Clean = Callable[[str], str]
MAX_NEW_BLOCKS = 10
_SHA = re.compile(r"^[0-9a-f]{7,64}$")


def compare_url(snap: Snapshot) -> str | None:
    """`<server>/<repo>/compare/<green sha>...<head sha>`; None without two different, well-formed SHAs."""
    green = snap.green
    if green is None or not _SHA.match(green.head_sha) or not _SHA.match(snap.head_sha):
        return None
    if green.head_sha == snap.head_sha:
        return None
    return f"{snap.server_url}/{snap.repository}/compare/{green.head_sha}...{snap.head_sha}"


def green_run_link(snap: Snapshot) -> str:
    green = snap.green
    return md.link("last green run", green.url if green and green.url else None)


def top_blocker_note(snap: Snapshot, job: FailedJob, clean: Clean) -> list[str]:
    """Under the top blocker: new since the last green run (linked), seen there too, or why not compared."""
    baseline = job.classification.baseline
    top = job.classification.top_blocker
    if baseline is None:
        return []
    if not baseline.used:
        return [f"_Not compared with the last green run: {md.text(clean(baseline.note or 'no reason given'))}._"]
    if top is None or top.new_since_baseline is None:
        return []
    if top.new_since_baseline:
        return [f"🆕 New since the {green_run_link(snap)}."]
    return [f"♻️ The {green_run_link(snap)} printed this line too: nothing newer was found."]


def new_since_green_section(snap: Snapshot, job: FailedJob, clean: Clean) -> list[str]:
    """A collapsed list of up to MAX_NEW_BLOCKS blocks of log lines the green run did not print."""
    baseline = job.classification.baseline
    if baseline is None or not baseline.used or not baseline.new_blocks:
        return []
    blocks = baseline.new_blocks[:MAX_NEW_BLOCKS]
    share = f"{baseline.new_lines} of {baseline.lines} log lines"
    lines = [
        f"<details><summary>New since green ({len(blocks)} block{'s' if len(blocks) != 1 else ''}, {share})</summary>",
        "",
    ]
    for block in blocks:
        span = f"log lines {block.start}-{block.end}" if block.end > block.start else f"log line {block.start}"
        step = f" · step {md.cell_code(clean(block.step), 80)}" if block.step else ""
        lines += [f"{span}{step}", "", md.code_block(clean(block.text)), ""]
    lines.append("</details>")
    return lines


def transition_lines(snap: Snapshot) -> list[str]:
    """The commit range since the last green run, for the Transition section."""
    url = compare_url(snap)
    green = snap.green
    if url is None or green is None:
        return []
    label = f"`{green.head_sha[:7]}...{snap.head_sha[:7]}`"
    return [f"- 🔎 Since the {green_run_link(snap)}: {md.link(label, url)} (the commits that brought this failure)"]
