"""The runner's files and workflow commands: outputs, step summary, annotations, masks, stop-commands.

One small object, `RunnerIO(env, stdout)`, that the report flow and the command handler pass around. On a
runner (`GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` set) it writes GitHub's files and prints workflow
commands; on a laptop it writes `outputs.json` and `step-summary.md` into an out folder, or prints a
readable form to stdout, and never prints `::add-mask::` lines (they would echo the secret).

GitHub facts this rests on (docs: "Workflow commands for GitHub Actions", actions/toolkit core):
- Outputs go to the GITHUB_OUTPUT file as `name<<DELIMITER` / value / `DELIMITER`; a value that contains
  the delimiter would end it early and let the rest forge more outputs, so the delimiter is random and a
  value containing it is refused.
- A step summary over 1 MiB is dropped whole, so we cut it ourselves, on a UTF-8 boundary, with a note.
- Command data escapes % \\r \\n; command properties also escape : and , (toolkit escapeData/escapeProperty).
- `::add-mask::` masks one line: a multi-line secret is masked line by line.
- Text between `::stop-commands::TOKEN` and `::TOKEN::` is not interpreted, so log lines we echo cannot
  run `::add-mask::`, `::set-output::` or forge annotations.

Everything written here leaves the step, so it passes one last redaction (`RunnerIO.redactor`: secrets named in
the environment, every value given to `add_mask`, and the pattern set): output values, the step summary (its
hidden-state blocks as JSON) and annotations. Text that was redacted before stays as it is.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from nexus_action.errors import NexusError
from nexus_action.report.redact import Redactor

SUMMARY_LIMIT_BYTES = 1024 * 1024
# Annotations longer than this are cut by GitHub anyway; a whole log line could be megabytes.
ANNOTATION_MESSAGE_LIMIT = 4000
_OUTPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

Level = Literal["error", "warning", "notice"]


def report_dir(out_arg: str | None, configured: str, env: Mapping[str, str]) -> Path:
    """Where report files go: --out, else the out-dir setting, else $RUNNER_TEMP/nexus-autofix, else ./out."""
    if out_arg or configured:
        return Path(out_arg or configured)
    temp = env.get("RUNNER_TEMP", "")
    return Path(temp) / "nexus-autofix" if temp else Path("out")


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _random_token() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class SummaryWrite:
    """What `append_summary` did: bytes written and whether the text had to be cut."""

    written_bytes: int
    truncated: bool
    path: str


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` whose UTF-8 encoding fits in `max_bytes`, never splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    # A cut inside a multi-byte character leaves an incomplete tail, which "ignore" drops.
    return data[: max(max_bytes, 0)].decode("utf-8", "ignore")


def _close_open_blocks(text: str) -> str:
    """Close a code fence or <details> the cut left open, so the note renders as text, not inside them."""
    closing = ""
    if sum(1 for line in text.splitlines() if line.lstrip().startswith("```")) % 2:
        closing += "\n```"
    closing += "\n</details>" * max(text.count("<details") - text.count("</details>"), 0)
    return text + closing


def fit_summary(markdown: str, budget_bytes: int) -> tuple[str, bool]:
    """`markdown` cut to `budget_bytes` (UTF-8) with a visible note when it does not fit."""
    size = len(markdown.encode("utf-8"))
    if size <= budget_bytes:
        return markdown, False
    note = (
        f"\n\n> **Note:** NEXUS AutoFix cut this summary to stay under GitHub's 1 MiB step-summary limit "
        f"({size:,} bytes did not fit). The full report is in the report files and the PR comment.\n"
    )
    # Room for the note and for closing tags the cut may need.
    room = budget_bytes - len(note.encode("utf-8")) - 64
    if room <= 0:
        return "", True
    kept = truncate_utf8(markdown, room)
    # Prefer to stop at a line end if one is reasonably near, so no table row or link is half shown.
    cut = kept.rfind("\n")
    if cut > len(kept) * 0.9:
        kept = kept[:cut]
    return _close_open_blocks(kept) + note, True


class RunnerIO:
    """Writes outputs, the step summary and workflow commands for one step. Pass it around; do not re-create."""

    def __init__(
        self,
        env: Mapping[str, str],
        stdout: TextIO,
        *,
        out_dir: str | Path | None = None,
        token: Callable[[], str] = _random_token,
    ) -> None:
        self._stdout = stdout
        self._token = token
        self.output_path = env.get("GITHUB_OUTPUT", "").strip() or None
        self.summary_path = env.get("GITHUB_STEP_SUMMARY", "").strip() or None
        # Workflow commands mean something only to the runner; elsewhere they are noise (or leak a mask).
        self.on_runner = env.get("GITHUB_ACTIONS", "") == "true" or self.output_path is not None
        self.out_dir = Path(out_dir) if out_dir else None
        self._laptop_outputs: dict[str, str] = {}
        self.masked: list[str] = []
        self.redactor = Redactor.for_run(env=env)

    # ---- outputs -------------------------------------------------------------------------------

    def set_output(self, name: str, value: object) -> None:
        """Set a step output. Non-strings are written as JSON (`true`, `3`, `["a"]`)."""
        self.set_outputs({name: value})

    def set_outputs(self, values: Mapping[str, object]) -> None:
        laptop_changed = False
        for name, value in values.items():
            laptop_changed |= self._set_one(name, value)
        if laptop_changed and self.out_dir:
            # Off a runner, outputs.json is rewritten once per call, not once per output.
            self._write(self.out_dir / "outputs.json", json.dumps(self._laptop_outputs, indent=2) + "\n")

    def _set_one(self, name: str, value: object) -> bool:
        """Write one output to GITHUB_OUTPUT or stdout; True when it was kept for the laptop's outputs.json."""
        if not _OUTPUT_NAME.match(name):
            raise NexusError(
                "NEXUS-OUTPUT-FAILED",
                f"output name {name!r} is not allowed",
                "Use letters, digits, - and _ only, starting with a letter or _.",
            )
        text = self.redactor.redact(value) if isinstance(value, str) else json.dumps(self.redactor.redact_json(value))
        if self.output_path:
            delimiter = f"ghadelimiter_{self._token()}"
            if delimiter in text:
                raise NexusError(
                    "NEXUS-OUTPUT-FAILED",
                    f"the value of output {name!r} contains the random heredoc delimiter; refusing to write it",
                    "A value can only contain a fresh random token by injection; re-run, and report it if it repeats.",
                )
            self._append(self.output_path, f"{name}<<{delimiter}\n{text}\n{delimiter}\n")
            return False
        if self.out_dir:
            self._laptop_outputs[name] = text
            return True
        shown = text if "\n" not in text else "\n  " + text.replace("\n", "\n  ")
        self._stdout.write(f"output {name}: {shown}\n")
        return False

    # ---- step summary --------------------------------------------------------------------------

    def append_summary(self, markdown: str) -> SummaryWrite:
        """Append markdown to the step summary, cut so the whole file stays under GitHub's 1 MiB."""
        markdown = self.redactor.redact_body(markdown)
        path = self.summary_path or (str(self.out_dir / "step-summary.md") if self.out_dir else None)
        if path is None:
            text, truncated = fit_summary(markdown, SUMMARY_LIMIT_BYTES - 1)
            self._stdout.write(text if text.endswith("\n") else text + "\n")
            return SummaryWrite(len(text.encode("utf-8")), truncated, "-")
        try:
            used = Path(path).stat().st_size
        except OSError:
            used = 0
        # One byte of margin: the limit is "over 1 MiB", and an exact-fit file is not worth the risk.
        text, truncated = fit_summary(markdown, SUMMARY_LIMIT_BYTES - 1 - used)
        if text:
            self._append(path, text if text.endswith("\n") else text + "\n")
        return SummaryWrite(len(text.encode("utf-8")), truncated, path)

    # ---- workflow commands ---------------------------------------------------------------------

    def annotate(
        self,
        level: Level,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        end_line: int | None = None,
        col: int | None = None,
        end_column: int | None = None,
        title: str | None = None,
    ) -> None:
        """`::error file=..,line=..,col=..,title=..::message` (or a readable line off the runner)."""
        message = self.redactor.cut(message, ANNOTATION_MESSAGE_LIMIT)
        file, title = (self.redactor.redact(v) if v else v for v in (file, title))
        props = {"file": file, "line": line, "endLine": end_line, "col": col, "endColumn": end_column, "title": title}
        given = {k: str(v) for k, v in props.items() if v is not None and v != ""}
        if not self.on_runner:
            where = ":".join(given[k] for k in ("file", "line", "col") if k in given)
            head = " ".join(part for part in (where, given.get("title", "")) if part)
            self._stdout.write(f"{level}: {head + ': ' if head else ''}{message}\n")
            return
        rendered = ",".join(f"{k}={escape_property(v)}" for k, v in given.items())
        self._stdout.write(f"::{level}{' ' + rendered if rendered else ''}::{escape_data(message)}\n")

    def add_mask(self, value: str) -> None:
        """Ask the runner to mask `value` in all later log output, one line at a time."""
        self.redactor = self.redactor.with_values([value, *value.splitlines()])
        for line in value.splitlines():
            if not line.strip() or line in self.masked:
                continue
            self.masked.append(line)
            if self.on_runner:
                self._stdout.write(f"::add-mask::{escape_data(line)}\n")

    def echo_log(self, text: str) -> None:
        """Print log text that may contain `::command::` lines without the runner acting on them."""
        body = text if text.endswith("\n") or not text else text + "\n"
        if not self.on_runner:
            self._stdout.write(body)
            return
        token = self._token()
        while token in text:  # the end marker must not occur inside the text, or the text could end it
            token = self._token()
        self._stdout.write(f"::stop-commands::{token}\n{body}::{token}::\n")

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """A collapsible group in the job log."""
        self._stdout.write(f"::group::{escape_data(title)}\n" if self.on_runner else f"== {title}\n")
        try:
            yield
        finally:
            if self.on_runner:
                self._stdout.write("::endgroup::\n")

    # ---- files ---------------------------------------------------------------------------------

    def _append(self, path: str | Path, text: str) -> None:
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # newline="" keeps \r\n inside values exactly as given.
            with open(path, "a", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            raise NexusError(
                "NEXUS-OUTPUT-FAILED",
                f"cannot write {str(path)!r}: {exc.strerror or exc}",
                "Check that the runner file (GITHUB_OUTPUT / GITHUB_STEP_SUMMARY) or the --out folder is writable.",
            ) from None

    def _write(self, path: Path, text: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise NexusError(
                "NEXUS-OUTPUT-FAILED",
                f"cannot write {str(path)!r}: {exc.strerror or exc}",
                "Check that the --out folder is writable.",
            ) from None
