"""`nexus-autofix` command line: argument parsing, the one place that prints errors and maps them to exit codes.

Each subcommand imports only what it needs, so `classify` never loads PyGithub or requests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from nexus_action import __version__
from nexus_action.config.load import settings_from
from nexus_action.config.settings import env_names_of, load_settings
from nexus_action.errors import NexusError

EXIT_OK = 0
EXIT_INTERNAL = 70


def _positive(text: str) -> int:
    """A run id, attempt or PR number: a whole number of at least 1 (GitHub numbers them from 1)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}") from None
    if value < 1 or len(text.strip()) > 20:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _add_classify(sub: Any) -> None:
    p = sub.add_parser(
        "classify",
        help="classify one failed job's log",
        description="Say which domain, agent and kind of failure a log shows, and the line to read first.\n"
        "Works offline on any log file; nothing is sent anywhere.",
        epilog="examples:\n  nexus-autofix classify build.log\n"
        "  gh run view 123 --log-failed | nexus-autofix classify - --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(subparser=p)
    p.add_argument("log", help="path of the log file (GitHub Actions or any CI), or - for standard input")
    p.add_argument("--workflow", help="workflow name, a routing signal")
    p.add_argument("--job", help="job name, a routing signal")
    p.add_argument("--step", help="failing step name, a routing signal")
    p.add_argument("--changed-files", metavar="FILE|-", help="file listing the PR's changed paths, one per line")
    p.add_argument("--config", metavar="PATH", help="repository config with routing and rules (.github/nexus.yml)")
    p.add_argument("--json", action="store_true", help="print one JSON object (classification.schema.json)")
    p.add_argument(
        "--no-redact",
        dest="redact",
        action="store_false",
        help="show blocker and evidence text raw, secrets included (local use only; never paste the output)",
    )
    p.add_argument(
        "--baseline",
        metavar="PASS.log",
        help="log of a passing run of the same job: what it printed too is demoted, what is new is shown",
    )


def _add_run_context_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("run context (defaults come from the GITHUB_* variables)")
    g.add_argument("--event", metavar="FILE", help="webhook payload JSON (default: $GITHUB_EVENT_PATH)")
    g.add_argument("--event-name", help="event name (default: guessed from --event, else $GITHUB_EVENT_NAME)")
    g.add_argument("--repo", metavar="OWNER/NAME", help="repository (default: $GITHUB_REPOSITORY)")
    g.add_argument("--run-id", type=_positive, help="workflow run id (default: $GITHUB_RUN_ID)")
    g.add_argument("--run-attempt", type=_positive, help="run attempt (default: $GITHUB_RUN_ATTEMPT)")
    g.add_argument("--sha", help="head commit SHA (default: from the event, else $GITHUB_SHA)")
    g.add_argument("--pr", type=_positive, help="pull request number (default: from the event)")
    p.add_argument("--config", metavar="PATH", help="repository config (default: .github/nexus.yml)")
    p.add_argument("--dry-run", action="store_true", help="write nothing to GitHub or webhooks; write plan.json")
    p.add_argument("--out", metavar="DIR", help="folder for report files (default: $RUNNER_TEMP/nexus-autofix)")
    p.add_argument("--previous", metavar="FILE", help="an earlier comment or issue body, for Transition and history")


def _add_report(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="classify the run's failed jobs and deliver the sticky report",
        description="The main job: gather failed jobs, classify, render, and deliver\n"
        "(comment -> fallback issue -> webhook). With --dry-run, nothing leaves the machine.",
        epilog="examples:\n  nexus-autofix report                      # inside GitHub Actions\n"
        "  nexus-autofix report --dry-run --event event.json --log build=build.log --out out/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(subparser=p)
    _add_run_context_args(p)
    p.add_argument(
        "--log",
        action="append",
        default=[],
        metavar="[JOB=]PATH",
        help="a job log to use instead of downloading it (repeatable; job name defaults to the file stem)",
    )
    p.add_argument(
        "--print",
        dest="print_what",
        choices=("overview", "comment", "issue", "summary", "none"),
        default="none",
        help="also print to standard output: one rendered file, or an overview of everything written",
    )


def _add_command(sub: Any) -> None:
    p = sub.add_parser(
        "command",
        help="handle /nexus slash commands from an issue_comment event",
        description="Parse /nexus commands in a PR comment (retry, fix, explain, status, mute, unmute,\n"
        "help), check the author's permission, and act.",
        epilog="example (in a workflow on: issue_comment):\n  nexus-autofix command",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(subparser=p)
    _add_run_context_args(p)


def _add_settings(sub: Any) -> None:
    p = sub.add_parser(
        "settings",
        help="show the effective settings and where each came from",
        description="Resolve inputs, AUTOFIX_* variables, the config file and defaults; secrets are masked. "
        "Precedence: input (INPUT_*) > AUTOFIX_* variable > config file > default.",
    )
    p.set_defaults(subparser=p)
    p.add_argument("--config", metavar="PATH", help="repository config (default: .github/nexus.yml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nexus-autofix",
        description="NEXUS AutoFix: classify failed CI jobs, keep one sticky PR report, never lose it.",
        epilog="Run `nexus-autofix COMMAND --help` for a command's options. "
        "Error codes and remedies: docs/error-codes.md",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_classify(sub)
    _add_report(sub)
    _add_command(sub)
    _add_settings(sub)
    return parser


def _run_classify(args: argparse.Namespace, env: Mapping[str, str], out: TextIO) -> int:
    from nexus_action.classify.command import classify_command

    settings = settings_from(env, args.config)
    result = classify_command(
        args.log,
        workflow=args.workflow,
        job=args.job,
        step=args.step,
        changed_files=args.changed_files,
        settings=settings,
        stdin=sys.stdin.buffer,
        redact=args.redact,
        baseline=args.baseline,
    )
    text = json.dumps(result.to_dict(), indent=2) + "\n" if args.json else _summary(result.to_dict())
    if args.redact:
        from nexus_action.report.redact import Redactor

        # classify_log redacted with the patterns and the log's own masks; the token and secrets named in the
        # environment are known here only.
        text = Redactor.for_run(settings.secret_values(), env=env).redact(text)
    out.write(text)
    return EXIT_OK


def _baseline_summary(baseline: dict[str, Any] | None, top: dict[str, Any] | None) -> list[str]:
    if not baseline:
        return []
    if not baseline["used"]:
        return [f"baseline:     not used: {baseline['note']}"]
    new, total = baseline["new_lines"], baseline["lines"]
    share = f" ({100 * new / total:.1f}%)" if total else ""
    top_new = bool(top and top.get("new_since_baseline"))
    lines = [f"baseline:     {new} of {total} lines new{share}; top blocker new since the baseline: {top_new}"]
    for block in baseline["new_blocks"][:5]:
        lines.append(f"  new lines {block['start']}-{block['end']}: {block['text'][:120]}")
    return lines


def _summary(data: dict[str, Any]) -> str:
    lines = [
        f"domain:       {data['domain']}",
        f"agent:        {data['agent']}",
        f"kind:         {data['kind']} ({data['failure_type']})",
        f"confidence:   {data['confidence']:.2f}",
    ]
    top = data.get("top_blocker")
    if top:
        where = f"{top['file']}:{top['line']}" if top.get("file") and top.get("line") else f"log line {top['log_line']}"
        lines.append(f"top blocker:  {where}  (log line {top['log_line']}, step {top.get('step') or '?'})")
        lines.append(f"  {top['text']}")
    else:
        lines.append("top blocker:  none found")
    for ev in data.get("evidence", [])[:6]:
        at = f" @ line {ev['log_line']}" if ev.get("log_line") else ""
        lines.append(f"  because {ev['signal']}/{ev['rule']}: {ev['detail']}{at}")
    lines.extend(_baseline_summary(data.get("baseline"), top))
    return "\n".join(lines) + "\n"


def _run_settings(args: argparse.Namespace, env: Mapping[str, str], out: TextIO) -> int:
    from nexus_action.classify.model import DEFAULT_AGENTS
    from nexus_action.config.settings import OPTIONS

    settings = settings_from(env, args.config)
    for option in OPTIONS:
        value = getattr(settings, option.attr)
        if option.attr == "routing":
            value = {**DEFAULT_AGENTS, **value}  # what routing is in effect: the built-in map under the overrides
        shown = ("***" if value else "(empty)") if option.kind == "secret" else json.dumps(value, default=list)
        source = settings.sources.get(option.attr, "default")
        name = settings.source_names.get(option.attr, "")
        if source == "env" and name and name != option.display_name:
            source = f"env {name}"
        out.write(f"{option.display_name:<34} {shown:<30} [{source}]\n")
    return EXIT_OK


def _run_report(args: argparse.Namespace, env: Mapping[str, str], out: TextIO) -> int:
    from nexus_action.flow import ReportRequest, run_report

    return run_report(ReportRequest.of(args), env, settings_from(env, args.config), out)


def _run_command(args: argparse.Namespace, env: Mapping[str, str], out: TextIO) -> int:
    from nexus_action.commands.handle import run_command

    return run_command(args, env, settings_from(env, args.config), out)


HANDLERS = {
    "classify": _run_classify,
    "report": _run_report,
    "command": _run_command,
    "settings": _run_settings,
}


def _secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """Token and webhook URLs, to scrub from error text (an exception may quote a URL or a header)."""
    try:
        return load_settings(env).secret_values()
    except NexusError:
        # The settings are what failed: fall back to the token under any name it can arrive under.
        return tuple(v for k, v in env.items() if k in env_names_of("github_token") and len(v) >= 8)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    from nexus_action.report.redact import mask_values

    return mask_values(text, secrets)


def _write_traceback(env: Mapping[str, str], secrets: Sequence[str]) -> str:
    folder = Path(env.get("RUNNER_TEMP") or tempfile.gettempdir())
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="nexus-autofix-traceback-", suffix=".txt", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_scrub(traceback.format_exc(), secrets))
        return name
    except OSError:
        return "(could not be written)"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:299] + "…"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run the CLI; returns the exit code. Errors become one clean message, never a bare traceback."""
    env = dict(os.environ) if env is None else env
    args, extra = build_parser().parse_known_args(argv)
    if extra:
        # Complain with the subcommand's own usage (`classify --bogus` shows classify's options, not the top list).
        args.subparser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return HANDLERS[args.command](args, env, sys.stdout)
    except NexusError as err:
        sys.stderr.write(_scrub(err.render(), _secrets(env)) + "\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        # `nexus-autofix classify x.log | head`: the reader left; that is not our error. Point stdout at
        # devnull so the interpreter's final flush does not print a second BrokenPipeError.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        secrets = _secrets(env)
        where = _write_traceback(env, secrets)
        sys.stderr.write(
            f"error NEXUS-INTERNAL: unexpected {type(exc).__name__}: {_scrub(_one_line(exc), secrets)}\n"
            f"  full traceback: {where}\n"
            f"  hint: this is a bug in NEXUS AutoFix; please report it with that file.\n"
        )
        return EXIT_INTERNAL
