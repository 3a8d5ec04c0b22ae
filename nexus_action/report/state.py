"""Hidden state: the versioned marker block inside our comment / issue, and the ReportState it carries.

The block is `<!-- nexus:<kind> v1 BASE64(JSON) -->`. Base64 has no `-`, `<` or `>`, so no log text, branch
name or forged `-->` can end it early or smuggle a second one in. Reading is tolerant by contract: a missing,
foreign, corrupt or newer-version block gives a fresh start plus a warning, never a crash, because a broken
comment must not stop the report from being delivered.

History entries form a sha256 chain (each entry hashes its content and the previous entry's hash, and the
state keeps the hash of the newest entry). This is tamper *evidence* for edits made by hand or by a
confused tool, not a signature: anyone who can edit the comment can recompute it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from nexus_action.report.document import StateDoc
from nexus_action.report.model import Snapshot, as_int, as_opt_int, as_opt_str, as_str
from nexus_action.report.transition import Streak, Transition

STATE_VERSION = 2  # the newest block version this action reads (the report state is version 2, the dashboard 1)
REPORT_MARKER = "<!-- nexus:report -->"
# Bounds on the lists the slash-command engineer appends to, so the state cannot grow without limit.
COMMAND_LOG_LIMIT = 50
PROCESSED_COMMENTS_LIMIT = 200
FIX_REQUESTS_LIMIT = 50

_BLOCK = re.compile(r"<!-- nexus:(?P<kind>[a-z][a-z0-9_-]*) v(?P<version>\d+) (?P<data>[A-Za-z0-9+/=]*) -->")
GENESIS = "0" * 64


def encode_block(kind: str, data: Mapping[str, Any], version: int = 1) -> str:
    """`<!-- nexus:<kind> v<version> BASE64JSON -->`: compact JSON, keys sorted so equal states encode equal."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", kind):
        raise ValueError(f"marker kind must be lower-case letters, digits, - or _; got {kind!r}")
    raw = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return f"<!-- nexus:{kind} v{version} {base64.b64encode(raw.encode('ascii')).decode('ascii')} -->"


def decode_block(body: str | None, kind: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The data of the `kind` block in `body`, or (None, [why]) when it is missing, corrupt or too new."""
    if not body:
        return None, [f"no nexus:{kind} block found: starting fresh"]
    matches = [m for m in _BLOCK.finditer(body) if m.group("kind") == kind]
    if not matches:
        return None, [f"no nexus:{kind} block found: starting fresh"]
    warnings: list[str] = []
    if len(matches) > 1:
        # Ours is always written last; anything earlier was pasted or forged.
        warnings.append(f"{len(matches)} nexus:{kind} blocks found: using the last one")
    match = matches[-1]
    version = int(match.group("version"))
    if version > STATE_VERSION:
        return None, [
            *warnings,
            f"nexus:{kind} block is version {version}, newer than this action understands ({STATE_VERSION}): "
            "starting fresh (upgrade the action to keep its history)",
        ]
    try:
        data = json.loads(base64.b64decode(match.group("data"), validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        return None, [*warnings, f"nexus:{kind} block is corrupt (not base64 JSON): starting fresh"]
    if not isinstance(data, dict):
        return None, [*warnings, f"nexus:{kind} block holds a {type(data).__name__}, not an object: starting fresh"]
    return data, warnings


def is_report_body(body: str | None) -> bool:
    """True for a comment or issue body written by us (it starts with the report marker)."""
    return bool(body) and body.lstrip().startswith(REPORT_MARKER)  # type: ignore[union-attr]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


@dataclass(frozen=True)
class HistoryEntry:
    """One processed run attempt, as the history table shows it. Text fields are already sanitised."""

    seq: int
    run_id: int | None
    run_attempt: int
    head_sha: str
    at: str
    conclusion: str  # failure | success
    failed_jobs: int
    fingerprints: tuple[str, ...] = ()
    top: str = ""  # "job: failure_type: first words of the top blocker"
    run_url: str | None = None
    workflow: str = ""
    rerun_of: int | None = None  # attempt this one re-runs
    rerun_fixed: bool | None = None  # the re-run went green where the earlier attempt failed: flaky candidate
    stale: bool = False  # arrived for an older head SHA: recorded here only, the latest report was kept
    updates: int = 0  # how many times this same attempt was processed again
    prev_hash: str = GENESIS
    hash: str = ""

    def content(self) -> dict[str, Any]:
        data = self.to_dict()
        data.pop("hash")
        return data

    def sealed(self, prev_hash: str) -> HistoryEntry:
        """This entry chained after `prev_hash`, with its own hash computed."""
        entry = replace(self, prev_hash=prev_hash, hash="")
        raw = json.dumps(entry.content(), sort_keys=True, separators=(",", ":"))
        return replace(entry, hash=hashlib.sha256(raw.encode("utf-8")).hexdigest())

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "run_id": self.run_id,
            "run_attempt": self.run_attempt,
            "head_sha": self.head_sha,
            "at": self.at,
            "conclusion": self.conclusion,
            "failed_jobs": self.failed_jobs,
            "fingerprints": list(self.fingerprints),
            "top": self.top,
            "run_url": self.run_url,
            "workflow": self.workflow,
            "rerun_of": self.rerun_of,
            "rerun_fixed": self.rerun_fixed,
            "stale": self.stale,
            "updates": self.updates,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> HistoryEntry:
        rerun_fixed = d.get("rerun_fixed")
        return cls(
            seq=as_int(d.get("seq")),
            run_id=as_opt_int(d.get("run_id")),
            run_attempt=as_int(d.get("run_attempt"), 1),
            head_sha=as_str(d.get("head_sha")),
            at=as_str(d.get("at")),
            conclusion=as_str(d.get("conclusion")) or "failure",
            failed_jobs=as_int(d.get("failed_jobs")),
            fingerprints=tuple(f for f in d.get("fingerprints") or () if isinstance(f, str)),
            top=as_str(d.get("top")),
            run_url=as_opt_str(d.get("run_url")),
            workflow=as_str(d.get("workflow")),
            rerun_of=as_opt_int(d.get("rerun_of")),
            rerun_fixed=rerun_fixed if isinstance(rerun_fixed, bool) else None,
            stale=d.get("stale") is True,
            updates=as_int(d.get("updates")),
            prev_hash=as_str(d.get("prev_hash")) or GENESIS,
            hash=as_str(d.get("hash")),
        )


def seal_chain(entries: tuple[HistoryEntry, ...], start: int = 0) -> tuple[HistoryEntry, ...]:
    """Re-hash entries from index `start` on, each chained to the one before (the first keeps its anchor)."""
    out = list(entries)
    for i in range(start, len(out)):
        prev = out[i - 1].hash if i > 0 else out[i].prev_hash
        out[i] = out[i].sealed(prev)
    return tuple(out)


def verify_chain(entries: tuple[HistoryEntry, ...], head_hash: str) -> list[str]:
    """Warnings for every entry whose hash or link does not match: an edited or removed entry shows here.

    The oldest kept entry's own link is not checked: older entries are dropped on purpose (history_limit).
    """
    warnings: list[str] = []
    for i, entry in enumerate(entries):
        if entry.sealed(entry.prev_hash).hash != entry.hash:
            warnings.append(f"history entry {entry.seq} (run {entry.run_id}) was edited: its hash does not match")
        if i > 0 and entry.prev_hash != entries[i - 1].hash:
            warnings.append(f"history before entry {entry.seq} was edited or removed: the sha256 chain is broken")
    if entries and head_hash and entries[-1].hash != head_hash:
        warnings.append("the newest history entries were removed: the sha256 chain head does not match")
    return warnings


@dataclass(frozen=True)
class FixRequest:
    fingerprint: str
    agent: str
    at: str
    dispatched: bool

    def to_dict(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "agent": self.agent, "at": self.at, "dispatched": self.dispatched}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FixRequest:
        return cls(
            as_str(d.get("fingerprint")), as_str(d.get("agent")), as_str(d.get("at")), d.get("dispatched") is True
        )


@dataclass(frozen=True)
class CommandRecord:
    at: str
    user: str
    command: str
    result: str

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "user": self.user, "command": self.command, "result": self.result}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CommandRecord:
        return cls(as_str(d.get("at")), as_str(d.get("user")), as_str(d.get("command")), as_str(d.get("result")))


@dataclass(frozen=True)
class ReportState:
    """Everything the sticky report remembers between runs. The comment is rendered from this alone."""

    latest: Snapshot | None = None
    history: tuple[HistoryEntry, ...] = ()
    head_hash: str = ""  # hash of the newest history entry (detects removal of the newest entries)
    next_seq: int = 1
    streak: Streak = field(default_factory=Streak)  # after `latest` was applied
    prior: Streak = field(default_factory=Streak)  # before `latest` was applied: re-processing starts here
    transition: Transition | None = None
    omitted_jobs: int = 0  # failed jobs of `latest` left out to keep the body under GitHub's limit
    integrity_warnings: tuple[str, ...] = ()  # what reading the previous state found wrong; shown in the report
    # Slash-command fields: `/nexus` commands update these, then re-render.
    muted: bool = False
    retries_by_sha: Mapping[str, int] = field(default_factory=dict)
    fix_requests: tuple[FixRequest, ...] = ()
    breaker_open: bool = False
    command_log: tuple[CommandRecord, ...] = ()
    processed_comment_ids: tuple[int, ...] = ()
    # The mergeable document this view was derived from (nexus_action.report.document); what encode() writes.
    doc: StateDoc | None = field(default=None, compare=False, repr=False)

    @property
    def first_failure_at(self) -> str | None:
        """Start of the current red streak, for "since" and time-to-fix (None while green)."""
        return self.streak.first_failure_at

    def bounded(self) -> ReportState:
        """The same state with the append-only lists cut to their limits (newest kept)."""
        return replace(
            self,
            fix_requests=self.fix_requests[-FIX_REQUESTS_LIMIT:],
            command_log=self.command_log[-COMMAND_LOG_LIMIT:],
            processed_comment_ids=self.processed_comment_ids[-PROCESSED_COMMENTS_LIMIT:],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "latest": self.latest.to_dict() if self.latest else None,
            "history": [e.to_dict() for e in self.history],
            "head_hash": self.head_hash,
            "next_seq": self.next_seq,
            "streak": self.streak.to_dict(),
            "prior": self.prior.to_dict(),
            "transition": self.transition.to_dict() if self.transition else None,
            "omitted_jobs": self.omitted_jobs,
            "integrity_warnings": list(self.integrity_warnings),
            "muted": self.muted,
            "retries_by_sha": dict(self.retries_by_sha),
            "fix_requests": [f.to_dict() for f in self.fix_requests],
            "breaker_open": self.breaker_open,
            "command_log": [c.to_dict() for c in self.command_log],
            "processed_comment_ids": list(self.processed_comment_ids),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ReportState:
        latest, transition = d.get("latest"), d.get("transition")
        retries = d.get("retries_by_sha")
        return cls(
            latest=Snapshot.from_dict(latest) if isinstance(latest, dict) else None,
            history=tuple(HistoryEntry.from_dict(e) for e in _dicts(d.get("history"))),
            head_hash=as_str(d.get("head_hash")),
            next_seq=max(1, as_int(d.get("next_seq"), 1)),
            streak=Streak.from_dict(d.get("streak")),
            prior=Streak.from_dict(d.get("prior")),
            transition=Transition.from_dict(transition) if isinstance(transition, dict) else None,
            omitted_jobs=as_int(d.get("omitted_jobs")),
            integrity_warnings=tuple(w for w in d.get("integrity_warnings") or () if isinstance(w, str)),
            muted=d.get("muted") is True,
            retries_by_sha=(
                {k: v for k, v in retries.items() if isinstance(v, int)} if isinstance(retries, dict) else {}
            ),
            fix_requests=tuple(FixRequest.from_dict(f) for f in _dicts(d.get("fix_requests"))),
            breaker_open=d.get("breaker_open") is True,
            command_log=tuple(CommandRecord.from_dict(c) for c in _dicts(d.get("command_log"))),
            processed_comment_ids=tuple(
                i for i in d.get("processed_comment_ids") or () if isinstance(i, int) and not isinstance(i, bool)
            ),
        ).bounded()

    def encode(self) -> str:
        """The version-1 block of this view. A view derived from a document is written as that document
        (`report.derive.encode_state`)."""
        return encode_block("state", self.to_dict())


def read_state(body: str | None) -> tuple[ReportState, list[str]]:
    """The state in an earlier comment or issue body; a fresh state plus warnings when it cannot be trusted.

    Reads the version-1 block only; `nexus_action.report.read_state` (report.derive) reads both versions."""
    data, warnings = decode_block(body, "state")
    if data is None:
        # No previous body is the normal first run, not something to warn about.
        return ReportState(), warnings if body else []
    try:
        state = ReportState.from_dict(data)
    except Exception as exc:  # tolerant by contract: a hand-edited block must never stop the report
        return ReportState(), [*warnings, f"nexus:state block has an unexpected shape ({exc}): starting fresh"]
    chain = verify_chain(state.history, state.head_hash)
    return state, [*warnings, *chain]
