"""Throughput and peak memory: classify generated logs, quiet and pathological, next to `grep -c` on each.

Each class of log (benchmarks/pathological.py: quiet, one_line, long_line, werror, zero_errors, gha_error,
rust_errors) is generated at --mb MB into --dir (kept there for the next run; --clean removes them). For each,
in the same run: `grep -c` with the classifier's needles (the way classify starts grep: LC_ALL=C, -a -i -F), and
classify in a fresh subprocess twice: with grep finding the needles (what a log of 4 MiB or more gets) and with
the pure Python search (use_grep=False). classify's wall time is timed with the rules already loaded; its peak
RSS (ru_maxrss) is the Python process's own, with its grep's (a child: forked from it, so it starts at the
parent's size) shown apart. "x quiet" compares a class's time with the quiet log's of the same size, same mode.
Best of --repeat; a run past --timeout seconds is reported as such.

Usage: python benchmarks/throughput.py [--mb 200] [--line-mb 100] [--classes quiet,werror,...] [--dir /tmp]
                                       [--repeat 3] [--timeout 600] [--code DIR] [--clean]
--code: a checkout whose nexus_action to measure (default: this one), for before/after figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pathological import CLASSES, generate

ROOT = Path(__file__).resolve().parent.parent


def needles() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from nexus_action.classify.rules import load_rules

    return [n.decode() for n in load_rules().needles]


CHILD = """
import resource, sys, time
t0 = time.perf_counter()
from nexus_action.classify import classify_log
from nexus_action.classify.rules import load_rules
from nexus_action.classify.gate import build_gate
build_gate(load_rules().log_rules)
load = time.perf_counter() - t0
t, c = time.perf_counter(), time.process_time()
r = classify_log(sys.argv[1], use_grep=sys.argv[2] == "grep")
elapsed, cpu = time.perf_counter() - t, time.process_time() - c
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(load, elapsed, cpu + kids.ru_utime + kids.ru_stime, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      kids.ru_maxrss, r.domain, r.kind, r.top_blocker.log_line if r.top_blocker else None)
"""


@dataclass
class Run:
    load: float  # seconds to import the package and load the rules (once per process)
    wall: float  # seconds in classify_log, rules already loaded
    cpu: float  # CPU seconds in classify_log, grep's included
    rss_kb: int  # peak RSS of the Python process
    grep_rss_kb: int  # peak RSS of its grep (0 when none ran)
    result: str


TIMED_OUT = Run(0.0, float("inf"), float("inf"), 0, 0, "timed out")


def run_classify(code: Path, path: Path, mode: str, timeout: float) -> Run:
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), mode],
            cwd=code,
            env={**os.environ, "PYTHONPATH": str(code)},
            capture_output=True,
            text=True,
            check=True,
            timeout=timeout,
        ).stdout.split()
    except subprocess.TimeoutExpired:
        return TIMED_OUT
    return Run(float(out[0]), float(out[1]), float(out[2]), int(out[3]), int(out[4]), " ".join(out[5:]))


def best_of(runs: list[Run]) -> Run:
    done = [r for r in runs if r is not TIMED_OUT]
    if not done:
        return TIMED_OUT
    return Run(
        min(r.load for r in done),
        min(r.wall for r in done),
        min(r.cpu for r in done),
        max(r.rss_kb for r in done),
        max(r.grep_rss_kb for r in done),
        done[-1].result,
    )


def run_grep(path: Path, patterns: list[str]) -> float:
    """Wall seconds of `grep -c` over the file, the way classify starts grep (C locale, -a -i -F)."""
    args = [arg for n in patterns for arg in ("-e", n)]
    start = time.perf_counter()
    subprocess.run(
        ["grep", "-a", "-c", "-i", "-F", *args, "--", str(path)],
        capture_output=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    return time.perf_counter() - start


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of each generated log (MB)")
    parser.add_argument("--line-mb", type=int, default=100, help="the long line of long_line (MB)")
    parser.add_argument("--classes", default=",".join(CLASSES), help=f"comma-separated, of {', '.join(CLASSES)}")
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before one classify run is given up")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose nexus_action to measure")
    parser.add_argument("--clean", action="store_true", help="remove the generated logs afterwards")
    args = parser.parse_args()
    unknown = set(args.classes.split(",")) - set(CLASSES)
    if unknown:
        parser.error(f"unknown classes {', '.join(sorted(unknown))}; choose from {', '.join(CLASSES)}")
    return args


def log_path(args: argparse.Namespace, kind: str) -> Path:
    size = f"{args.mb}mb" + (f"-{args.line_mb}mb-line" if kind == "long_line" else "")
    path = Path(args.dir) / f"nexus-throughput-v3-{kind}-{size}.log"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        generate(kind, path, args.mb * 1_000_000, line_size=args.line_mb * 1_000_000)
    return path


def _cell(run: Run, quiet: Run | None, grep_wall: float) -> str:
    if run is TIMED_OUT:
        return f"{'timed out':>9} {'':>7} {'':>7} {'':>15}"
    versus = f"{run.wall / quiet.wall:6.1f}x" if quiet and quiet is not TIMED_OUT else f"{'':>7}"
    grep_rss = f"/{run.grep_rss_kb / 1024:.0f}" if run.grep_rss_kb else ""
    return f"{run.wall:8.2f}s {versus} {run.wall / grep_wall:6.1f}x {run.rss_kb / 1024:7.0f}{grep_rss:<7} MB"


def main() -> int:
    args = parse_args()
    classes = args.classes.split(",")
    patterns = needles()
    paths = {kind: log_path(args, kind) for kind in dict.fromkeys(["quiet", *classes])}
    runs: dict[tuple[str, str], list[Run]] = {}
    greps: dict[str, float] = {}
    for _ in range(args.repeat):
        for kind, path in paths.items():
            greps[kind] = min(greps.get(kind, float("inf")), run_grep(path, patterns))
            for mode in ("grep", "python"):
                runs.setdefault((kind, mode), []).append(run_classify(args.code, path, mode, args.timeout))
    best = {key: best_of(found) for key, found in runs.items()}
    print(f"code: {args.code}; logs of {args.mb} MB (long_line: a {args.line_mb} MB line); best of {args.repeat}")
    print(f"rules loading (once per process): {best['quiet', 'python'].load:.2f} s, not in the times below")
    mode_head = "{:>9} {:>7} {:>7} {:>15}"
    print(f"{'class':<12} {'MB':>6} {'grep -c':>8} | classify, grep finds the needles | classify, pure Python search")
    print(
        f"{'':<12} {'':>6} {'':>8} | "
        + mode_head.format("time", "x quiet", "x grep", "peak RSS (grep)")
        + " | "
        + mode_head.format("time", "x quiet", "x grep", "peak RSS")
    )
    for kind, path in paths.items():
        size = path.stat().st_size / 1e6
        cells = [
            _cell(best[kind, m], best["quiet", m] if kind != "quiet" else None, greps[kind]) for m in ("grep", "python")
        ]
        print(f"{kind:<12} {size:6.0f} {greps[kind]:7.2f}s | {cells[0]} | {cells[1]}")
    print("CPU seconds (grep's included) and result (domain, kind, top blocker's line), grep | python:")
    for kind in paths:
        g, py = best[kind, "grep"], best[kind, "python"]
        print(f"  {kind:<12} {g.cpu:7.2f}s {g.result} | {py.cpu:7.2f}s {py.result}")
    print(f"1-min load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work skews wall time)")
    if args.clean:
        for path in paths.values():
            path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
