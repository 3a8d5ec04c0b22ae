"""The one user-facing error type, and the table of stable error codes.

Every problem a user can fix gets a `NexusError` with a stable code, a message that names the bad
input and a hint that says what would be accepted. `cli.py` maps codes to exit codes in one place.
The table below is the source of `docs/error-codes.md` (a test keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    code: str
    exit_code: int
    meaning: str
    remedy: str


# Exit codes: 2 = bad input or configuration, 3 = GitHub refused or failed, 4 = a log could not be read,
# 5 = nothing could be delivered, 70 = internal error (EX_SOFTWARE).
ERROR_CODES: dict[str, ErrorCode] = {
    c.code: c
    for c in (
        ErrorCode(
            "NEXUS-CONFIG-INVALID",
            2,
            "A setting (action input, AUTOFIX_* variable or .github/nexus.yml key) has a value that is not allowed.",
            "Fix the named setting; the message lists the accepted values.",
        ),
        ErrorCode(
            "NEXUS-INPUT-INVALID",
            2,
            "A command-line argument or input file is missing, unreadable or malformed.",
            "Check the path and format named in the message.",
        ),
        ErrorCode(
            "NEXUS-EVENT-UNSUPPORTED",
            2,
            "The workflow was triggered by an event NEXUS AutoFix does not handle.",
            "Run the action on workflow_run, workflow_job, check_run, check_suite, pull_request, "
            "pull_request_target, push, issue_comment, workflow_dispatch or schedule (repository_dispatch is "
            "accepted only so that the action's own fix dispatch ends quietly).",
        ),
        ErrorCode(
            "NEXUS-EVENT-INVALID",
            2,
            "The event payload file (GITHUB_EVENT_PATH) is missing, is not JSON, or lacks required fields.",
            "Run inside GitHub Actions, or pass --event with a real webhook payload.",
        ),
        ErrorCode(
            "NEXUS-LOG-PATH-OUTSIDE",
            2,
            "A log-path entry (or a symlink inside a log-path folder) resolves outside the workspace "
            "(GITHUB_WORKSPACE) and the runner's temp folder (RUNNER_TEMP).",
            "Point log-path inside the workspace or RUNNER_TEMP, or set `allow-outside-logs: true` if reading "
            "that file is intended.",
        ),
        ErrorCode(
            "NEXUS-TOKEN-MISSING",
            2,
            "No GitHub token was given, so nothing can be read from or written to GitHub.",
            "Pass `github-token: ${{ github.token }}` (the default) or set GITHUB_TOKEN.",
        ),
        ErrorCode(
            "NEXUS-TOKEN-FORBIDDEN",
            3,
            "GitHub answered 401 or a permission 403: the token is invalid or lacks a scope.",
            "Grant the workflow `permissions:` listed in docs/operator-runbook.md (pull-requests: write, "
            "issues: write, actions: read, checks: read).",
        ),
        ErrorCode(
            "NEXUS-RATE-LIMITED",
            3,
            "GitHub's primary or secondary rate limit was hit and the wait would exceed the configured cap.",
            "Raise max-wait, lower the number of reporting jobs, or let the fallback channel deliver.",
        ),
        ErrorCode(
            "NEXUS-GITHUB-UNAVAILABLE",
            3,
            "GitHub answered 5xx, timed out or reset the connection after the bounded retries.",
            "Usually transient: re-run the job. The report is in the step summary meanwhile.",
        ),
        ErrorCode(
            "NEXUS-GITHUB-BAD-ANSWER",
            3,
            "GitHub answered with a body that is not what the endpoint documents (not JSON, empty, or a field of "
            "the wrong type, such as a non-numeric id).",
            "Usually a proxy or an outage page in front of the API: re-run the job. The report is in the step "
            "summary meanwhile, and the next channel was tried.",
        ),
        ErrorCode(
            "NEXUS-DEADLINE",
            3,
            "The run's network deadline passed (all GitHub calls, retries, rate-limit waits, downloads and the "
            "webhook share it), so the remaining channels were skipped.",
            "The report is in the step summary. Raise `deadline` (AUTOFIX_DEADLINE_SECONDS) if GitHub is slow "
            "rather than failing.",
        ),
        ErrorCode(
            "NEXUS-LOG-UNAVAILABLE",
            4,
            "A job log could not be downloaded (404 while the job is still running, or expired).",
            "Run the reporting job after the failing jobs finish (needs: + if: always()), or pass log-path.",
        ),
        ErrorCode(
            "NEXUS-DELIVERY-FAILED",
            5,
            "No channel (comment, issue, webhook) accepted the report.",
            "Read the step summary for each attempt's status; fix the token or webhook it names.",
        ),
        ErrorCode(
            "NEXUS-WEBHOOK-REJECTED",
            5,
            "A webhook receiver answered with a final 4xx (for example Slack's invalid_blocks).",
            "Check the webhook URL and format; the receiver's answer is in the message.",
        ),
        ErrorCode(
            "NEXUS-COMMAND-REFUSED",
            3,
            "A slash command was refused (permission, bot sender, circuit breaker or stale head).",
            "Ask someone with the configured permission, or `/nexus reset` as an admin.",
        ),
        ErrorCode(
            "NEXUS-OUTPUT-FAILED",
            2,
            "A step output, the step summary or a report file could not be written (unwritable GITHUB_OUTPUT, "
            "GITHUB_STEP_SUMMARY or --out folder, a bad output name, or a value holding the random delimiter).",
            "Check that the named file or folder is writable; a value with the delimiter means injected text: re-run.",
        ),
        ErrorCode(
            "NEXUS-INTERNAL",
            70,
            "An unexpected error inside NEXUS AutoFix.",
            "Report it with the traceback file named in the message.",
        ),
    )
}


class NexusError(Exception):
    """A problem the user can act on: a stable code, what went wrong, and what would fix it."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown NEXUS error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint or ERROR_CODES[code].remedy

    @property
    def exit_code(self) -> int:
        return ERROR_CODES[self.code].exit_code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def render(self) -> str:
        """One line for the user, plus the hint on a second line."""
        return f"error {self.code}: {self.message}\n  hint: {self.hint}"


def config_error(name: str, value: object, accepted: str) -> NexusError:
    """The standard shape of a bad-setting error: names the setting, the bad value and what is accepted."""
    return NexusError(
        "NEXUS-CONFIG-INVALID",
        f"{name} must be {accepted}; got {value!r}",
        f"Set {name} to {accepted}.",
    )


EXIT_CODE_MEANINGS = {
    0: "success (a report was delivered, or there was nothing to report)",
    2: "bad input or configuration (also argparse usage errors)",
    3: "GitHub refused or failed",
    4: "a log could not be read",
    5: "nothing could be delivered",
    70: "internal error: a bug in NEXUS AutoFix (the traceback file is named on stderr)",
    130: "interrupted (Ctrl-C)",
}


def error_codes_markdown() -> str:
    """docs/error-codes.md, generated from ERROR_CODES by scripts/generate_error_codes.py."""
    lines = [
        "# Error codes",
        "",
        "<!-- Generated from nexus_action/errors.py by `python scripts/generate_error_codes.py`;",
        "     tests/test_errors.py fails when this file and the table differ. Edit the table, not this file. -->",
        "",
        "Every problem NEXUS AutoFix reports has a stable code. The command line prints it as",
        "`error NEXUS-...: what went wrong` followed by `hint: what would fix it`, and exits with the code's",
        "exit code. With `fail-on-error: false` (the default) the action still reports the problem in the step",
        "summary but does not turn your workflow red on its own account.",
        "",
        "| Exit code | Meaning |",
        "| --- | --- |",
        *(f"| {code} | {meaning} |" for code, meaning in EXIT_CODE_MEANINGS.items()),
        "",
    ]
    for entry in ERROR_CODES.values():
        lines += [
            f"## {entry.code}",
            "",
            f"- **Exit code:** {entry.exit_code}",
            f"- **Meaning:** {entry.meaning}",
            f"- **Remedy:** {entry.remedy}",
            "",
        ]
    return "\n".join(lines)
