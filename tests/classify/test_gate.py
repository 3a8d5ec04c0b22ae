"""The rule gate only skips rules that cannot match: checked line by line on every committed log excerpt."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nexus_action.classify.gate import Gate, build_gate, digit_blind, gate_literals, required_literals
from nexus_action.classify.rules import load_rules
from nexus_action.logs.normalise import clean_text

LOGS = Path(__file__).parent.parent / "data" / "logs"


def test_required_literals_come_from_every_alternative() -> None:
    # Digits are masked in the gate, so \d is the character "#".
    assert required_literals(re.compile(r"^error\[E\d{4}\]: (?P<message>.+)")) == (("error[E#",), False)
    assert required_literals(re.compile(r"Bad credentials|HttpError: (401|403)")) == (
        ("Bad credentials", "HttpError: "),
        False,
    )
    assert required_literals(re.compile(r"(?i)no space left")) == (("no space left",), True)
    # One alternative without a usable literal: the rule must always run.
    assert required_literals(re.compile(r"^[a-z]+$|Killed")) is None
    assert required_literals(re.compile(r"^\d+:\d+|Killed")) == (("#:#", "Killed"), False)


def test_gate_never_hides_a_matching_rule_on_the_committed_logs() -> None:
    rules = load_rules().log_rules
    gate = build_gate(rules)
    checked = 0
    for path in sorted(LOGS.glob("*.log")):
        for raw in path.read_bytes().split(b"\n"):
            text = clean_text(raw)
            allowed = {r.id for r in gate.candidates(text)}
            for rule in rules:
                if rule.pattern is not None and rule.pattern.search(text):
                    assert rule.id in allowed, (path.name, rule.id, text)
                    checked += 1
    assert checked > 150  # the excerpts exercise the rules, so the check is not vacuous


def test_digits_are_masked_in_literals_and_lines_alike() -> None:
    rules = load_rules().log_rules
    gate = build_gate(rules)
    ids = {r.id for r in gate.candidates("Error: Process completed with exit code 137.")}
    assert "runner.exit_137" in ids
    ids = {r.id for r in gate.candidates("Compiling serde v1.0.1")}
    assert "runner.exit_137" not in ids
    assert "rust.rustc_error" not in ids


def test_digit_blind_tells_which_regexes_cannot_tell_digits_apart() -> None:
    blind = [r"error\[E\d{4}\]", r"^(?P<file>[^\s:]+):(?P<line>\d+)", r".*failed", r"[0-9a-f]{7,}", r"\bat \w+\b"]
    for pattern in blind:
        assert digit_blind(re.compile(pattern)), pattern
    telling = [r"exit code 137", r"[1-9]\d* failed", r"[^0]", r"(\d)\1", r"(a)?(?(1)b|c)", r"code 40[13]\b"]
    for pattern in telling:
        assert not digit_blind(re.compile(pattern)), pattern


def _rotated(text: str, by: int) -> str:
    return "".join(str((int(c) + by) % 10) if c in "0123456789" else c for c in text)


def test_remembered_verdicts_never_change_what_matches() -> None:
    """Lines that differ only in their digits share a remembered verdict for the digit-blind rules: every line of
    the committed logs, and each with its digits shifted (`exit code 137` -> `exit code 248`), must get exactly
    the matches a plain run of every rule gives."""
    rules = load_rules().log_rules
    gate = Gate(rules, *gate_literals(rules))  # a fresh gate: nothing remembered from other tests
    checked = 0
    for path in sorted(LOGS.glob("*.log")):
        for raw in path.read_bytes().split(b"\n"):
            text = clean_text(raw)
            for variant in (text, *(_rotated(text, by) for by in (1, 3, 7) if any(c.isdigit() for c in text))):
                expected = {r.id for r in rules if r.pattern is not None and r.pattern.search(variant)}
                assert set(gate.inspect(variant)[1]) == expected, (path.name, variant)
                checked += bool(expected)
    assert checked > 150


_SHARED_GATE: dict[str, Gate] = {}


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["exit code ", "error[E", "]: ", "Tests run: ", ", Failures: ", "FAIL", " tests failed out of ", "x", "#"]
        )
        | st.integers(min_value=0, max_value=999).map(str)
        | st.sampled_from(["137", "0", "1", "401", "403", "101"]),  # numbers some rules single out
        max_size=8,
    )
)
def test_remembered_verdicts_match_a_plain_run_on_generated_lines(parts: list[str]) -> None:
    rules = load_rules().log_rules
    if "gate" not in _SHARED_GATE:
        _SHARED_GATE["gate"] = Gate(rules, *gate_literals(rules))  # remembers across examples
    gate = _SHARED_GATE["gate"]
    text = "".join(parts)
    for variant in (_rotated(text, 5), text, _rotated(text, 9)):
        expected = {r.id for r in rules if r.pattern is not None and r.pattern.search(variant)}
        assert set(gate.inspect(variant)[1]) == expected, variant
