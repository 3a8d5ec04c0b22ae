"""A GitHub call that did not succeed, as data: what was called, the status, a kind the chain acts on, and why.

No HTTP library is imported here: the dry run's in-memory GitHub and the code that only reads failures use it.
"""

from __future__ import annotations

from dataclasses import dataclass

# The stable error code each kind of failure is reported under (other kinds: NEXUS-DELIVERY-FAILED).
KIND_CODES = {
    "unauthorized": "NEXUS-TOKEN-FORBIDDEN",
    "forbidden": "NEXUS-TOKEN-FORBIDDEN",
    "rate-limited": "NEXUS-RATE-LIMITED",
    "unavailable": "NEXUS-GITHUB-UNAVAILABLE",
    "log-unavailable": "NEXUS-LOG-UNAVAILABLE",
    "bad-answer": "NEXUS-GITHUB-BAD-ANSWER",
    "deadline": "NEXUS-DEADLINE",
}


@dataclass(frozen=True)
class CallFailure:
    """One GitHub call that did not succeed, as data for the outcome."""

    operation: str
    status: int | None
    # unauthorized | forbidden | locked | rate-limited | unavailable | not-found | too-long | invalid |
    # bad-answer (a body that is not what the endpoint documents) | deadline (the run's network time is up)
    kind: str
    reason: str

    @property
    def code(self) -> str:
        return KIND_CODES.get(self.kind, "NEXUS-DELIVERY-FAILED")


class GitHubCallError(Exception):
    def __init__(self, failure: CallFailure) -> None:
        super().__init__(f"{failure.operation}: {failure.status or 'no answer'} {failure.reason}")
        self.failure = failure
