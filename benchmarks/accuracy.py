"""Accuracy over the development corpus (../shared/corpus), measured strictly (no slack anywhere).

- top blocker: the share whose top blocker's head line (`log_line`) lies inside a labelled `evidence` range;
- top 3: the share with the head line of any of the first 3 blockers inside one;
- span: the share whose top blocker's span (`span`, else its head line alone) overlaps a labelled range;
- routing: for cases labelled with `domain`, the share whose domain is among the labelled ones;
- kind: for cases labelled with `kind`, the share whose kind is among the labelled ones;
- a per-language table of the same figures.

Usage: python benchmarks/accuracy.py [CORPUS_DIR] [--verbose] [--half a|b]
       python benchmarks/accuracy.py [CORPUS_DIR] --baseline [--verbose]

--verbose prints every case, and for each miss the labelled lines and the lines we picked.
--half a|b keeps one half of the repositories (split by a hash of the repo name, so the cases of one repository
stay together): tune on one half, check on the other.
--baseline runs the comparison with the last green run instead (see baseline_report below).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nexus_action.classify import classify_log  # noqa: E402


def _inside(line: int, ranges: list[list[int]]) -> bool:
    return any(a <= line <= b for a, b in ranges)


def _overlaps(span: tuple[int, int], ranges: list[list[int]]) -> bool:
    return any(span[0] <= b and a <= span[1] for a, b in ranges)


def _half(case: dict[str, Any]) -> str:
    repo = str(case.get("repo") or case.get("id"))
    return "a" if hashlib.sha256(repo.encode()).digest()[0] % 2 == 0 else "b"


def _show(log: Path, ranges: list[list[int]], picked: list[int]) -> None:
    lines = log.read_bytes().split(b"\n")
    for a, b in ranges[:3]:
        for n in range(a, min(b, a + 5) + 1):
            print(f"      want {n:>6}: {_text(lines, n)}")
    for n in picked:
        print(f"      got  {n:>6}: {_text(lines, n)}")


def _text(lines: list[bytes], n: int) -> str:
    raw = lines[n - 1] if 0 < n <= len(lines) else b""
    return raw.decode("utf-8", "replace").replace("\x1b", "^[").replace("\r", "\\r")[:150]


@dataclass
class Tally:
    cases: int = 0
    top: int = 0
    top3: int = 0
    span: int = 0
    routed: int = 0
    routed_of: int = 0
    kinds: int = 0
    kinds_of: int = 0

    def add(self, top: bool, top3: bool, span: bool, route: bool | None, kind: bool | None) -> None:
        self.cases += 1
        self.top += top
        self.top3 += top3
        self.span += span
        if route is not None:
            self.routed_of += 1
            self.routed += route
        if kind is not None:
            self.kinds_of += 1
            self.kinds += kind


@dataclass
class Report:
    overall: Tally = field(default_factory=Tally)
    by_language: dict[str, Tally] = field(default_factory=dict)

    def add(self, language: str, *marks: bool | None) -> None:
        self.overall.add(*marks)  # type: ignore[arg-type]
        self.by_language.setdefault(language, Tally()).add(*marks)  # type: ignore[arg-type]


def _pct(hits: int, total: int) -> str:
    return f"{hits}/{total} = {100 * hits / total:.1f}%" if total else "n/a (none labelled)"


def _cell(hits: int, total: int) -> str:
    return f"{hits}/{total}" if total else "-"


def _print(report: Report, elapsed: float, half: str | None) -> None:
    t = report.overall
    print(f"cases: {t.cases}{f' (half {half})' if half else ''}, {elapsed:.2f} s; strict: no slack on any range")
    print(f"top blocker head line in evidence:       {_pct(t.top, t.cases)}")
    print(f"any of top 3 head lines in evidence:     {_pct(t.top3, t.cases)}")
    print(f"top blocker span overlaps evidence:      {_pct(t.span, t.cases)}")
    print(f"routing (domain among labelled):         {_pct(t.routed, t.routed_of)}")
    print(f"kind (among labelled):                   {_pct(t.kinds, t.kinds_of)}")
    print()
    print(f"| {'language':<13} | cases | {'top':>7} | {'top3':>7} | {'span':>7} | routing | kind |")
    print(f"|{'-' * 15}|-------|---------|---------|---------|---------|------|")
    for language, s in sorted(report.by_language.items()):
        print(
            f"| {language:<13} | {s.cases:>5} | {_cell(s.top, s.cases):>7} | {_cell(s.top3, s.cases):>7} "
            f"| {_cell(s.span, s.cases):>7} | {_cell(s.routed, s.routed_of):>7} | {_cell(s.kinds, s.kinds_of):>4} |"
        )
    short = [lang for lang, s in report.by_language.items() if 3 * s.top < 2 * s.cases]
    print(f"\nlanguages under 2 of 3 on top blocker: {', '.join(sorted(short)) or 'none'}")


def main(argv: list[str]) -> int:
    if "--baseline" in argv:
        return baseline_report(argv)
    verbose = "--verbose" in argv
    half = argv[argv.index("--half") + 1] if "--half" in argv else None
    args = [a for i, a in enumerate(argv) if not a.startswith("--") and not (i and argv[i - 1] == "--half")]
    corpus = Path(args[0]) if args else ROOT.parent / "shared" / "corpus"
    cases = sorted(p.parent for p in corpus.glob("*/*/case.json"))
    if not cases:
        print(f"no cases under {corpus}")
        return 1
    report = Report()
    started = time.perf_counter()
    for case_dir in cases:
        case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
        if half and _half(case) != half:
            continue
        result = classify_log(case_dir / "log.txt", workflow=case.get("workflow"), job=case.get("job"))
        ranges = case.get("evidence") or []
        top = result.top_blocker
        hit = bool(top and _inside(top.log_line, ranges))
        hit3 = any(_inside(b.log_line, ranges) for b in result.blockers[:3])
        span = getattr(top, "span", None) or ((top.log_line, top.log_line) if top else None)
        span_hit = bool(span and _overlaps((int(span[0]), int(span[1])), ranges))
        route_ok = result.domain in case["domain"] if case.get("domain") else None
        kind_ok = result.kind in case["kind"] if case.get("kind") else None
        report.add(str(case.get("language") or "?"), hit, hit3, span_hit, route_ok, kind_ok)
        if verbose or not hit or route_ok is False:
            mark = "ok " if hit else ("top3" if hit3 else "MISS")
            print(
                f"{mark} {case['id'][:60]:<60} domain={result.domain}{'' if route_ok in (None, True) else '(!)'} "
                f"kind={result.kind} top={top.log_line if top else None} span={span} want={ranges[:3]}"
            )
            if verbose and not hit:
                _show(case_dir / "log.txt", ranges, [b.log_line for b in result.blockers[:3]])
    if not report.overall.cases:
        print("no cases in that half")
        return 1
    _print(report, time.perf_counter() - started, half)
    return 0


# ----- --baseline: the comparison with the last green run -------------------------------------------------
# gha/ cases carry pass.log, a passing run of the same job. Scored here, side by side, without and with it:
# - strict top blocker: the top blocker's head line inside a labelled evidence range, with no slack at all;
# - lines shown: the share of the failing log a reader is pointed at, new lines / all lines, against a plain
#   line diff (difflib) of the two logs as published and with GitHub's timestamp prefix stripped first.
_STAMP = re.compile(rb"^\xef\xbb\xbf|^\d{4}-\d\d-\d\dT[\d:.]+Z ?")


def _strict(line: int | None, ranges: list[list[int]]) -> bool:
    return line is not None and any(a <= line <= b for a, b in ranges)


def _diff_shown(passing: list[bytes], failing: list[bytes]) -> int:
    """Lines of the failing log that a plain line diff marks as added or changed."""
    matcher = difflib.SequenceMatcher(None, passing, failing, autojunk=False)
    return sum(j2 - j1 for tag, _i1, _i2, j1, j2 in matcher.get_opcodes() if tag != "equal")


@dataclass
class _Pair:
    """One pass/fail pair scored without and with the baseline."""

    plain_top: int | None
    compared_top: int | None
    plain_hit: bool
    compared_hit: bool
    lines: int
    new: int | None  # None: the baseline was not used
    diff: int
    diff_nostamp: int
    note: str


def _score_pair(case_dir: Path, case: dict[str, Any]) -> _Pair:
    ranges = case.get("evidence") or []
    log, passing = case_dir / "log.txt", case_dir / "pass.log"
    names = {"workflow": case.get("workflow"), "job": case.get("job")}
    plain = classify_log(log, **names)
    compared = classify_log(log, baseline=passing, **names)
    p_top = plain.top_blocker.log_line if plain.top_blocker else None
    c_top = compared.top_blocker.log_line if compared.top_blocker else None
    fail_lines, pass_lines = log.read_bytes().split(b"\n")[:-1], passing.read_bytes().split(b"\n")[:-1]
    unstamped = ([_STAMP.sub(b"", x) for x in pass_lines], [_STAMP.sub(b"", x) for x in fail_lines])
    summary = compared.baseline
    used = summary is not None and summary.used
    return _Pair(
        p_top,
        c_top,
        _strict(p_top, ranges),
        _strict(c_top, ranges),
        len(fail_lines),
        summary.new_lines if summary is not None and used else None,
        _diff_shown(pass_lines, fail_lines),
        _diff_shown(*unstamped),
        "" if used or summary is None else f"  (not compared: {summary.note})",
    )


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / max(whole, 1):.1f}%"


def _print_shares(pairs: list[_Pair]) -> None:
    used = [p for p in pairs if p.new is not None]
    if not used:
        return
    lines = sum(p.lines for p in used)
    new, diff, nostamp = (sum(getattr(p, k) or 0 for p in used) for k in ("new", "diff", "diff_nostamp"))
    med = [
        statistics.median((getattr(p, k) or 0) / max(p.lines, 1) for p in used) for k in ("new", "diff", "diff_nostamp")
    ]
    print(f"lines a reader is shown, over the {len(used)} compared cases (share of the failing log's lines):")
    print(f"  new since green: {_share(new, lines)} (median per case {100 * med[0]:.1f}%)")
    print(f"  plain line diff (difflib), as published: {_share(diff, lines)} (median {100 * med[1]:.1f}%)")
    print(f"  plain line diff, GitHub timestamps stripped: {_share(nostamp, lines)} (median {100 * med[2]:.1f}%)")
    if nostamp:
        print(f"  lines to read cut by {100 * (1 - new / nostamp):.0f}% against the timestamp-stripped diff")


def baseline_report(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    args = [a for a in argv if not a.startswith("--")]
    corpus = Path(args[0]) if args else ROOT.parent / "shared" / "corpus"
    cases = sorted(p.parent for p in corpus.glob("*/*/pass.log"))
    if not cases:
        print(f"no cases with a pass.log under {corpus}")
        return 1
    started = time.perf_counter()
    pairs: list[_Pair] = []
    for case_dir in cases:
        case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
        pair = _score_pair(case_dir, case)
        pairs.append(pair)
        if verbose or pair.plain_hit != pair.compared_hit or not pair.compared_hit:
            marks = {(True, True): "ok  ok ", (False, True): "MISS ok ", (True, False): "ok  MISS"}
            print(
                f"{marks.get((pair.plain_hit, pair.compared_hit), 'MISS MISS')} {case['id'][:55]:<55} "
                f"top {pair.plain_top} -> {pair.compared_top} want {(case.get('evidence') or [])[:3]}; "
                f"new {pair.new if pair.new is not None else '-'} / diff {pair.diff_nostamp} lines{pair.note}"
            )
    n = len(pairs)
    plain_hits, compared_hits = sum(p.plain_hit for p in pairs), sum(p.compared_hit for p in pairs)
    print(
        f"cases with a pass.log: {n} ({sum(p.new is not None for p in pairs)} compared), "
        f"{time.perf_counter() - started:.2f} s"
    )
    print("strict top blocker (head line inside a labelled range, no slack):")
    print(f"  without --baseline: {_share(plain_hits, n)}")
    print(f"  with --baseline:    {_share(compared_hits, n)}")
    print(f"  cases worse with the baseline: {sum(p.plain_hit and not p.compared_hit for p in pairs)}")
    _print_shares(pairs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
