"""The secret patterns (`secret_patterns.yaml`), loaded, validated and compiled once, and how each one masks.

A rule masks its named groups `secret`, `secret2`, ... (or the whole match when it has none) with `***`. Two
detectors need more than a regular expression, and the rule file only chooses their candidates:
- `base64_wrapped`: a base64 run is decoded; when the decoded text is `user:password` or holds anything the
  regex rules mask, the whole run is a credential (a docker `auth` value, `Basic` credentials, a base64'd token);
- `high_entropy`: a long mixed-alphabet run about as random as a generated key.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from nexus_action.errors import NexusError
from nexus_action.packaged_yaml import load_packaged_yaml

MASK = "***"
DETECTORS = ("regex", "base64_wrapped", "high_entropy")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEYS = frozenset({"id", "family", "regex", "keywords", "ignore_case", "detector", "entropy_margin"})
# Decoded bytes that read as `user:password` (docker `auth`, HTTP Basic): printable, one colon, no spaces.
_USER_PASSWORD = re.compile(r"^[\w.@+~-]{1,128}:[^\s\"{}\[\]]{3,}$")
_PRINTABLE = re.compile(r"^[\x20-\x7e\t\r\n]+$")
_UPPER, _LOWER, _DIGIT = re.compile("[A-Z]"), re.compile("[a-z]"), re.compile("[0-9]")
# A rule that starts with this look-behind has it checked in Python instead: a regex that starts with a literal
# (`ghp_`, `npm_`) lets the engine skip ahead to that literal, and one that starts with a look-behind does not.
LEFT_BOUNDARY = "(?<![A-Za-z0-9])"


@dataclass(frozen=True)
class SecretRule:
    id: str
    family: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...] = ()
    detector: str = "regex"
    entropy_margin: float = 0.45
    groups: tuple[str, ...] = field(default=())
    left_boundary: bool = False  # the match must not follow a letter or digit
    # A rule that can match across lines (a key block) runs on the whole text, not line by line.
    multiline: bool = False

    def applies(self, lowered: str) -> bool:
        return not self.keywords or any(k in lowered for k in self.keywords)

    def keyword_lines(self, lowered: str) -> list[tuple[int, int]]:
        """Start and end of each line of `lowered` that holds one of the keywords, in order, without repeats."""
        spans: set[tuple[int, int]] = set()
        for keyword in self.keywords:
            at = lowered.find(keyword)
            while at >= 0:
                start = lowered.rfind("\n", 0, at) + 1
                end = lowered.find("\n", at)
                end = len(lowered) if end < 0 else end
                spans.add((start, end))
                at = lowered.find(keyword, end)
        return sorted(spans)


def _invalid(where: str, problem: str) -> NexusError:
    return NexusError(
        "NEXUS-CONFIG-INVALID",
        f"secret pattern {where}: {problem}",
        "The pattern file ships with the package: reinstall it, or fix nexus_action/report/secret_patterns.yaml.",
    )


def _rule(raw: Any, index: int, seen: set[str]) -> SecretRule:
    if not isinstance(raw, Mapping):
        raise _invalid(f"#{index}", "each rule must be a mapping")
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID.match(rid) or rid in seen:
        raise _invalid(f"#{index}", f"id must be a unique kebab-case string; got {rid!r}")
    unknown = set(raw) - _KEYS
    if unknown:
        raise _invalid(rid, f"unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    family, regex = raw.get("family"), raw.get("regex")
    if not isinstance(family, str) or not family:
        raise _invalid(rid, "family must be a non-empty string")
    detector = raw.get("detector", "regex")
    if detector not in DETECTORS:
        raise _invalid(rid, f"detector must be one of {', '.join(DETECTORS)}; got {detector!r}")
    keywords = raw.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k == k.lower() and k for k in keywords):
        raise _invalid(rid, "keywords must be a list of non-empty lower-case strings")
    if not isinstance(regex, str) or regex.rstrip(")").endswith(r"\b"):
        # A trailing \b never matches before `_`: `ghp_..._suffix` would slip through.
        raise _invalid(rid, "regex must be a string that does not end on \\b")
    left_boundary = regex.startswith(LEFT_BOUNDARY)
    if left_boundary:
        regex = regex[len(LEFT_BOUNDARY) :]
    try:
        pattern = re.compile(regex, re.IGNORECASE if raw.get("ignore_case") else 0)
    except re.error as exc:
        raise _invalid(rid, f"regex does not compile: {exc}") from None
    groups = tuple(sorted(g for g in pattern.groupindex if g.startswith("secret")))
    margin = raw.get("entropy_margin", 0.45)
    if not isinstance(margin, int | float) or not 0 <= margin <= 2:
        raise _invalid(rid, "entropy_margin must be a number from 0 to 2")
    seen.add(rid)
    multiline = r"[\s\S]" in regex
    return SecretRule(rid, family, pattern, tuple(keywords), detector, float(margin), groups, left_boundary, multiline)


def parse_rules(data: Any) -> tuple[SecretRule, ...]:
    """Validate and compile a parsed pattern file; raise NEXUS-CONFIG-INVALID naming the first bad rule."""
    if not isinstance(data, Mapping) or data.get("version") != 1 or not isinstance(data.get("rules"), list):
        raise _invalid("file", "must be a mapping with `version: 1` and a `rules:` list")
    seen: set[str] = set()
    return tuple(_rule(raw, i, seen) for i, raw in enumerate(data["rules"]))


@cache
def load_secret_rules() -> tuple[SecretRule, ...]:
    """The packaged pattern set, read and compiled once per process."""
    return parse_rules(load_packaged_yaml("nexus_action.report", "secret_patterns.yaml"))


def families(rules: tuple[SecretRule, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(r.family for r in rules))


# ---- masking ---------------------------------------------------------------------------------------------------


def _mask_groups(match: re.Match[str], groups: tuple[str, ...]) -> str:
    whole, start = match.group(0), match.start()
    spans = sorted(match.span(g) for g in groups if match.group(g) is not None)
    if not spans:
        return MASK if not groups else whole
    out, at = [], 0
    for a, b in spans:
        out.append(whole[at : a - start] + MASK)
        at = b - start
    return "".join(out) + whole[at:]


def random_bar(length: int, margin: float) -> float:
    """Entropy (bits/char) a random base64 string of `length` scores, less `margin` (Miller-Madow estimate)."""
    return 6.0 - 63.0 / (2.0 * length * math.log(2)) - margin


def shannon(text: str) -> float:
    counts, n = Counter(text), len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _decoded(run: str) -> str | None:
    raw = run.rstrip("=")
    padded = raw + "=" * (-len(raw) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            text = decode(padded).decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if _PRINTABLE.match(text):
            return text
    return None


def masker(rule: SecretRule, regex_pass: Callable[[str], str]) -> Callable[[re.Match[str]], str]:
    """What replaces one match of `rule`; `regex_pass` is the regex rules alone (for decoded base64)."""
    if rule.detector == "base64_wrapped":

        def wrapped(match: re.Match[str]) -> str:
            decoded = _decoded(match.group(0))
            if decoded and (_USER_PASSWORD.match(decoded) or regex_pass(decoded) != decoded):
                return MASK
            return match.group(0)

        return wrapped
    if rule.detector == "high_entropy":

        def entropic(match: re.Match[str]) -> str:
            run = match.group(0)
            mixed = _UPPER.search(run) and _LOWER.search(run) and _DIGIT.search(run)
            return MASK if mixed and shannon(run) >= random_bar(len(run), rule.entropy_margin) else run

        return entropic
    if rule.left_boundary:

        def bounded(match: re.Match[str]) -> str:
            at = match.start()
            if at and match.string[at - 1].isascii() and match.string[at - 1].isalnum():
                return match.group(0)
            return _mask_groups(match, rule.groups)

        return bounded
    return lambda match: _mask_groups(match, rule.groups)
