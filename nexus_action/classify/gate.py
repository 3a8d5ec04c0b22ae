"""A cheap gate in front of the log rules: skip every rule whose regex cannot match a line.

Running ~100 regexes on each line read is most of classify's cost once a log holds many lines with an
error-looking word ("0 errors", "thiserror", test names). Almost every rule needs some literal text (`error[E`,
`--> `, `.go:`, `npm `): the gate derives, from each rule's parsed regex, a few substrings of which at least one
must appear in a matching line, and checks those with plain `in` (C speed) before running the regex. A rule whose
regex has no such literal (pure character classes) is always run. The gate never changes what matches.

A log's error-looking lines mostly repeat a few shapes with other numbers ("Tests run: 14, Failures: 0", a
crate's version, a test's index). Most rules cannot tell one digit from another (`\\d+`, `[^\\s:]+`, `.*`): for
those, whether they match is the same for every line that differs only in its digits, so the gate remembers
that answer per shape and runs only the regexes that matched (for their groups) and those that can tell digits
apart (`exit code 1`, `[1-9]`, back-references).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, cast

from nexus_action.classify.rules import Rule
from nexus_action.logs.normalise import TRIGGER_LIMIT


def _stdlib_regex_parser() -> Any:
    """The stdlib's own regex parser: re._parser since Python 3.11, sre_parse before (deprecated there)."""
    try:
        return importlib.import_module("re._parser")
    except ImportError:  # pragma: no cover - Python 3.10
        return importlib.import_module("sre_parse")


sre_parse = _stdlib_regex_parser()

MIN_LITERAL = 3  # shorter literals ("e:", ": ") are in almost every line and gate nothing


def required_literals(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], bool] | None:
    """Substrings one of which every match contains, and whether to look for them in the lower-cased line.

    None when the regex offers no literal of at least MIN_LITERAL characters in every alternative.
    """
    ignore_case = bool(pattern.flags & re.IGNORECASE)
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, RecursionError):  # pragma: no cover - the pattern compiled, so it parses
        return None
    found = _sequence(list(parsed))
    if found is None:
        return None
    return (tuple(sorted({lit.lower() for lit in found})) if ignore_case else tuple(sorted(set(found)))), ignore_case


def _sequence(items: Sequence[tuple[Any, Any]]) -> list[str] | None:
    """Best requirement of a sequence: its longest literal run, or a required group's alternatives."""
    options: list[list[str]] = []
    run: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(av))
            continue
        if _is_digit(op, av):  # the gate masks digits: \\d is the character '#'
            run.append("#")
            continue
        if name == "MAX_REPEAT" and av[0] >= 1 and len(av[2]) == 1 and _is_digit(*av[2][0]):
            run.append("#")  # \\d+: at least one '#', maybe more, so the run ends here and restarts at '#'
            options.append(["".join(run)])
            run = ["#"]
            continue
        if run:
            options.append(["".join(run)])
            run = []
        if name == "SUBPATTERN":
            _group, add_flags, _del_flags, sub = av
            if add_flags & re.IGNORECASE:
                continue  # a case-insensitive part: its literals would need their own lower-casing
            inner = _sequence(list(sub))
            if inner is not None:
                options.append(inner)
        elif name == "BRANCH":
            alternatives: list[str] = []
            for branch in av[1]:
                inner = _sequence(list(branch))
                if inner is None:
                    alternatives = []
                    break
                alternatives.extend(inner)
            if alternatives:
                options.append(alternatives)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = av
            if low >= 1:
                inner = _sequence(list(sub))
                if inner is not None:
                    options.append(inner)
    if run:
        options.append(["".join(run)])
    usable = [o for o in options if o and all(_usable(s) for s in o)]
    if not usable:
        return None
    # The fewer and the longer the alternatives, the more lines the requirement rules out.
    return max(usable, key=lambda o: (min(len(s) for s in o), -len(o)))


_DIGIT_CHARS = frozenset("0123456789")
# Which ASCII digits a class item matches, for the categories a class can hold (re's parsed names).
_CATEGORY_DIGITS = {
    "CATEGORY_DIGIT": _DIGIT_CHARS,
    "CATEGORY_NOT_SPACE": _DIGIT_CHARS,
    "CATEGORY_WORD": _DIGIT_CHARS,
    "CATEGORY_NOT_LINEBREAK": _DIGIT_CHARS,
    "CATEGORY_UNI_DIGIT": _DIGIT_CHARS,
    "CATEGORY_UNI_NOT_SPACE": _DIGIT_CHARS,
    "CATEGORY_UNI_WORD": _DIGIT_CHARS,
    "CATEGORY_UNI_NOT_LINEBREAK": _DIGIT_CHARS,
    "CATEGORY_NOT_DIGIT": frozenset(),
    "CATEGORY_SPACE": frozenset(),
    "CATEGORY_NOT_WORD": frozenset(),
    "CATEGORY_LINEBREAK": frozenset(),
    "CATEGORY_UNI_NOT_DIGIT": frozenset(),
    "CATEGORY_UNI_SPACE": frozenset(),
    "CATEGORY_UNI_NOT_WORD": frozenset(),
    "CATEGORY_UNI_LINEBREAK": frozenset(),
}
# Parsed items that hold no character test of their own: only their sub-patterns matter.
_NESTING = {"SUBPATTERN", "ATOMIC_GROUP", "ASSERT", "ASSERT_NOT", "BRANCH"}
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


def digit_blind(pattern: re.Pattern[str]) -> bool:
    """Whether the regex treats every ASCII digit alike: swapping one digit of a line for another never changes
    whether it matches. Conservative: anything it does not know (back-references, conditionals) is not blind."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, RecursionError):  # pragma: no cover - the pattern compiled, so it parses
        return False
    return _blind(list(parsed))


def _blind(items: Sequence[tuple[Any, Any]]) -> bool:
    for op, av in items:
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL"):
            if chr(av) in _DIGIT_CHARS:
                return False
        elif name == "IN":
            if _class_digits(av) not in (frozenset(), _DIGIT_CHARS):
                return False
        elif name in ("ANY", "AT"):
            continue  # `.` takes any digit; \\b and anchors see every digit as a word character
        elif name in _REPEATS:
            if not _blind(list(av[2])):
                return False
        elif name in _NESTING:
            if not all(_blind(list(sub)) for sub in _nested(name, av)):
                return False
        else:
            return False  # GROUPREF, GROUPREF_EXISTS, or anything newer: assume it can tell digits apart
    return True


def _nested(name: str, av: Any) -> list[Any]:
    if name == "SUBPATTERN":
        return [av[3]]
    if name == "BRANCH":
        return list(av[1])
    if name in ("ASSERT", "ASSERT_NOT"):
        return [av[1]]
    return [av]  # ATOMIC_GROUP


def _class_digits(items: Any) -> frozenset[str]:
    """The ASCII digits a character class matches."""
    found: set[str] = set()
    negate = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            found.update(_DIGIT_CHARS & {chr(av)})
        elif name == "RANGE":
            found.update(d for d in _DIGIT_CHARS if av[0] <= ord(d) <= av[1])
        elif name == "CATEGORY":
            category = _CATEGORY_DIGITS.get(str(av))
            if category is None:
                return frozenset("0")  # a category not known here: neither all nor none, so not blind
            found.update(category)
        else:
            return frozenset("0")
    return _DIGIT_CHARS - found if negate else frozenset(found)


def _is_digit(op: Any, av: Any) -> bool:
    """Whether a parsed item is \\d (a class holding only the digit category)."""
    return str(op) == "IN" and len(av) == 1 and str(av[0][0]) == "CATEGORY" and str(av[0][1]) == "CATEGORY_DIGIT"


def _usable(literal: str) -> bool:
    """Long enough to rule lines out: 3 characters, or any non-ASCII mark (✖, ✗, │)."""
    return len(literal.strip("#")) >= 1 and (len(literal) >= MIN_LITERAL or not literal.isascii())


_DIGITS = re.compile(r"\d")
_ASCII_DIGITS_MASKED = bytes.maketrans(b"0123456789", b"##########")
_ASCII_DIGITS_ZEROED = bytes.maketrans(b"123456789", b"000000000")
MEMO_SIZE = 4096
# The scanner inspects up to a chunk's TRIGGER_LIMIT lines before the engine reads them: keep all of them.
INSPECTED_SIZE = 2 * TRIGGER_LIMIT


class Gate:
    """The rules of a rule set, with each rule's literals: `candidates(text)` lists the rules worth running.

    Digits are masked in both the literals and the line (so `exit code 137` gates on `exit code ###`): the
    gate may let a few more rules through, never fewer, and the lines of one shape ("Tests run: 14, Failures:
    0, ...") share one memoised answer.
    """

    def __init__(self, rules: tuple[Rule, ...], literals: dict[tuple[str, bool], set[int]], always: set[int]):
        self.rules = rules
        self.case_literals = tuple((lit, frozenset(ix)) for (lit, lower), ix in literals.items() if not lower)
        self.lower_literals = tuple((lit, frozenset(ix)) for (lit, lower), ix in literals.items() if lower)
        self.always = frozenset(always)
        # Rules whose match makes a blocker or places one: a line matching one is worth reading around.
        self.blocking = frozenset(r.id for r in rules if r.priority is not None or r.role != "signal")
        self._memo: dict[str | bytes, tuple[Rule, ...]] = {}
        # Rules that treat every digit alike (digit_blind). Per digit-blind key (digit_blind_key): the gate's
        # candidates, and those of them to run on another line of that key: the digit-blind ones that matched
        # the first such line (for their groups), and every one that can tell digits apart.
        self.blind = frozenset(r.id for r in rules if r.pattern is not None and digit_blind(r.pattern))
        self._plans: dict[bytes, tuple[tuple[Rule, ...], tuple[Rule, ...]]] = {}
        # The scanner asks about a trigger line before the engine reads it: the answers are kept a moment.
        self._inspected: dict[str, tuple[tuple[Rule, ...], dict[str, re.Match[str]]]] = {}

    def inspect(self, text: str) -> tuple[tuple[Rule, ...], dict[str, re.Match[str]]]:
        """The rules the gate lets through for `text`, and rule id -> match for those of them that match."""
        found = self._inspected.get(text)
        if found is None:
            key = digit_blind_key(text)
            plan = self._plans.get(key)
            matched = {}
            if plan is None:
                rules = self.candidates(text)  # the same for every line of the key: digits are masked in both
                for rule in rules:
                    if rule.pattern is not None and (match := rule.pattern.search(text)):
                        matched[rule.id] = match
                searched = tuple(
                    r for r in rules if r.pattern is not None and (r.id in matched or r.id not in self.blind)
                )
                if len(self._plans) >= MEMO_SIZE:
                    self._plans.clear()
                self._plans[key] = (rules, searched)
            else:
                rules, searched = plan
                for rule in searched:
                    if match := cast("re.Pattern[str]", rule.pattern).search(text):
                        matched[rule.id] = match
            if len(self._inspected) >= INSPECTED_SIZE:
                self._inspected.clear()
            self._inspected[text] = found = (rules, matched)
        return found

    def is_blocking(self, text: str) -> bool:
        """Whether `text` matches a rule that makes blockers or places them."""
        matched = self.inspect(text)[1]
        return bool(matched) and not self.blocking.isdisjoint(matched)

    def candidates(self, text: str) -> tuple[Rule, ...]:
        key = shape_key(text)
        found = self._memo.get(key)
        if found is not None:
            return found
        shape = key.decode("ascii") if isinstance(key, bytes) else key
        hit = set(self.always)
        for lit, ix in self.case_literals:
            if lit in shape:
                hit |= ix
        low = shape.lower()
        for lit, ix in self.lower_literals:
            if lit in low:
                hit |= ix
        found = tuple(self.rules[i] for i in sorted(hit))
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()
        self._memo[key] = found
        return found


def shape_key(text: str) -> str | bytes:
    """`text` with its digits masked as "#": bytes for ASCII text (translate is ~6x faster than re.sub)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_DIGITS_MASKED)
    return _DIGITS.sub("#", text)  # \d also masks the other scripts' digits, as the gate's literals expect


def digit_blind_key(text: str) -> bytes:
    """`text`, UTF-8 encoded, with every ASCII digit made "0": lines of one key match the same digit-blind rules.
    Only ASCII digits, because a class like [0-9] tells them from other scripts' digits; UTF-8 writes no other
    character with the bytes of an ASCII digit, and encoding then translating bytes is ~15x faster than
    str.translate on a non-ASCII line."""
    return text.encode("utf-8", "surrogatepass").translate(_ASCII_DIGITS_ZEROED)


def gate_literals(rules: tuple[Rule, ...]) -> tuple[dict[tuple[str, bool], set[int]], set[int]]:
    """Each rule's required literals (digits masked) -> the rules needing them; and the rules always run."""
    literals: dict[tuple[str, bool], set[int]] = {}
    always: set[int] = set()
    for i, rule in enumerate(rules):
        found = required_literals(rule.pattern) if rule.pattern is not None else None
        if found is None:
            always.add(i)  # annotation rules, and regexes without a usable literal
            continue
        lits, lower = found
        for lit in lits:
            literals.setdefault((_DIGITS.sub("#", lit), lower), set()).add(i)
    return literals, always


@lru_cache(maxsize=8)
def build_gate(rules: tuple[Rule, ...]) -> Gate:
    """The gate for a rule set (cached: the built-in rules are the same for every log)."""
    return Gate(rules, *gate_literals(rules))
