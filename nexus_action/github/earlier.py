"""The PR's earlier report, read before this run's report is built: the green run it was compared with comes
from its hidden state, so a re-report does not look the green run up again.

It is read by listing the PR's comments, the listing delivery makes anyway to find the sticky comment; delivery
then starts from this listing instead of making its own (`threads.converge(listed=...)`). It is read only when a
failed job is about to be compared with the last green run, so a run with nothing to compare reads nothing early.
A dry run reads it the same way, through the recording GitHub that answers from `--previous`.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexus_action.github.failure import CallFailure, GitHubCallError
from nexus_action.github.port import RestApi
from nexus_action.github.post import Post
from nexus_action.github.threads import IsReport, StickyComment
from nexus_action.report.derive import green_runs
from nexus_action.report.model import GreenRun
from nexus_action.report.state import is_report_body

# Failures that may be gone by the time delivery lists the comments again: GitHub or the network stumbled, or
# answered something unreadable. The others (the token, the PR, the rate limit, the deadline) would be met
# again at once, or after another wait that the fallback issue and the webhook need more.
WORTH_LISTING_AGAIN = frozenset({"unavailable", "bad-answer"})


@dataclass(frozen=True)
class EarlierListing:
    """Our report comments on one PR as listed before gathering (oldest first), or why they could not be."""

    pr_number: int
    posts: tuple[Post, ...] = ()
    failure: CallFailure | None = None

    @property
    def stands(self) -> bool:
        """Whether delivery takes this listing (or its failure) as its own first read of the comments."""
        return self.failure is None or self.failure.kind not in WORTH_LISTING_AGAIN


class EarlierReport:
    """Reads the PR's sticky comment once, for the green run it was compared with and for delivery."""

    def __init__(self, api: RestApi, repository: str, *, bot_login: str, is_report: IsReport = is_report_body) -> None:
        self.api, self.repository, self.bot_login, self.is_report = api, repository, bot_login, is_report
        self.listing: EarlierListing | None = None

    def green_runs(self, pr_number: int) -> tuple[GreenRun, ...]:
        """The green runs the PR's report was compared with, newest first; none when the PR has no report of ours
        or its comments could not be listed (the green run is then looked up, and delivery goes on as ever).

        Calls: GET /repos/{owner}/{repo}/issues/{issue_number}/comments (paginated), once per PR
        """
        if self.listing is None or self.listing.pr_number != pr_number:
            sticky = StickyComment(self.api, self.repository, pr_number, self.bot_login, self.is_report)
            try:
                self.listing = EarlierListing(pr_number, tuple(sticky.find_all()))
            except GitHubCallError as err:
                self.listing = EarlierListing(pr_number, failure=err.failure)
        return green_runs(post.body for post in self.listing.posts)

    def listing_for(self, pr_number: int | None) -> EarlierListing | None:
        """The listing made for this PR, when delivery may start from it (None: delivery lists the comments)."""
        listing = self.listing
        if listing is None or listing.pr_number != pr_number or not listing.stands:
            return None
        return listing
