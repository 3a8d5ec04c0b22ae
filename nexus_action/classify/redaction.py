"""What classify returns is redacted, then cut: no secret from the log, whole or in part, leaves it.

Blocker and evidence texts are kept whole while the log is read (a line is at most MAX_TEXT_CHARS) and cut here,
after redaction, with `Redactor.cut`: a secret that straddles the cut is masked whole before the cut, and the word
the cut falls in is dropped. The redactor knows the values the log announced with `::add-mask::`, wherever in the
log they were announced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from nexus_action.classify.model import BaselineSummary, Blocker, Classification, Evidence
from nexus_action.report.redact import redactor_for

BLOCKER_LIMIT = 500
DETAIL_LIMIT = 200


def _plain(text: str, limit: int) -> str:
    return text[:limit]


def finish(classification: Classification, masked: tuple[str, ...], *, redact: bool = True) -> Classification:
    """`classification` with its texts redacted (unless `redact` is False: raw text, for local use) and cut."""
    cut: Callable[[str, int], str]
    clean: Callable[[str], str]
    if redact:
        redactor = redactor_for(masked)
        cut, clean = redactor.cut, redactor.redact
    else:
        cut, clean = _plain, str
    done: dict[Blocker, Blocker] = {}

    def blocker(b: Blocker) -> Blocker:
        if b not in done:
            done[b] = replace(
                b,
                text=cut(b.text, BLOCKER_LIMIT),
                file=clean(b.file) if b.file else b.file,
                step=clean(b.step) if b.step else b.step,
                excerpt=clean(b.excerpt) if b.excerpt else b.excerpt,
            )
        return done[b]

    def evidence(e: Evidence) -> Evidence:
        return replace(e, detail=cut(e.detail, DETAIL_LIMIT))

    def since_green(b: BaselineSummary | None) -> BaselineSummary | None:
        """The blocks of lines new since the last green run are log text like any blocker's."""
        if b is None:
            return None
        blocks = tuple(
            replace(k, text=cut(k.text, BLOCKER_LIMIT), step=clean(k.step) if k.step else k.step) for k in b.new_blocks
        )
        return replace(b, new_blocks=blocks, note=clean(b.note) if b.note else b.note)

    c = classification
    return replace(
        c,
        top_blocker=blocker(c.top_blocker) if c.top_blocker else None,
        blockers=tuple(blocker(b) for b in c.blockers),
        evidence=tuple(evidence(e) for e in c.evidence),
        masked_values=masked,
        baseline=since_green(c.baseline),
    )
