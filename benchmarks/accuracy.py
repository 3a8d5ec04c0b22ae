"""Accuracy over the development corpus (../shared/corpus): routing and top-blocker hit rates.

- routing: for gha/ cases, the share whose domain is among the labelled `domain` values;
- top blocker: for all cases, the share whose top blocker's log_line falls in a labelled `evidence` range
  (2 lines of slack), and the share with any of the first 3 blockers inside one.

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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nexus_action.classify import classify_log  # noqa: E402

SLACK = 2


def _inside(line: int, ranges: list[list[int]]) -> bool:
    return any(a - SLACK <= line <= b + SLACK for a, b in ranges)


def _half(case: dict[str, object]) -> str:
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


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    half = argv[argv.index("--half") + 1] if "--half" in argv else None
    args = [a for i, a in enumerate(argv) if not a.startswith("--") and not (i and argv[i - 1] == "--half")]
    corpus = Path(args[0]) if args else ROOT.parent / "shared" / "corpus"
    cases = sorted(p.parent for p in corpus.glob("*/*/case.json"))
    if not cases:
        print(f"no cases under {corpus}")
        return 1
    routed = routed_total = top_hits = top3_hits = counted = 0
    started = time.perf_counter()
    for case_dir in cases:
        case = json.loads((case_dir / "case.json").read_text(encoding="utf-8"))
        if half and _half(case) != half:
            continue
        counted += 1
        result = classify_log(case_dir / "log.txt", workflow=case.get("workflow"), job=case.get("job"))
        ranges = case.get("evidence") or []
        top = result.top_blocker
        hit = bool(top and _inside(top.log_line, ranges))
        hit3 = any(_inside(b.log_line, ranges) for b in result.blockers[:3])
        top_hits += hit
        top3_hits += hit3
        route_ok = None
        if case.get("domain"):
            routed_total += 1
            route_ok = result.domain in case["domain"]
            routed += route_ok
        if verbose or not hit or route_ok is False:
            mark = "ok " if hit else ("top3" if hit3 else "MISS")
            print(
                f"{mark} {case['id'][:60]:<60} domain={result.domain}{'' if route_ok in (None, True) else '(!)'} "
                f"kind={result.kind} top={top.log_line if top else None} want={ranges[:3]}"
            )
            if verbose and not hit:
                _show(case_dir / "log.txt", ranges, [b.log_line for b in result.blockers[:3]])
    elapsed = time.perf_counter() - started
    n = counted
    if not n:
        print("no cases in that half")
        return 1
    print(f"cases: {n}{f' (half {half})' if half else ''} ({routed_total} with a labelled domain), {elapsed:.2f} s")
    if routed_total:
        print(f"routing (gha domain among labelled): {routed}/{routed_total} = {100 * routed / routed_total:.1f}%")
    print(f"top blocker in evidence (+-{SLACK} lines): {top_hits}/{n} = {100 * top_hits / n:.1f}%")
    print(f"any of top 3 blockers in evidence:     {top3_hits}/{n} = {100 * top3_hits / n:.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
