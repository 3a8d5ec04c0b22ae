"""Throughput: classify a generated 200 MB GitHub-Actions-style log, next to `grep -E` on the same file.

The log is written to /tmp (or --dir): GitHub-style lines (ISO timestamp, ANSI colours, a bare \\r progress
line) of ordinary build output, where 1 line in 100 holds an error-looking word that reports no error ("0 errors",
"thiserror", "-Werror=...", test names), and a clippy failure at the very end.

classify runs in a fresh subprocess per run, twice: with grep finding the needles (what a log of 4 MiB or more
gets) and with the pure Python search (use_grep=False). Its wall time is timed with the rules already loaded,
and the loading (import + rules, once per process) is printed beside it; its CPU includes its grep's, and its
peak RSS (ru_maxrss) is its own, with its grep's shown apart. The reference is `grep -E -i -c` with the
classifier's needles as one alternation, timed in the same run. Best of --repeat.

Usage: python benchmarks/throughput.py [--mb 200] [--dir /tmp] [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Ordinary build output (cargo, git, npm, go, pytest, maven, docker buildx, jest, gcc), one template per line.
NOISE = (
    "   Compiling serde_derive v1.0.{n} (/home/runner/.cargo/registry/src/index.crates.io-6f17d22bba15001f/x)",
    "[command]/usr/bin/git -c protocol.version=2 fetch --no-tags --prune origin +{n}:refs/remotes/origin/main",
    "\x1b[36;1mnpm ci --no-audit --prefer-offline\x1b[0m",
    "go: downloading github.com/hashicorp/go-plugin v1.4.{n}",
    "ok  \tgithub.com/example/project/internal/pkg{n}\t0.{n}s",
    "PASS tests/unit/component-{n}.test.ts (5.{n} s)",
    "tests/test_module_{n}.py::test_case_{n} PASSED                                [ 42%]",
    "[INFO] Building jar: /home/runner/work/app/app/target/app-{n}.jar",
    "Downloading https://registry.npmjs.org/lodash/-/lodash-4.17.{n}.tgz (progress 100%)\r  done",
    "#{n} [build 3/7] RUN go build -trimpath -o /out/app ./cmd/app",
    "#{n} sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1 12.58MB / 45.21MB 0.{n}s",
    "  \x1b[32m✓\x1b[39m renders the header for locale {n} (3 ms)",
    "=== RUN   TestAccResource_{n}",
    "--- PASS: TestAccResource_{n} (0.0{n}s)",
    "gcc -O2 -Wall -fPIC -Isrc -c src/module{n}.c -o build/module{n}.o",
)
# Every NEEDLE_EVERY-th line: output that holds an error-looking word but reports no error, as real logs do
# (crate names, test names, "0 errors" summaries, -Werror flags). Each one is a line the classifier must read.
NEEDLE_EVERY = 100
NEEDLE_NOISE = (
    "   Compiling thiserror v1.0.{n}",
    "[INFO] Tests run: 14, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: 0.{n} s - in com.example.ServiceTest",
    "ok  \tgithub.com/example/project/internal/errors\t0.{n}s",
    "gcc -O2 -Wall -Werror=format-security -c src/file{n}.c -o build/file{n}.o",
    "--- PASS: TestFailoverRetries_{n} (0.01s)",
    "tests/test_errors.py::test_error_message_{n} PASSED                          [ 43%]",
    "Found 0 errors in {n} files (checked 212 source files)",
    "  \x1b[32m✓\x1b[39m shows an error banner when the request fails (12 ms)",
)
ERRORS = (
    "##[group]Run cargo clippy --all-targets -- -D warnings",
    "\x1b[36;1mcargo clippy --all-targets -- -D warnings\x1b[0m",
    "shell: /usr/bin/bash -e {0}",
    "##[endgroup]",
    "error: this looks like you are swapping `a` and `b` manually",
    "  --> src/lib.rs:42:5",
    "   = note: `-D clippy::manual-swap` implied by `-D warnings`",
    "   = help: for further information visit https://rust-lang.github.io/rust-clippy/master/index.html#manual_swap",
    "error: could not compile `demo` (lib) due to 1 previous error",
    "##[error]Process completed with exit code 101.",
)


def generate(path: Path, megabytes: int) -> int:
    target = megabytes * 1_000_000
    written = 0
    n = 0
    with path.open("wb") as fh:
        fh.write(b"\xef\xbb\xbf")
        batch: list[str] = []
        while written < target * 0.97:
            for plain in NOISE:
                n += 1
                template = NEEDLE_NOISE[n // NEEDLE_EVERY % len(NEEDLE_NOISE)] if n % NEEDLE_EVERY == 0 else plain
                stamp = f"2024-05-01T12:{n // 60 % 60:02d}:{n % 60:02d}.{n % 10_000_000:07d}Z"
                batch.append(f"{stamp} {template.format(n=n)}\n")
            if len(batch) >= 5000:
                data = "".join(batch).encode()
                fh.write(data)
                written += len(data)
                batch.clear()
        tail = "".join(f"2024-05-01T13:00:00.0000000Z {line}\n" for line in ERRORS) * 2
        fh.write(tail.encode())
        written += len(tail)
    return path.stat().st_size


def grep_pattern() -> str:
    from nexus_action.classify.rules import load_rules

    return "|".join(re.escape(n.decode()) for n in load_rules().needles)


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


def run_classify(path: Path, mode: str) -> Run:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return Run(float(out[0]), float(out[1]), float(out[2]), int(out[3]), int(out[4]), " ".join(out[5:]))


def best_of(runs: list[Run]) -> Run:
    return Run(
        min(r.load for r in runs),
        min(r.wall for r in runs),
        min(r.cpu for r in runs),
        max(r.rss_kb for r in runs),
        max(r.grep_rss_kb for r in runs),
        runs[-1].result,
    )


def run_grep(path: Path, pattern: str) -> tuple[float, float]:
    """Wall and CPU seconds of grep -E -i over the file (CPU from the children's rusage)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(["grep", "-E", "-i", "-c", pattern, str(path)], capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated log")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    path = Path(args.dir) / f"nexus-throughput-v2-{args.mb}mb.log"
    if not path.exists() or path.stat().st_size < args.mb * 900_000:
        print(f"generating {path} ...", flush=True)
        generate(path, args.mb)
    size = path.stat().st_size / 1e6
    pattern = grep_pattern()
    runs: dict[str, list[Run]] = {"grep": [], "python": []}
    g_wall = g_cpu = float("inf")
    for _ in range(args.repeat):
        for mode, done in runs.items():
            done.append(run_classify(path, mode))
        wall, cpu = run_grep(path, pattern)
        g_wall, g_cpu = min(g_wall, wall), min(g_cpu, cpu)
    env_locale = os.environ.get("LC_ALL") or os.environ.get("LANG") or "(unset)"
    print(
        f"log: {size:.1f} MB; reference: grep -E -i -c with the {len(pattern.split('|'))} prefilter needles, "
        f"locale {env_locale}"
    )
    print(f"grep -E:  wall {g_wall:.3f} s = {size / g_wall:.0f} MB/s, cpu {g_cpu:.3f} s")
    for mode, label in (("grep", "classify (grep finds the needles)"), ("python", "classify (pure Python search)")):
        r = best_of(runs[mode])
        total = r.load + r.wall
        print(f"{label}: result {r.result}")
        print(
            f"  wall {r.wall:.3f} s = {size / r.wall:.0f} MB/s; with loading the rules ({r.load:.3f} s): "
            f"{total:.3f} s = {size / total:.0f} MB/s; cpu {r.cpu:.3f} s (grep's included)"
        )
        print(f"  speed / grep's: {g_wall / r.wall:.2f} (with loading: {g_wall / total:.2f}); target >= 0.33")
        grep_rss = f", its grep {r.grep_rss_kb / 1024:.1f} MB" if r.grep_rss_kb else ""
        print(f"  peak RSS {r.rss_kb / 1024:.1f} MB{grep_rss} (target < 64 MB)")
    print(f"best of {args.repeat}; 1-min load average {os.getloadavg()[0]:.2f} (other work skews wall time)")
    if not args.keep:
        path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
