"""Redaction of every string that leaves the runner, and the safe way to cut one.

`Redactor` masks, with GitHub's own `***`:
- values known to be secret in this run, in every encoded form (`secret_values.value_forms`): the configured
  secrets, values the logs announced with `::add-mask::`, and environment variables named like secrets;
- everything the pattern set (`secret_patterns.yaml`) recognises: token shapes, credential assignments,
  headers, URL credentials, key blocks, base64-wrapped credentials and high-entropy runs.

Order of work, wherever text leaves: redact first, then cut (`Redactor.cut`), and redact again last over each
final text (`Redactor.redact_body` for rendered bodies, `redact_json` for payloads and the hidden state). A cut
never leaves part of a secret behind: the word the cut falls in is dropped, and so is any tail that is the start
of a known secret. `sanitize` = redact then `neutralise` (mentions, references, HTML comments made inert).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from nexus_action.report.neutralise import ZWSP, neutralise
from nexus_action.report.secret_rules import MASK, SecretRule, load_secret_rules, masker
from nexus_action.report.secret_values import announced_masks, env_secrets, usable, value_forms

__all__ = [
    "MASK",
    "ZWSP",
    "Redactor",
    "contains_secret",
    "mask_values",
    "neutralise",
    "redact_secrets",
    "sanitize",
]

ELLIPSIS = "…"
# Our own hidden-state blocks: base64 JSON, redacted as JSON (decoded, redacted, re-encoded), never as text.
_STATE_BLOCK = re.compile(r"<!-- nexus:(?P<kind>[a-z][a-z0-9_-]*) v(?P<version>\d+) (?P<data>[A-Za-z0-9+/=]*) -->")
# Characters tokens are made of: where a cut must step back over when no whitespace is near.
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_.~%:@-]+$")
_LAST_WORD = re.compile(r"\S+$")
# Rendering redacts the same short strings again and again (the size budget re-renders): remember them.
_CACHED_TEXT = 4096
_CACHE_ENTRIES = 8192


class Redactor:
    """Masks known secret values (and their encodings) and everything the pattern set recognises."""

    def __init__(self, values: Iterable[str] = (), *, rules: Sequence[SecretRule] | None = None) -> None:
        self.values = tuple(dict.fromkeys(v for v in values if usable(v)))
        self.rules = tuple(load_secret_rules() if rules is None else rules)
        plain = {f for v in self.values for f in value_forms(v)}
        # Neutralising puts a zero-width space into `@name` and `#12`: a secret holding those is matched in both.
        forms = sorted(plain | {neutralise(f) for f in plain}, key=lambda f: (-len(f), f))
        self._forms = tuple(forms)
        # Longest first, so a secret that contains another is masked whole.
        self._known = re.compile("|".join(re.escape(f) for f in forms)) if forms else None
        regex_rules = [r for r in self.rules if r.detector == "regex"]
        self._regex_only = [(r, masker(r, _identity)) for r in regex_rules]
        self._steps = [(r, masker(r, self._regex_pass)) for r in self.rules]
        self._cache: dict[str, str] = {}
        # Which rules a keyword wakes: one substring test per keyword instead of one per rule and keyword.
        index: dict[str, set[int]] = {}
        for i, rule in enumerate(self.rules):
            for keyword in rule.keywords:
                index.setdefault(keyword, set()).add(i)
        self._keywords = tuple(index.items())
        self._always = frozenset(i for i, rule in enumerate(self.rules) if not rule.keywords)

    @classmethod
    def for_run(
        cls,
        configured: Iterable[str] = (),
        *,
        announced: Iterable[str] = (),
        env: Mapping[str, str] | None = None,
        log_lines: Iterable[str] = (),
    ) -> Redactor:
        """The run's redactor: configured secrets, `::add-mask::` values, and secrets known from `env`."""
        found = [*configured, *announced, *announced_masks(log_lines), *(env_secrets(env) if env else ())]
        return cls(found)

    def with_values(self, values: Iterable[str]) -> Redactor:
        extra = [v for v in values if v not in self.values]
        return self if not extra else Redactor((*self.values, *extra), rules=self.rules)

    # ---- text ---------------------------------------------------------------------------------------------------

    def _regex_pass(self, text: str) -> str:
        lowered = text.lower()
        for rule, replace in self._regex_only:
            changed = _apply(rule, replace, text, lowered)
            if changed is not text:
                text, lowered = changed, changed.lower()
        return text

    def redact(self, text: str) -> str:
        """`text` with every known value and every recognised secret masked. Never makes text longer."""
        if not text:
            return text
        if len(text) > _CACHED_TEXT:
            return self._redact(text)
        done = self._cache.get(text)
        if done is None:
            if len(self._cache) >= _CACHE_ENTRIES:
                self._cache.clear()
            done = self._cache[text] = self._redact(text)
        return done

    def _redact(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(MASK, text)
        lowered = text.lower()
        # Masking only removes text, so the rules woken by the keywords of the original text are enough.
        active = set(self._always)
        for keyword, rules in self._keywords:
            if keyword in lowered:
                active |= rules
        for i, (rule, replace) in enumerate(self._steps):
            if i not in active:
                continue
            changed = _apply(rule, replace, text, lowered)
            if changed is not text:
                text, lowered = changed, changed.lower()
        return self._drop_partials(text) if self._forms and ELLIPSIS in text else text

    def _partial_tail(self, before: str) -> int:
        """How many characters at the end of `before` are the start of a known secret form (0: none)."""
        best = 0
        last = before[-1:] or "\0"
        for form in self._forms:
            for k in range(min(len(form) - 1, len(before)), best, -1):
                if form[k - 1] == last and before.endswith(form[:k]):
                    best = k
                    break
        return best if best >= 3 else 0

    def _drop_partials(self, text: str) -> str:
        """Remove the start of a known secret left in front of a cut's `…` (the cut came before we knew it)."""
        parts = text.split(ELLIPSIS)
        for i in range(len(parts) - 1):
            drop = self._partial_tail(parts[i])
            if drop:
                parts[i] = parts[i][:-drop]
        return ELLIPSIS.join(parts)

    def cut(self, text: str, limit: int) -> str:
        """`text` redacted, then cut to `limit` characters (with `…`) so that no part of a secret is left.

        The word the cut falls in is dropped whole (it may be the start of a secret no rule could see complete),
        and so is any tail that starts a known secret."""
        text = self.redact(text)
        if len(text) <= limit:
            return text
        kept = text[: max(limit - 1, 0)]
        if kept and not kept[-1].isspace() and not text[len(kept)].isspace():
            word = _LAST_WORD.search(kept)
            start = word.start() if word else len(kept)
            if start < len(kept) // 2:
                # One long word (a minified line): step back over token characters only, not the whole line.
                token = _TOKEN_CHARS.search(kept)
                start = token.start() if token else start
            kept = kept[:start]
        drop = self._partial_tail(kept) if self._forms else 0
        kept = kept[: len(kept) - drop] if drop else kept
        return kept.rstrip() + ELLIPSIS

    # ---- structures ---------------------------------------------------------------------------------------------

    def redact_json(self, data: Any) -> Any:
        """A JSON-like structure with every string (keys included) redacted; other values unchanged.

        All strings are first redacted together, one per line (rules work within a line, and a run or a value
        never spans two strings): when that changes nothing, no single string would change either."""
        strings: list[str] = []
        _strings_of(data, strings)
        joined = "\n".join(strings)
        if self.redact(joined) == joined:
            return data
        return self._redact_each(data)

    def _redact_each(self, data: Any) -> Any:
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, Mapping):
            return {self.redact(k) if isinstance(k, str) else k: self._redact_each(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self._redact_each(v) for v in data]
        return data

    def redact_body(self, body: str) -> str:
        """A rendered body (comment, issue, summary): text redacted, hidden-state blocks redacted as JSON."""
        out, at = [], 0
        for match in _STATE_BLOCK.finditer(body):
            out.append(self.redact(body[at : match.start()]))
            out.append(self._redact_block(match))
            at = match.end()
        out.append(self.redact(body[at:]))
        return "".join(out)

    def _redact_block(self, match: re.Match[str]) -> str:
        try:
            data = json.loads(base64.b64decode(match["data"], validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
            return "<!-- nexus:redacted -->"  # not ours to keep: a block we cannot read cannot be proven safe
        clean = self.redact_json(data)
        if clean == data:
            return match.group(0)
        raw = json.dumps(clean, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        encoded = base64.b64encode(raw.encode("ascii")).decode("ascii")
        return f"<!-- nexus:{match['kind']} v{match['version']} {encoded} -->"


def _strings_of(data: Any, out: list[str]) -> None:
    if isinstance(data, str):
        out.append(data)
    elif isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, str):
                out.append(key)
            _strings_of(value, out)
    elif isinstance(data, list | tuple):
        for value in data:
            _strings_of(value, out)


def _apply(rule: SecretRule, replace: Callable[[re.Match[str]], str], text: str, lowered: str) -> str:
    """`rule` applied to `text`: on the lines that hold a keyword only (most text holds none), else whole.

    Returns `text` itself (the same object) when nothing changed."""
    if not rule.keywords or rule.multiline or "\n" not in text:
        if not rule.applies(lowered):
            return text
        changed = rule.pattern.sub(replace, text)
        return text if changed == text else changed
    spans = rule.keyword_lines(lowered)
    if not spans:
        return text
    out, at, same = [], 0, True
    for start, end in spans:
        line = text[start:end]
        new = rule.pattern.sub(replace, line)
        same = same and new == line
        out.append(text[at:start] + new)
        at = end
    return text if same else "".join(out) + text[at:]


def _identity(text: str) -> str:
    return text


@lru_cache(maxsize=64)
def redactor_for(values: tuple[str, ...] = ()) -> Redactor:
    """A Redactor for these values, built once per process (building compiles their forms)."""
    return Redactor(values)


def mask_values(text: str, secrets: Sequence[str]) -> str:
    """Each known secret value (in each of its encoded forms) replaced by `***`; no pattern rules."""
    return Redactor(secrets, rules=()).redact(text)


def redact_secrets(text: str, secrets: Sequence[str] = ()) -> str:
    """Replace credentials with `***`; `secrets` are values known to be secret in this run."""
    return redactor_for(tuple(secrets)).redact(text)


def sanitize(text: str, secrets: Sequence[str] = ()) -> str:
    """Redact secrets, then neutralise: the one call for any untrusted string that leaves the runner."""
    return neutralise(redact_secrets(text, secrets))


def contains_secret(text: str, secrets: Sequence[str] = ()) -> bool:
    """True when `text` still holds something `redact_secrets` would mask (for tests and self-checks)."""
    return redact_secrets(text, secrets) != text
