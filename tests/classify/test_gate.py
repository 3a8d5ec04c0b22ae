"""The rule gate only skips rules that cannot match: checked line by line on every committed log excerpt."""

from __future__ import annotations

import re
from pathlib import Path

from nexus_action.classify.gate import build_gate, required_literals
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
