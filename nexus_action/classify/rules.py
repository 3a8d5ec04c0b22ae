"""The routing matrix: load classify/rules.yaml, merge the user's rules, check every rule, compile the regexes.

The checks mirror nexus_action/schemas/rules.schema.json but are written by hand: importing the classifier must
not import jsonschema (DESIGN: classify is the CLI's hot path). A test validates rules.yaml with jsonschema too,
so the two cannot drift apart silently.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from nexus_action.classify.model import DOMAINS, KINDS
from nexus_action.errors import NexusError
from nexus_action.packaged_yaml import load_packaged_yaml

# A rule may vote for any domain, or match whatever the domain ("any").
RULE_DOMAINS = (*DOMAINS, "any")
MATCHERS = ("log", "workflow", "job", "step", "files", "annotation")
ROLES = ("signal", "location", "file_header", "exit_fail", "exit_ok", "warning", "werror", "wrapper", "banner")
ALLOWED_KEYS = frozenset({"id", "domain", "kind", "failure_type", "weight", "priority", "role", "needles", *MATCHERS})
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_LITERAL_RUN = re.compile(r"[a-z][a-z !'-]{2,}")


@dataclass(frozen=True)
class Rule:
    id: str
    domain: str
    matcher: str  # one of MATCHERS
    weight: float
    kind: str | None = None
    failure_type: str | None = None
    priority: int | None = None  # set: matching log lines are blockers of this rank
    role: str = "signal"
    pattern: re.Pattern[str] | None = None
    globs: tuple[str, ...] = ()
    annotation: str | None = None

    def matches_files(self, files: Iterable[str]) -> str | None:
        for path in files:
            name = path.rsplit("/", 1)[-1]
            if any(fnmatch.fnmatchcase(path, g) or fnmatch.fnmatchcase(name, g) for g in self.globs):
                return path
        return None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    needles: tuple[bytes, ...]

    @property
    def log_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.matcher in ("log", "annotation"))


def _invalid(where: str, problem: str) -> NexusError:
    return NexusError(
        "NEXUS-CONFIG-INVALID",
        f"{where}: {problem}",
        "See docs/configuration.md (rules) and nexus_action/schemas/rules.schema.json for the rule format.",
    )


def _check_rule(raw: Any, where: str) -> dict[str, Any]:
    """Check one rule mapping; the message names the rule and the field, and lists what is accepted."""
    if not isinstance(raw, Mapping):
        raise _invalid(where, f"a rule must be a mapping, got {type(raw).__name__}")
    rule = dict(raw)
    unknown = sorted(set(rule) - ALLOWED_KEYS)
    if unknown:
        raise _invalid(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(ALLOWED_KEYS))}")
    rid = rule.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        raise _invalid(where, f"id must be lower-case letters, digits, '.', '_' or '-'; got {rid!r}")
    where = f"{where} ({rid})"
    if rule.get("domain") not in RULE_DOMAINS:
        raise _invalid(where, f"domain must be one of {', '.join(RULE_DOMAINS)}; got {rule.get('domain')!r}")
    present = [m for m in MATCHERS if m in rule]
    if len(present) != 1:
        raise _invalid(where, f"needs exactly one of {', '.join(MATCHERS)}; got {present or 'none'}")
    if "kind" in rule and rule["kind"] not in KINDS:
        raise _invalid(where, f"kind must be one of {', '.join(KINDS)}; got {rule['kind']!r}")
    if "failure_type" in rule and not (isinstance(rule["failure_type"], str) and rule["failure_type"]):
        raise _invalid(where, "failure_type must be a non-empty string")
    weight = rule.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 100:
        raise _invalid(where, f"weight must be a number from 0 to 100; got {weight!r}")
    priority = rule.get("priority")
    if priority is not None and (
        isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 100
    ):
        raise _invalid(where, f"priority must be a whole number from 0 to 100; got {priority!r}")
    if rule.get("role", "signal") not in ROLES:
        raise _invalid(where, f"role must be one of {', '.join(ROLES)}; got {rule.get('role')!r}")
    matcher = present[0]
    if matcher == "files":
        globs = rule["files"]
        if not isinstance(globs, list) or not globs or not all(isinstance(g, str) and g for g in globs):
            raise _invalid(where, "files must be a non-empty list of glob strings")
    elif matcher == "annotation":
        if rule["annotation"] not in ("error", "warning", "notice"):
            raise _invalid(where, f"annotation must be error, warning or notice; got {rule['annotation']!r}")
    else:
        if not isinstance(rule[matcher], str) or not rule[matcher]:
            raise _invalid(where, f"{matcher} must be a non-empty regular expression string")
        try:
            re.compile(rule[matcher])
        except re.error as exc:
            raise _invalid(where, f"{matcher} is not a valid regular expression: {exc}") from None
    needles = rule.get("needles", [])
    if not isinstance(needles, list) or not all(isinstance(n, str) and len(n) >= 2 for n in needles):
        raise _invalid(where, "needles must be a list of substrings of at least 2 characters")
    return rule


def _compile(rule: Mapping[str, Any]) -> Rule:
    matcher = next(m for m in MATCHERS if m in rule)
    pattern = re.compile(rule[matcher]) if matcher in ("log", "workflow", "job", "step") else None
    return Rule(
        id=rule["id"],
        domain=rule["domain"],
        matcher=matcher,
        weight=float(rule.get("weight", 1)),
        kind=rule.get("kind"),
        failure_type=rule.get("failure_type"),
        priority=rule.get("priority"),
        role=rule.get("role", "signal"),
        pattern=pattern,
        globs=tuple(rule.get("files") or ()),
        annotation=rule.get("annotation"),
    )


def _derived_needles(rule: Mapping[str, Any], base: tuple[bytes, ...]) -> list[bytes]:
    """Needles for a user log rule: its own, else the longest literal run of its regex, when base ones miss it."""
    if rule.get("needles"):
        return [n.lower().encode() for n in rule["needles"]]
    if "log" not in rule:
        return []
    literal = re.sub(r"\\.|\(\?[^)]*\)|[\^$.*+?()\[\]{}|]", " ", rule["log"].lower())
    runs = sorted(_LITERAL_RUN.findall(literal), key=len, reverse=True)
    if any(n.decode() in runs[0] for n in base) if runs else False:
        return []
    return [runs[0].strip().encode()] if runs and len(runs[0].strip()) >= 3 else []


@lru_cache(maxsize=1)
def builtin_document() -> dict[str, Any]:
    """rules.yaml as parsed data (parsed once per process)."""
    data = load_packaged_yaml("nexus_action.classify", "rules.yaml")
    if not isinstance(data, dict) or data.get("version") != 1:
        raise _invalid("nexus_action/classify/rules.yaml", "expected a mapping with version: 1")
    return data


@lru_cache(maxsize=1)
def _builtin_rules() -> tuple[tuple[str, ...], dict[str, Rule], tuple[bytes, ...]]:
    """rules.yaml checked and compiled once per process: its ids in order, each id's Rule, its needles."""
    data = builtin_document()
    rules = tuple(_check_rule(r, f"rules.yaml rules[{i}]") for i, r in enumerate(data.get("rules") or []))
    by_id = {r["id"]: r for r in rules}
    compiled = {rid: _compile(rule) for rid, rule in by_id.items()}
    needles = tuple(str(n).lower().encode() for n in data.get("needles") or ())
    return tuple(r["id"] for r in rules), compiled, needles


def load_rules(extra_rules: Iterable[Mapping[str, Any]] = ()) -> RuleSet:
    """Built-in rules, with the user's rules from .github/nexus.yml added (a repeated id replaces the built-in)."""
    builtin_order, builtin, needles = _builtin_rules()
    by_id = dict(builtin)  # the cached Rules, shared; a user rule with the same id replaces its entry here
    order = list(builtin_order)
    extra_needles: list[bytes] = []
    for i, raw in enumerate(extra_rules):
        rule = _check_rule(raw, f"config file rules[{i}]")
        if rule["id"] not in by_id:
            order.insert(0, rule["id"])  # user rules first: they win ties
        by_id[rule["id"]] = _compile(rule)
        extra_needles.extend(_derived_needles(rule, needles))
    compiled = tuple(by_id[rid] for rid in order)
    return RuleSet(rules=compiled, needles=tuple(dict.fromkeys((*needles, *extra_needles))))
