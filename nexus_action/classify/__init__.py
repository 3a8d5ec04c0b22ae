"""Classify one failed CI job from its log (plus, when known, workflow, job, step and changed files).

`classify_log` is the library entry point (also exported as `nexus_action.classify_log`). It imports only the
standard library and PyYAML: never PyGithub, requests or jsonschema (the CLI's classify path depends on that).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, cast

from nexus_action.classify import baseline_apply
from nexus_action.classify.blocks import BLOCK_CAP
from nexus_action.classify.engine import Signals, decide, error_line_test, feed_line
from nexus_action.classify.gate import build_gate
from nexus_action.classify.model import Classification
from nexus_action.classify.redaction import finish
from nexus_action.classify.rules import RuleSet, load_rules
from nexus_action.errors import NexusError
from nexus_action.logs.grep import GrepFailed, grep_hits, usable_grep, worth_grepping
from nexus_action.logs.normalise import LogLine, scan_lines, scan_zip, searched_needles
from nexus_action.report.secret_values import ADD_MASK, announced_mask

__all__ = ["classify_log"]

_ZIP_MAGIC = b"PK\x03\x04"
# `::add-mask::` lines are read too: the values they announce are secrets, redacted from everything classify says.
_ADD_MASK_NEEDLE = ADD_MASK.encode("ascii")
# Below an error line, the scanner keeps enough lines for the error's whole block (its detail lines).
_AFTER = BLOCK_CAP - 1


def _lines(
    log: str | Path | IO[bytes],
    needles: tuple[bytes, ...],
    job: str | None,
    context_if: Callable[[str], bool],
    *,
    use_grep: bool,
) -> Iterator[LogLine]:
    if isinstance(log, str | Path):
        path = Path(log)
        try:
            with path.open("rb") as fh:
                if fh.read(4) == _ZIP_MAGIC:
                    with zipfile.ZipFile(fh) as archive:
                        yield from scan_zip(archive, needles, job=job, context_if=context_if, after=_AFTER)
                    return
                fh.seek(0)
                grep = usable_grep() if use_grep and worth_grepping(os.fstat(fh.fileno()).st_size, needles) else None
                if grep is None:
                    yield from scan_lines(fh, needles, context_if=context_if, after=_AFTER)
                    return
                with grep_hits(grep, path, searched_needles(needles)) as hits:
                    yield from scan_lines(fh, needles, context_if=context_if, hits=hits, after=_AFTER)
        except (OSError, zipfile.BadZipFile) as exc:
            raise NexusError(
                "NEXUS-INPUT-INVALID",
                f"cannot read log {str(path)!r}: {exc.strerror if isinstance(exc, OSError) else exc}",
                "Pass the path of a readable log file (plain text, or a run-log .zip from GitHub).",
            ) from None
        return
    yield from scan_lines(log, needles, context_if=context_if, after=_AFTER)


def _signals(
    log: str | Path | IO[bytes], ruleset: RuleSet, job: str | None, masked: dict[str, None], *, use_grep: bool
) -> Signals:
    """Feed every line read to the rules; collect `::add-mask::` values into `masked` (a runner command, not
    output: such a line is never a blocker)."""
    rules = build_gate(ruleset.log_rules)
    signals = Signals()
    needles = (*ruleset.needles, _ADD_MASK_NEEDLE)
    for line in _lines(log, needles, job, error_line_test(rules), use_grep=use_grep):
        if ADD_MASK in line.text:
            masked.update(dict.fromkeys(announced_mask(line.text)))
            continue
        feed_line(signals, rules, line)
    return signals


LogInput = str | Path | bytes | bytearray | IO[bytes] | IO[str]


class _EncodedText(io.RawIOBase):
    """A text stream read as UTF-8 bytes, a piece at a time (the log is never held whole)."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            piece = self._text.read(64 * 1024)
            if not piece:
                return 0
            self._pending = piece.encode("utf-8", "surrogateescape")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _as_source(log: LogInput) -> str | Path | IO[bytes]:
    """A path (str or Path), log content (bytes, or a str holding a newline), or a binary or text stream."""
    if isinstance(log, bytes | bytearray):
        return io.BytesIO(bytes(log))
    if isinstance(log, str) and ("\n" in log or "\r" in log):
        return io.BytesIO(log.encode("utf-8", "surrogateescape"))  # a path never holds a line break: log text
    if isinstance(log, str | Path):
        return log
    reader = getattr(log, "read", None)
    if isinstance(log, io.TextIOBase) or (reader is not None and isinstance(reader(0), str)):
        return io.BufferedReader(_EncodedText(cast("IO[str]", log)))
    return cast("IO[bytes]", log)


def classify_log(
    log: LogInput,
    *,
    workflow: str | None = None,
    job: str | None = None,
    step: str | None = None,
    changed_files: Iterable[str] = (),
    routing: Mapping[str, str] | None = None,
    extra_rules: Iterable[Mapping[str, Any]] = (),
    use_grep: bool = True,
    redact: bool = True,
    baseline: LogInput | None = None,
) -> Classification:
    """Classify one failed job's log.

    `log` is a path (`Path`, or a `str` without a line break; a text log or a run-log zip), the log's content
    (`bytes`, or a `str` holding line breaks), or a stream (binary, or text such as `io.StringIO`).

    Check-run annotation text fed as a stream works too: each `path:line: message` or `##[error]` line is a
    candidate like any log line. A big plain log file is searched by grep when one that passes a probe is on
    PATH (`use_grep=False`: never start a process); the result is the same either way.
    Texts are redacted (patterns and the log's own `::add-mask::` values) and then cut; `redact=False` gives the
    raw text, for local use only. The announced values ride along in `masked_values` for the report.
    `baseline` (any form `log` takes): a passing log of the same job (the last green run); candidate blockers
    it printed too are demoted, and the result says how many lines and which blockers are new (see
    classify/baseline_apply.py).
    """
    log = _as_source(log)
    ruleset = load_rules(extra_rules)
    masked: dict[str, None] = {}
    with ExitStack() as stack:
        pending = None
        if baseline is not None:  # made by a worker while the log is classified, where that is safe
            log, pending = baseline_apply.start_comparison(log, _as_source(baseline), stack)
        try:
            signals = _signals(log, ruleset, job, masked, use_grep=use_grep)
        except GrepFailed:
            masked.clear()
            signals = _signals(log, ruleset, job, masked, use_grep=False)  # grep stopped part way: read it all again
        comparison = pending.result() if pending is not None else None
        if comparison is not None:
            baseline_apply.reweigh(signals, comparison)
        decided = decide(
            signals,
            ruleset,
            workflow=workflow,
            job=job,
            step=step,
            changed_files=changed_files,
            routing=routing,
        )
    if comparison is not None:
        decided = baseline_apply.summarise(decided, comparison)
    return finish(decided, tuple(masked), redact=redact)


def classify_text(text: str, **kwargs: Any) -> Classification:
    """Convenience for tests and callers holding the log as a string."""
    return classify_log(io.BytesIO(text.encode("utf-8")), **kwargs)
