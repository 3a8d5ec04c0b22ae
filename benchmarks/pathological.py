"""Generated logs for benchmarks/throughput.py: a quiet GitHub Actions log, and inputs that once cost far more.

Every log ends with the same clippy failure (ERRORS), so each result says whether the blocker was still found.
The pathological classes, each against a quiet log of the same size:
- one_line: the quiet log with every newline a bare \\r (a progress bar that never ends its line);
- long_line: a quiet log with one line of `line_mb` in its middle (a minified bundle or JSON dump);
- werror: a compiler command with `-Werror=...` on every line (a verbose C build);
- zero_errors: "Found 0 errors in N files" on every line;
- gha_error: `##[error]Process completed with exit code N.` on every line (every line a failing exit);
- rust_errors: a real rustc error and its `-->` location on every other line (every line a blocker).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

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
EVERY_LINE = {
    "werror": ("gcc -O2 -Wall -Werror=format-security -Isrc -c src/module{n}.c -o build/module{n}.o",),
    "zero_errors": ("Found 0 errors in {n} files (checked 212 source files)",),
    "gha_error": ("##[error]Process completed with exit code 1.",),
    "rust_errors": ("error[E0308]: mismatched types in item_{n}", "  --> src/module{n}.rs:{n}:5"),
}
CLASSES = ("quiet", "one_line", "long_line", *EVERY_LINE)
BATCH = 5000


def _stamped(templates: tuple[str, ...], start: int) -> Iterator[bytes]:
    """Batches of GitHub-style lines (ISO timestamp first) cycling through `templates`, forever."""
    n = start
    while True:
        lines = []
        for i in range(BATCH):
            n += 1
            stamp = f"2024-05-01T12:{n // 60 % 60:02d}:{n % 60:02d}.{n % 10_000_000:07d}Z"
            lines.append(f"{stamp} {templates[i % len(templates)].format(n=n)}\n")
        yield "".join(lines).encode()


def _quiet_batches(start: int = 0) -> Iterator[bytes]:
    n = start
    while True:
        lines = []
        while len(lines) < BATCH:
            for plain in NOISE:
                n += 1
                template = NEEDLE_NOISE[n // NEEDLE_EVERY % len(NEEDLE_NOISE)] if n % NEEDLE_EVERY == 0 else plain
                stamp = f"2024-05-01T12:{n // 60 % 60:02d}:{n % 60:02d}.{n % 10_000_000:07d}Z"
                lines.append(f"{stamp} {template.format(n=n)}\n")
        yield "".join(lines).encode()


def _write(fh: Callable[[bytes], object], batches: Iterator[bytes], size: int, edit: Callable[[bytes], bytes]) -> None:
    written = 0
    for batch in batches:
        data = edit(batch)[: size - written]
        fh(data)
        written += len(data)
        if written >= size:
            return


def _tail() -> bytes:
    return "".join(f"2024-05-01T13:00:00.0000000Z {line}\n" for line in ERRORS).encode()


def generate(kind: str, path: Path, size: int, *, line_size: int = 0) -> None:
    """Write a log of about `size` bytes of class `kind` (see the module docstring) to `path`."""
    tail = _tail()
    body = max(size - len(tail), 0)
    with path.open("wb") as fh:
        fh.write(b"\xef\xbb\xbf")
        if kind == "quiet":
            _write(fh.write, _quiet_batches(), body, lambda b: b)
        elif kind == "one_line":
            _write(fh.write, _quiet_batches(), body, lambda b: b.replace(b"\n", b"\r"))
            fh.write(b"\r" + tail.replace(b"\n", b"\r"))
            return
        elif kind == "long_line":
            before = max(body - line_size, 0) // 2
            _write(fh.write, _quiet_batches(), before, lambda b: b)
            fh.write(b"\n")
            _write(fh.write, _quiet_batches(1_000_000), line_size, lambda b: b.replace(b"\n", b" "))
            fh.write(b"\n")
            _write(fh.write, _quiet_batches(2_000_000), max(body - line_size - before, 0), lambda b: b)
        else:
            _write(fh.write, _stamped(EVERY_LINE[kind], 0), body, lambda b: b)
        fh.write(b"\n" + tail)
