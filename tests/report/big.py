"""Oversized inputs for the size-budget tests: many jobs, a long history, a 10,000-line log's worth of text."""

from __future__ import annotations

from nexus_action.classify.model import Blocker, Classification
from nexus_action.report.model import FailedJob
from nexus_action.report.state import REPORT_MARKER, HistoryEntry, ReportState, seal_chain

DOMAINS = (("rust", "Rex", "rust_clippy"), ("frontend", "Blaze", "tsc"), ("python", "Atlas", "pytest"))


def many_jobs(n: int, text_len: int = 300) -> tuple[FailedJob, ...]:
    jobs = []
    for i in range(n):
        domain, agent, ft = DOMAINS[i % 3]
        top = Blocker(
            log_line=1000 + i,
            text=f"error[E{i:04d}]: job {i} failed | " + "x" * text_len,
            file=f"src/mod_{i}.rs",
            line=i + 1,
        )
        extra = tuple(Blocker(log_line=2000 + k, text=f"note {k}: " + "y" * text_len) for k in range(5))
        jobs.append(
            FailedJob(
                name=f"matrix-job-{i:03d}",
                classification=Classification(domain, agent, "lint", ft, 0.5 + (i % 10) / 100, top, (top, *extra)),
                job_id=50_000 + i,
                step_number=3,
            )
        )
    return tuple(jobs)


def big_history_body(n: int) -> str:
    entries = tuple(
        HistoryEntry(
            seq=i + 1,
            run_id=1000 + i,
            run_attempt=1,
            head_sha=f"{i:040x}",
            at=f"2026-10-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            conclusion="failure",
            failed_jobs=3,
            fingerprints=("a" * 16, "b" * 16, "c" * 16),
            top=f"build: compile: error number {i} " + "z" * 100,
            run_url=f"https://github.com/octo-org/octo-repo/actions/runs/{1000 + i}",
            workflow="CI",
        )
        for i in range(n)
    )
    sealed = seal_chain(entries)
    state = ReportState(history=sealed, head_hash=sealed[-1].hash, next_seq=n + 1)
    return f"{REPORT_MARKER}\nold report\n\n{state.encode()}\n"


def ten_thousand_line_text() -> str:
    return "\n".join(f"{i:05d} error: line {i} of a very long log ``` with fences" for i in range(10_000))
