"""The classification contract: what `classify` returns and what the report, webhooks and commands read.

Field names match `nexus_action/schemas/classification.schema.json` and the `--json` output.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Who owns the fix: one domain per toolchain (docs/classification.md); "unknown" when nothing says.
DOMAINS = (
    "rust",
    "frontend",
    "python",
    "go",
    "jvm",
    "native",
    "ruby",
    "php",
    "elixir",
    "haskell",
    "lua",
    "perl",
    "infra",
    "github",
    "runner",
    "unknown",
)

KINDS = (
    "compile",
    "test",
    "lint",
    "format",
    "typecheck",
    "dependency",
    "permission",
    "workflow_config",
    "docker_build",
    "deploy",
    "network",
    "timeout",
    "oom",
    "snapshot",
    "docs",
    "license",
    "unknown",
)

DEFAULT_AGENTS = {
    "rust": "Rex",
    "frontend": "Blaze",
    "infra": "Bolt",
}
FALLBACK_AGENT = "Atlas"


def agent_for(domain: str, routing: dict[str, str] | None = None) -> str:
    """Domain -> agent: rust -> Rex, frontend -> Blaze, infra -> Bolt, everything else -> Atlas."""
    if routing and domain in routing:
        return routing[domain]
    return DEFAULT_AGENTS.get(domain, FALLBACK_AGENT)


@dataclass(frozen=True)
class Blocker:
    """One error line worth reading, located in the log (1-based, counting \\n only) and, when known, in the source."""

    log_line: int
    text: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    step: str | None = None
    # The block: first and last log line of the head and the detail lines that explain it (the head may follow
    # a banner line that the span keeps as context), and those lines as text with secrets masked.
    span: tuple[int, int] | None = None
    excerpt: str | None = None
    # Compared with a passing log of the same job: True when the passing run never printed this line.
    # None (and left out of the JSON) when there was no comparison.
    new_since_baseline: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        # A blocker read back from an older report state has no block: its dict stays as it was written.
        for key in ("span", "excerpt", "new_since_baseline"):
            if out[key] is None:
                del out[key]
        if self.span:
            out["span"] = list(self.span)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Blocker:
        new = data.get("new_since_baseline")
        return cls(
            log_line=int(data.get("log_line") or 0),
            text=str(data.get("text") or ""),
            file=data.get("file"),
            line=data.get("line"),
            column=data.get("column"),
            step=data.get("step"),
            span=_span(data.get("span")),
            excerpt=data.get("excerpt") if isinstance(data.get("excerpt"), str) else None,
            new_since_baseline=new if isinstance(new, bool) else None,
        )


@dataclass(frozen=True)
class NewBlock:
    """Consecutive lines of a failing log that the passing run never printed (1-based, inclusive)."""

    start: int
    end: int
    step: str | None
    text: str  # the block's first line, cleaned

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NewBlock:
        return cls(
            start=int(data.get("start") or 0),
            end=int(data.get("end") or 0),
            step=data.get("step"),
            text=str(data.get("text") or ""),
        )


@dataclass(frozen=True)
class BaselineSummary:
    """How a failing log compared with a passing log of the same job (`used` False: see `note`)."""

    used: bool
    lines: int = 0
    new_lines: int = 0
    steps_compared: int = 0
    new_blocks: tuple[NewBlock, ...] = ()
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "used": self.used,
            "lines": self.lines,
            "new_lines": self.new_lines,
            "steps_compared": self.steps_compared,
            "new_blocks": [b.to_dict() for b in self.new_blocks],
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BaselineSummary:
        note = data.get("note")
        return cls(
            used=bool(data.get("used")),
            lines=int(data.get("lines") or 0),
            new_lines=int(data.get("new_lines") or 0),
            steps_compared=int(data.get("steps_compared") or 0),
            new_blocks=tuple(NewBlock.from_dict(b) for b in data.get("new_blocks") or () if isinstance(b, dict)),
            note=str(note) if note else None,
        )


def _span(value: Any) -> tuple[int, int] | None:
    if isinstance(value, list | tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    return None


@dataclass(frozen=True)
class Evidence:
    """Why a call was made: which signal fired, which rule, what it saw, and where in the log."""

    signal: str  # workflow | job | step | log | changed_files | annotation | conflict
    rule: str
    detail: str
    log_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            signal=str(data.get("signal") or ""),
            rule=str(data.get("rule") or ""),
            detail=str(data.get("detail") or ""),
            log_line=data.get("log_line"),
        )


@dataclass(frozen=True)
class Classification:
    domain: str = "unknown"
    agent: str = FALLBACK_AGENT
    kind: str = "unknown"
    failure_type: str = "unknown"
    confidence: float = 0.0
    top_blocker: Blocker | None = None
    blockers: tuple[Blocker, ...] = field(default_factory=tuple)
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    # Values the log announced with `::add-mask::`: secrets, so never in `to_dict`, `repr` or comparisons; the
    # report redacts every job's text with every job's values.
    masked_values: tuple[str, ...] = field(default_factory=tuple, repr=False, compare=False)
    # Set when a passing log was given (None: no comparison asked for; left out of the JSON).
    baseline: BaselineSummary | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "domain": self.domain,
            "agent": self.agent,
            "kind": self.kind,
            "failure_type": self.failure_type,
            "confidence": round(self.confidence, 3),
            "top_blocker": self.top_blocker.to_dict() if self.top_blocker else None,
            "blockers": [b.to_dict() for b in self.blockers],
            "evidence": [e.to_dict() for e in self.evidence],
        }
        if self.baseline is not None:
            out["baseline"] = self.baseline.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Classification:
        top = data.get("top_blocker")
        baseline = data.get("baseline")
        return cls(
            domain=str(data.get("domain") or "unknown"),
            agent=str(data.get("agent") or FALLBACK_AGENT),
            kind=str(data.get("kind") or "unknown"),
            failure_type=str(data.get("failure_type") or "unknown"),
            confidence=float(data.get("confidence") or 0.0),
            top_blocker=Blocker.from_dict(top) if isinstance(top, dict) else None,
            blockers=tuple(Blocker.from_dict(b) for b in data.get("blockers") or () if isinstance(b, dict)),
            evidence=tuple(Evidence.from_dict(e) for e in data.get("evidence") or () if isinstance(e, dict)),
            baseline=BaselineSummary.from_dict(baseline) if isinstance(baseline, dict) else None,
        )
