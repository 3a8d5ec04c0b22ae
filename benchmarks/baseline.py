"""Memory and time of classify with a baseline (the last green run's log) against classify alone.

The failing log is throughput.py's generated quiet 200 MB log (pathological.py: ordinary build output, a
clippy failure at the end).
The passing log is generated the same way with other numbers (timestamps, durations, versions, ids all
differ, as between two real runs) and a clippy step that passes. Each measurement runs in a fresh subprocess:
classify alone, then classify with --baseline; wall time with the rules already loaded, peak RSS of the
Python process (ru_maxrss; a grep the classifier starts is not counted: a forked child's figure includes the
memory it was forked with); the largest child's is printed apart (the comparison's worker, forked on Linux
while the log is classified: its figure counts the pages it shares with the parent too). CPU includes the
children's (grep, the worker). Best of --repeat.
Targets: peak RSS <= 64 MB, time <= 2x classify alone.

Usage: python benchmarks/baseline.py [--mb 200] [--dir /tmp] [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pathological import NEEDLE_EVERY, NEEDLE_NOISE, NOISE, generate  # noqa: E402

PASSING_TAIL = (
    "##[group]Run cargo clippy --all-targets -- -D warnings",
    "\x1b[36;1mcargo clippy --all-targets -- -D warnings\x1b[0m",
    "shell: /usr/bin/bash -e {0}",
    "##[endgroup]",
    "    Checking demo v0.1.{n} (/home/runner/work/demo/demo)",
    "    Finished dev [unoptimized + debuginfo] target(s) in {n}.{n}s",
)
# The green run counted from elsewhere: every number differs from the failing log's.
PASS_OFFSET = 7_777


def generate_passing(path: Path, megabytes: int) -> int:
    target = megabytes * 1_000_000
    written, n = 0, PASS_OFFSET
    with path.open("wb") as fh:
        fh.write(b"\xef\xbb\xbf")
        batch: list[str] = []
        while written < target * 0.97:
            for plain in NOISE:
                n += 1
                template = NEEDLE_NOISE[n // NEEDLE_EVERY % len(NEEDLE_NOISE)] if n % NEEDLE_EVERY == 0 else plain
                stamp = f"2024-05-02T09:{n // 60 % 60:02d}:{n % 60:02d}.{n * 7 % 10_000_000:07d}Z"
                batch.append(f"{stamp} {template.format(n=n)}\n")
            if len(batch) >= 5000:
                data = "".join(batch).encode()
                fh.write(data)
                written += len(data)
                batch.clear()
        tail = "".join(f"2024-05-02T10:00:00.0000000Z {line.replace('{n}', str(n))}\n" for line in PASSING_TAIL)
        fh.write(tail.encode())
    return path.stat().st_size


CHILD = """
import resource, sys, time
from nexus_action.classify import classify_log
from nexus_action.classify.rules import load_rules
from nexus_action.classify.gate import build_gate
from nexus_action.classify.templates import builtin_masks
build_gate(load_rules().log_rules)
builtin_masks()
baseline = sys.argv[2] if len(sys.argv) > 2 else None
t, c = time.perf_counter(), time.process_time()
r = classify_log(sys.argv[1], baseline=baseline)
elapsed = time.perf_counter() - t
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = time.process_time() - c + kids.ru_utime + kids.ru_stime
b = r.baseline
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, kids.ru_maxrss,
      r.top_blocker.log_line if r.top_blocker else None,
      r.top_blocker.new_since_baseline if r.top_blocker else None,
      b.new_lines if b else None, b.lines if b else None, cpu, (b.note or "-").replace(" ", "_") if b else "-")
"""


def run(fail: Path, passing: Path | None) -> list[str]:
    argv = [sys.executable, "-c", CHILD, str(fail)] + ([str(passing)] if passing else [])
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated logs")
    args = parser.parse_args()
    fail = Path(args.dir) / f"nexus-throughput-v3-quiet-{args.mb}mb.log"  # the file throughput.py makes and keeps
    passing = Path(args.dir) / f"nexus-baseline-pass-{args.mb}mb.log"
    if not fail.exists() or fail.stat().st_size < args.mb * 900_000:
        print(f"generating {fail} ...", flush=True)
        generate("quiet", fail, args.mb * 1_000_000)
    if not passing.exists() or passing.stat().st_size < args.mb * 900_000:
        print(f"generating {passing} ...", flush=True)
        generate_passing(passing, args.mb)
    alone: list[list[str]] = []
    compared: list[list[str]] = []
    for _ in range(args.repeat):
        alone.append(run(fail, None))
        compared.append(run(fail, passing))
    a_wall = min(float(r[0]) for r in alone)
    c_wall = min(float(r[0]) for r in compared)
    a_cpu = min(float(r[7]) for r in alone)
    c_cpu = min(float(r[7]) for r in compared)
    a_rss = max(int(r[1]) for r in alone) / 1024
    c_rss = max(int(r[1]) for r in compared) / 1024
    kids_rss = max(int(r[2]) for r in compared) / 1024
    last = compared[-1]
    print(f"failing log {fail.stat().st_size / 1e6:.1f} MB, passing log {passing.stat().st_size / 1e6:.1f} MB")
    print(
        f"classify alone:      wall {a_wall:.3f} s, cpu {a_cpu:.3f} s (children's too), peak RSS {a_rss:.1f} MB, "
        f"top blocker line {alone[-1][3]}"
    )
    print(
        f"classify --baseline: wall {c_wall:.3f} s ({c_wall / a_wall:.2f}x alone; target <= 2x), "
        f"cpu {c_cpu:.3f} s ({c_cpu / a_cpu:.2f}x), "
        f"peak RSS {c_rss:.1f} MB (target <= 64 MB)"
    )
    print(f"  largest child's peak RSS {kids_rss:.1f} MB (the comparison's worker, where forked, or grep)")
    print(
        f"  top blocker line {last[3]}, new since baseline {last[4]}; new lines {last[5]} of {last[6]}; note {last[8]}"
    )
    print(f"best of {args.repeat}; 1-min load average {os.getloadavg()[0]:.2f} (other work skews wall time)")
    if not args.keep:
        fail.unlink()
        passing.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
