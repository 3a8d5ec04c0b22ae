"""Plain-data builders and an in-memory CommandOps for the command tests (no HTTP, no mocks of our code)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from nexus_action.classify.model import Blocker, Classification, Evidence
from nexus_action.commands.execute import Requester, RunRef
from nexus_action.errors import NexusError
from nexus_action.report.model import FailedJob, Snapshot

HEAD = "a" * 40
NEW_HEAD = "b" * 40
NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=timezone.utc)


def job(name: str, domain: str, agent: str, text: str = "error[E0308]: mismatched types") -> FailedJob:
    top = Blocker(log_line=120, text=text, file="src/lib.rs", line=42, column=7, step="cargo clippy")
    return FailedJob(
        name=name,
        url=f"https://github.com/o/r/actions/runs/99/job/{len(name)}",
        job_id=len(name),
        classification=Classification(
            domain=domain,
            agent=agent,
            kind="lint",
            failure_type="rust_clippy" if domain == "rust" else "eslint",
            confidence=0.9,
            top_blocker=top,
            blockers=(top, Blocker(log_line=130, text="warning: unused import `std::io`", file="src/io.rs", line=3)),
            evidence=(Evidence("log", "rustc-error-code", "error[E0308]", 120),),
        ),
    )


def snapshot(*jobs: FailedJob, head: str = HEAD) -> Snapshot:
    return Snapshot(
        repository="o/r",
        run_id=99,
        run_attempt=1,
        head_sha=head,
        branch="feature",
        created_at="2026-11-21T11:00:00Z",
        jobs=jobs or (job("clippy", "rust", "Rex"), job("web-lint", "frontend", "Blaze")),
        pr_number=7,
        run_url="https://github.com/o/r/actions/runs/99",
        workflow="CI",
    )


def requester(permission: str = "write", *, now: datetime = NOW, comment_id: int = 555) -> Requester:
    return Requester(
        login="octocat",
        permission=permission,
        comment_id=comment_id,
        comment_url=f"https://github.com/o/r/pull/7#issuecomment-{comment_id}",
        pr_number=7,
        pr_url="https://github.com/o/r/pull/7",
        now=now,
    )


@dataclass
class FakeOps:
    """Answers like GitHub would, and remembers every write."""

    head: str = HEAD
    runs: Sequence[RunRef] = (RunRef(99, "CI"),)
    refuse_rerun: frozenset[int] = frozenset()
    refuse_dispatch: bool = False
    reruns: list[int] = field(default_factory=list)
    dispatches: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    head_reads: int = 0

    def head_sha(self, pr_number: int) -> str:
        self.head_reads += 1
        return self.head

    def failed_runs(self, head_sha: str) -> Sequence[RunRef]:
        return list(self.runs) if head_sha == self.head else []

    def rerun_failed_jobs(self, run_id: int) -> None:
        if run_id in self.refuse_rerun:
            raise NexusError("NEXUS-TOKEN-FORBIDDEN", f"POST rerun {run_id} answered 403: Resource not accessible")
        self.reruns.append(run_id)

    def dispatch(self, event_type: str, client_payload: Mapping[str, Any]) -> None:
        if self.refuse_dispatch:
            raise NexusError("NEXUS-COMMAND-REFUSED", "POST /dispatches answered 422: Invalid request")
        self.dispatches.append((event_type, client_payload))
