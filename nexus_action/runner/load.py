"""The RunContext of one invocation: the event file and GITHUB_* variables, with command-line flags on top.

The CLI turns its arguments into `RunFlags`; everything past the CLI takes the flags, never argparse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nexus_action.errors import NexusError
from nexus_action.runner.context import RunContext, guess_event_name, load_event, parse_context, with_overrides


@dataclass(frozen=True)
class RunFlags:
    """What the user said on the command line about the run (None: not said, take it from the event)."""

    event: str | None = None
    event_name: str | None = None
    repo: str | None = None
    run_id: int | None = None
    run_attempt: int | None = None
    sha: str | None = None
    pr: int | None = None

    @classmethod
    def of(cls, parsed: Any) -> RunFlags:
        """The flags out of parsed arguments (any object with some of these attributes)."""
        return cls(**{name: getattr(parsed, name, None) for name in cls.__dataclass_fields__})


def load_run_context(flags: RunFlags, env: Mapping[str, str]) -> RunContext:
    """The event file (`--event`, else GITHUB_EVENT_PATH) parsed as its event, with the flags laid on top.

    With `--event` on a laptop the event name is guessed from the payload unless `--event-name` says it.
    """
    payload = load_event(flags.event or env.get("GITHUB_EVENT_PATH", "").strip() or None)
    name = flags.event_name or ""
    if not name and flags.event:
        name = guess_event_name(payload) or ""
    name = name or env.get("GITHUB_EVENT_NAME", "").strip()
    if not name:
        raise NexusError(
            "NEXUS-EVENT-INVALID",
            f"cannot tell which event {flags.event!r} is from; pass --event-name",
            "Pass --event-name (for example workflow_run or pull_request).",
        )
    return run_context_from(flags, env, name, payload)


def report_context(flags: RunFlags, env: Mapping[str, str]) -> RunContext:
    """Like `load_run_context`, but with no event file a minimal payload is made from the flags.

    `--pr` gives a pull_request event, else workflow_dispatch: a laptop run needs only `--repo` and `--log`.
    """
    if flags.event or env.get("GITHUB_EVENT_PATH", "").strip():
        return load_run_context(flags, env)
    repo = flags.repo or env.get("GITHUB_REPOSITORY", "")
    payload: dict[str, Any] = {"repository": {"full_name": repo}} if repo else {}
    name = "workflow_dispatch"
    if flags.pr is not None:
        payload["pull_request"] = {"number": flags.pr, "head": {"sha": flags.sha or ""}}
        name = "pull_request"
    return run_context_from(flags, env, flags.event_name or env.get("GITHUB_EVENT_NAME") or name, payload)


def run_context_from(flags: RunFlags, env: Mapping[str, str], name: str, payload: Mapping[str, Any]) -> RunContext:
    """Parse `payload` as event `name`, then lay the flags (--repo, --sha, --pr, ...) on top."""
    overlay = {**env, "GITHUB_EVENT_NAME": name}
    if flags.repo:
        overlay["GITHUB_REPOSITORY"] = flags.repo
    context = parse_context(overlay, payload)
    return with_overrides(
        context,
        sha=flags.sha,
        pr=flags.pr,
        run_id=flags.run_id,
        run_attempt=flags.run_attempt,
        repository=flags.repo,
    )
