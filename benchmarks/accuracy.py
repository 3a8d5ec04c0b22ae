"""Accuracy over the development corpus (../shared/corpus), measured strictly (no slack anywhere).

- top blocker: the share whose top blocker's head line (`log_line`) lies inside a labelled `evidence` range;
- top 3: the share with the head line of any of the first 3 blockers inside one;
- span: the share whose top blocker's span (`span`, else its head line alone) overlaps a labelled range;
- routing: for cases labelled with `domain`, the share whose domain is among the labelled ones;
- kind: for cases labelled with `kind`, the share whose kind is among the labelled ones;
- a per-language table of the same figures.

Usage: python benchmarks/accuracy.py [CORPUS_DIR] [--verbose] [--half a|b]

--verbose prints every case, and for each miss the labelled lines and the lines we picked.
--half a|b keeps one half of the repositories (split by a hash of the repo name, so the cases of one repository
stay together): tune on one half, check on the other.
"""

from __future__ import annotations

import hashlib
import json
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


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
