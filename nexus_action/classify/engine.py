"""Signals -> Classification: domain, agent, kind, failure_type, confidence, blockers and evidence.

Every rule that fires is a signal with a weight (its vote for a domain). The rule behind the top blocker votes
again with extra weight, because the line a person should read first says most about who must fix it.
Runner and GitHub rules carry heavy weights: an OOM kill in a Rust job is still the runner's problem.
When the runner-up domain is close, the evidence says so (signal "conflict") instead of choosing silently.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from nexus_action.classify.blockers import BlockerList, groups_of, make_candidate
from nexus_action.classify.blocks import Candidate
from nexus_action.classify.gate import Gate
from nexus_action.classify.model import Classification, Evidence, agent_for
from nexus_action.classify.passing import PASSING_LINE, PassingTracker
from nexus_action.classify.prefixes import unprefixed
from nexus_action.classify.rules import Rule, RuleSet
from nexus_action.logs.normalise import LogLine, int_or_none

TOP_BLOCKER_BONUS = 4.0
CONFLICT_RATIO = 0.6
MAX_EVIDENCE = 12
LOCATION_BEFORE_REACH = 3  # Python prints `File "x.py", line N` a line or two above the exception
# Errors inside the failing step (GitHub) or the failing command (Travis) outrank errors in steps that went on
# to succeed: a generic line there beats a generic line elsewhere, a specific rule elsewhere still wins.
FAILING_SECTION_BONUS = 40
WERROR_REACH = 40  # a -Werror line promotes a warning at most this many lines above it
FILE_HEADER_REACH = 200
MAX_FAILING_SECTIONS = 64
# The output line just before a failing exit is the best guess when no rule knows the tool.
LAST_OUTPUT = Rule(id="generic.last_output", domain="any", matcher="log", weight=0, priority=4)
# A line the tool printed in red that no rule knows: above the exit lines, below every known error format.
RED_LINE = Rule(id="generic.red_line", domain="any", matcher="log", weight=0, priority=3)
# "Elapsed time: 14.2 sec.", "Done in 3.21s.", "Finished in 2 seconds": a run's closing timing line.
_TIMING = re.compile(
    r"^\s*(?:elapsed(?: time)?|total time|time|finished in|done in|took|duration)\b[\s:=]*"
    r"\d[\d.:]*\s*(?:s|sec|secs|seconds|ms|m|min|mins|minutes|h)?\.?\s*$",
    re.IGNORECASE,
)
# The file a blocker names says which toolchain reported it: one more vote, shown as its own evidence.
BLOCKER_PATH_WEIGHT = 3.0
PATH_DOMAINS = {
    ".rs": "rust",
    ".go": "go",
    ".py": "python",
    ".pyi": "python",
    ".java": "jvm",
    ".kt": "jvm",
    ".kts": "jvm",
    ".scala": "jvm",
    ".groovy": "jvm",
    ".ts": "frontend",
    ".tsx": "frontend",
    ".js": "frontend",
    ".jsx": "frontend",
    ".mjs": "frontend",
    ".cjs": "frontend",
    ".vue": "frontend",
    ".c": "native",
    ".cc": "native",
    ".cpp": "native",
    ".cxx": "native",
    ".h": "native",
    ".hpp": "native",
    ".tf": "infra",
}
_NOISE = re.compile(r"^\s*$|^travis_(time|fold)|^##\[|^\[command\]|^shell: |^env:|^\s+[A-Z_]+: |^Post job cleanup")


@dataclass
class Signals:
    """What fired, accumulated while the log streams past (bounded: one entry per rule)."""

    first_hit: dict[str, Evidence] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    blockers: BlockerList = field(default_factory=BlockerList)
    last_location: tuple[int, re.Match[str]] | None = None
    # ESLint / yamllint "stylish" output names the file once, above its `line:col  error  message` rows.
    file_header: tuple[int, str] | None = None
    # Failing sections: from the start of the failing step (or after the last command that exited 0)
    # to the failing exit line. Errors there outrank errors in steps that went on to succeed.
    section_start: int = 1
    current_step: str | None = None
    failing_sections: list[tuple[int, int]] = field(default_factory=list)
    recent: deque[LogLine] = field(default_factory=lambda: deque(maxlen=6))
    last_candidate_line: int = 0
    # Compiler warnings seen lately; a `-Werror` line makes the first of them (since the last one) the blocker.
    warnings: deque[tuple[LogLine, re.Match[str]]] = field(default_factory=lambda: deque(maxlen=16))
    last_werror: int = 0
    passing: PassingTracker = field(default_factory=PassingTracker)

    def fire(self, rule: Rule, signal: str, detail: str, log_line: int | None = None) -> None:
        self.hits[rule.id] = self.hits.get(rule.id, 0) + 1
        if rule.id not in self.first_hit:
            self.first_hit[rule.id] = Evidence(signal=signal, rule=rule.id, detail=detail, log_line=log_line)


def _matching(gate: Gate, line: LogLine) -> Iterator[tuple[Rule, re.Match[str] | None]]:
    rules, matched = gate.inspect(line.text)
    for rule in rules:
        if rule.matcher == "annotation":
            if line.annotation == rule.annotation:
                yield rule, None
        elif rule.id in matched:
            yield rule, matched[rule.id]


def feed_line(signals: Signals, gate: Gate, line: LogLine) -> None:
    """Run the log rules a Gate lets through on one normalised line."""
    if line.step != signals.current_step:
        signals.current_step, signals.section_start = line.step, line.number
    passing = _passing(signals, line)
    if not gate.inspect(line.text)[1] and line.annotation is None:
        inner = unprefixed(line.text)  # a workspace runner's prefix hides the tool's own words
        if inner is not None and PASSING_LINE.search(inner) is not None:
            passing = True
        if inner is None or not gate.inspect(inner)[1]:
            if not passing:
                _unknown_line(signals, line)  # most lines read: no rule matched, and no annotation rule can fire
            return
        line = line._replace(text=inner)
    best: tuple[Rule, re.Match[str] | None] | None = None
    for rule, match in _matching(gate, line):
        if rule.role == "exit_ok":
            signals.section_start = line.number + 1
            continue
        if rule.role == "exit_fail" and not line.in_header:
            _add_section(signals.failing_sections, signals.section_start, line.number)
            _last_output(signals, line)
        if rule.role == "warning" and match is not None:
            if not line.in_header:
                signals.warnings.append((line, match))
            continue
        if rule.role == "werror" and not line.in_header and _promote_warning(signals, rule, line):
            continue
        if rule.role == "file_header" and match is not None:
            if not line.in_header:
                signals.file_header = (line.number, groups_of(match).get("file") or "")
            continue
        if rule.role == "location" and match is not None:
            if not line.in_header:
                signals.blockers.attach_location(line.number, match)
                signals.last_location = (line.number, match)
            continue
        if (line.in_header or passing) and rule.priority is not None:
            continue  # the step's script echoed in its ##[group] header is not its output
        if rule.weight or rule.matcher == "annotation":
            signals.fire(rule, _signal_of(rule), line.text.strip(), line.number)
        if rule.priority is not None and _better(rule, best[0] if best else None):
            best = (rule, match)
    if best is not None and not best[0].weight:
        # A rule with no domain vote is evidence only when it made this line's blocker (no generic echoes).
        signals.fire(best[0], _signal_of(best[0]), line.text.strip(), line.number)
    if best is None:
        if not passing:
            _unknown_line(signals, line)
        return
    _add_candidate(signals, line, best[0], best[1])


def _add_candidate(signals: Signals, line: LogLine, rule: Rule, match: re.Match[str] | None) -> None:
    """The line's best rule makes it a candidate; a file named just above (rustc's `-->`, a file header) is
    where it happened when the line itself names none."""
    candidate = make_candidate(line, rule, match)
    if candidate.blocker.file is None and signals.last_location is not None:
        at, where = signals.last_location
        if 0 < line.number - at <= LOCATION_BEFORE_REACH:
            found = groups_of(where)
            located = replace(
                candidate.blocker, file=found.get("file"), line=int_or_none(found.get("line")), column=None
            )
            candidate = replace(candidate, blocker=located)
    header = signals.file_header
    blocker = candidate.blocker
    if (
        blocker.file is None
        and blocker.line is not None
        and header
        and 0 < line.number - header[0] <= FILE_HEADER_REACH
    ):
        candidate = replace(candidate, blocker=replace(blocker, file=header[1]))
    signals.blockers.add(candidate, line)
    signals.last_candidate_line = line.number


def _passing(signals: Signals, line: LogLine) -> bool:
    """Grow the open blocks; whether `line` is a passing test's (its output is output, never a blocker)."""
    blockers, passing = signals.blockers, signals.passing
    if blockers.blocks.open:
        blockers.feed(line)
    ended = passing.feed(line)
    if ended:
        blockers.discard(ended, line.step)
    return passing.owns(line)


def _add_section(sections: list[tuple[int, int]], start: int, end: int) -> None:
    """Record a failing section, merged with the last one when they overlap or touch (the same lines are inside
    either way): a log of failing exits, one per line, keeps one section, not one per line. Beyond
    MAX_FAILING_SECTIONS disjoint ones, the oldest go: they only lift blockers, and the failure is usually last."""
    if sections and start <= sections[-1][1] + 1:
        sections[-1] = (min(start, sections[-1][0]), max(end, sections[-1][1]))
        return
    sections.append((start, end))
    if len(sections) > MAX_FAILING_SECTIONS:
        del sections[0]


def _unknown_line(signals: Signals, line: LogLine) -> None:
    """A line no rule knows: a red one is a weak blocker; any other output may explain a failing exit below."""
    if line.in_header or _NOISE.search(line.text):
        return
    if line.red:
        signals.blockers.add(make_candidate(line, RED_LINE, None), line)
        signals.last_candidate_line = line.number
    else:
        signals.recent.append(line)


def error_line_test(gate: Gate) -> Callable[[str], bool]:
    """For the scanner: does a line match a rule that makes blockers or places them (worth reading around)?
    A runner's prefixed line counts by what follows its prefix."""

    def is_error_line(text: str) -> bool:
        if gate.is_blocking(text):
            return True
        inner = unprefixed(text)
        return inner is not None and gate.is_blocking(inner)

    return is_error_line


def _signal_of(rule: Rule) -> str:
    return "annotation" if rule.matcher == "annotation" else "log"


def _promote_warning(signals: Signals, rule: Rule, line: LogLine) -> bool:
    """`Failing due to -Werror`: the first warning above (since the previous such line) is what failed."""
    for warned, match in signals.warnings:
        if warned.number > signals.last_werror and 0 < line.number - warned.number <= WERROR_REACH:
            signals.fire(rule, "log", warned.text.strip(), warned.number)
            signals.blockers.add(make_candidate(warned, rule, match))
            signals.last_werror = line.number
            return True
    signals.last_werror = line.number
    return False


def _better(rule: Rule, current: Rule | None) -> bool:
    """A specific log rule beats the bare-annotation fallback; otherwise the higher priority wins."""
    if current is None:
        return True
    if (rule.matcher == "annotation") != (current.matcher == "annotation"):
        return current.matcher == "annotation"
    return (rule.priority or 0) > (current.priority or 0)


def _last_output(signals: Signals, exit_line: LogLine) -> None:
    if not signals.recent:
        return
    previous = signals.recent[-1]
    if _TIMING.match(previous.text):
        return  # the tool ended with how long it took: its last line says nothing about the failure
    # Only when no known error line sits between that output and the exit: it is a fallback.
    if 0 < exit_line.number - previous.number <= 6 and previous.number > signals.last_candidate_line:
        signals.blockers.add(make_candidate(previous, LAST_OUTPUT, None))


def _name_signals(
    signals: Signals, rules: tuple[Rule, ...], names: Mapping[str, str | None], changed_files: list[str]
) -> None:
    for rule in rules:
        if rule.matcher in ("workflow", "job", "step") and rule.pattern is not None:
            value = names.get(rule.matcher)
            if value and rule.pattern.search(value):
                signals.fire(rule, rule.matcher, f"{rule.matcher} name {value!r}")
        elif rule.matcher == "files" and changed_files:
            path = rule.matches_files(changed_files)
            if path:
                signals.fire(rule, "changed_files", f"changed file {path}")


def _scores(signals: Signals, rules_by_id: Mapping[str, Rule], top: Candidate | None) -> dict[str, float]:
    scores: dict[str, float] = {}
    for rule_id, count in signals.hits.items():
        rule = rules_by_id[rule_id]
        if rule.domain in ("any", "unknown") or not rule.weight:
            continue
        # Repeats add a little (a log full of clippy errors is surer than one), never unboundedly.
        scores[rule.domain] = scores.get(rule.domain, 0.0) + rule.weight * (1 + 0.25 * min(count - 1, 4))
    if top is not None and top.rule.domain not in ("any", "unknown"):
        scores[top.rule.domain] = scores.get(top.rule.domain, 0.0) + TOP_BLOCKER_BONUS + top.rule.weight
    return scores


def decide(
    signals: Signals,
    ruleset: RuleSet,
    *,
    workflow: str | None,
    job: str | None,
    step: str | None,
    changed_files: Iterable[str],
    routing: Mapping[str, str] | None,
) -> Classification:
    ranked = signals.blockers.ranked(signals.failing_sections, FAILING_SECTION_BONUS)
    top = ranked[0] if ranked else None
    failing_step = step or (top.blocker.step if top else None)
    _name_signals(
        signals,
        ruleset.rules,
        {"workflow": workflow, "job": job, "step": failing_step},
        [f for f in changed_files if f],
    )
    rules_by_id = {r.id: r for r in ruleset.rules}
    scores = _scores(signals, rules_by_id, top)
    path_vote = _blocker_path_vote(top)
    if path_vote is not None:
        voted = path_vote.rule.split(":", 1)[1]
        scores[voted] = scores.get(voted, 0.0) + BLOCKER_PATH_WEIGHT
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    domain = ordered[0][0] if ordered else "unknown"
    kind, failure_type = _kind_of(signals, rules_by_id, top, domain)
    evidence = _evidence(signals, rules_by_id, top, domain)
    if path_vote is not None:
        evidence.insert(1 if evidence else 0, path_vote)
    total = sum(scores.values())
    confidence = 0.0
    if ordered:
        best = ordered[0][1]
        confidence = (best / total) * (1 - math.exp(-best / 6))
        if top is None or top.rule.domain == "any":
            confidence *= 0.8
        if len(ordered) > 1 and ordered[1][1] >= CONFLICT_RATIO * best:
            second, second_score = ordered[1]
            evidence.insert(
                0,
                Evidence(
                    signal="conflict",
                    rule="engine.domain_vote",
                    detail=f"signals disagree: {domain} scored {best:.1f}, {second} {second_score:.1f}; chose {domain}",
                ),
            )
    return Classification(
        domain=domain,
        agent=agent_for(domain, dict(routing) if routing else None),
        kind=kind,
        failure_type=failure_type,
        confidence=max(0.0, min(1.0, confidence)),
        top_blocker=top.blocker if top else None,
        blockers=tuple(c.blocker for c in ranked),
        evidence=tuple(evidence[:MAX_EVIDENCE]),
    )


def _blocker_path_vote(top: Candidate | None) -> Evidence | None:
    """The top blocker's file extension as a domain vote (`blocker_path:<domain>`), when it names one."""
    if top is None or not top.blocker.file:
        return None
    path = top.blocker.file
    name = path.rsplit("/", 1)[-1]
    ext = name[name.rfind(".") :].lower() if "." in name else ""
    domain = PATH_DOMAINS.get(ext)
    if domain is None:
        return None
    return Evidence("blocker_path", f"blocker_path:{domain}", f"top blocker is in {path}", top.blocker.log_line)


def _kind_of(signals: Signals, rules_by_id: Mapping[str, Rule], top: Candidate | None, domain: str) -> tuple[str, str]:
    if top is not None and top.rule.kind and top.rule.domain in (domain, "any"):
        return top.rule.kind, top.rule.failure_type or top.rule.kind
    # Otherwise the heaviest fired rule of the chosen domain that names a kind.
    fired = [rules_by_id[rid] for rid in signals.hits]
    named = [r for r in fired if r.kind and r.domain == domain]
    if named:
        rule = max(named, key=lambda r: (r.weight, r.priority or 0))
        return rule.kind or "unknown", rule.failure_type or rule.kind or "unknown"
    if top is not None and top.rule.kind:
        return top.rule.kind, top.rule.failure_type or top.rule.kind
    return "unknown", "unknown"


def _evidence(signals: Signals, rules_by_id: Mapping[str, Rule], top: Candidate | None, domain: str) -> list[Evidence]:
    items = list(signals.first_hit.values())
    top_id = top.rule.id if top else None

    def rank(ev: Evidence) -> tuple[int, float, int]:
        rule = rules_by_id[ev.rule]
        return (0 if ev.rule == top_id else 1 if rule.domain == domain else 2, -rule.weight, ev.log_line or 0)

    items.sort(key=rank)
    if top is not None and top_id is not None:
        first = signals.first_hit.get(top_id)
        if first is not None and first.log_line != top.blocker.log_line:
            items.insert(0, Evidence("log", top_id, f"top blocker: {top.blocker.text}", top.blocker.log_line))
    return items
