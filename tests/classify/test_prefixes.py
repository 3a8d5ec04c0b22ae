"""Output a workspace runner prefixed (pnpm -r, Turborepo, Yarn foreach, Docker Compose) is read as the tool's."""

from __future__ import annotations

import pytest

from nexus_action.classify import classify_text
from nexus_action.classify.prefixes import unprefixed

GHA_FAIL = "##[error]Process completed with exit code 1.\n"

PNPM = """##[group]Run pnpm -r test
pnpm -r test
##[endgroup]
Scope: 3 of 4 workspace projects
packages/core test$ vitest run
packages/core test:  RUN  v1.6.0 /home/runner/work/x/x/packages/core
packages/core test:  ✓ src/errors.test.ts (3 tests) 4ms
packages/core test:  FAIL  src/parse.test.ts > parse > handles empty input
packages/core test: AssertionError: expected 1 to be 2 // Object.is equality
packages/core test:  ❯ src/parse.test.ts:12:15
packages/core test:  Test Files  1 failed | 1 passed (2)
packages/core test: Failed
/home/runner/work/x/x/packages/core:
 ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL  @x/core@1.0.0 test: `vitest run`
Exit status 1
"""

TURBO = """web:build: cache miss, executing 5b1d2c3e4f
web:build: > web@0.1.0 build
web:build: > next build
web:build: Failed to compile.
web:build: ./src/app/page.tsx:3:1
web:build: Module not found: Can't resolve '@acme/missing'
web:build: ERROR: command finished with error: command (/home/runner/work/x/x/apps/web) npm run build exited (1)
web#build: command (/home/runner/work/x/x/apps/web) npm run build exited (1)
 ERROR  run failed: command  exited (1)
"""

YARN = """[@acme/api]: Process started
[@acme/api]: src/server.ts(14,3): error TS2345: Argument of type 'string' is not assignable to parameter.
[@acme/api]: Process exited (exit code 2), completed in 4s 120ms
The command failed in workspace @acme/api@workspace:packages/api with exit code 2
"""

COMPOSE = """api-1  | Traceback (most recent call last):
api-1  |   File "/app/main.py", line 3, in <module>
api-1  |     import missing_module
api-1  | ModuleNotFoundError: No module named 'missing_module'
api-1 exited with code 1
"""


@pytest.mark.parametrize(
    ("log", "blocker_says"),
    [
        (PNPM, "AssertionError: expected 1 to be 2"),
        (TURBO, "Module not found: Can't resolve '@acme/missing'"),
        (YARN, "error TS2345"),
        (COMPOSE, "ModuleNotFoundError: No module named 'missing_module'"),
    ],
    ids=["pnpm", "turbo", "yarn", "compose"],
)
def test_the_tools_error_beats_the_runners_summary(log: str, blocker_says: str) -> None:
    result = classify_text(log + GHA_FAIL)
    assert result.top_blocker is not None
    assert blocker_says in result.top_blocker.text
    assert not result.top_blocker.text.startswith(("packages/core test:", "web:build:", "[@acme/api]:", "api-1"))


def test_a_passing_test_behind_a_prefix_is_still_passing() -> None:
    log = "packages/core test:  ✓ renders the error banner (3 ms)\n" + GHA_FAIL
    result = classify_text(log)
    assert result.top_blocker is not None
    assert result.top_blocker.text.startswith("Process completed")


def test_a_line_whose_own_words_look_like_a_prefix_is_not_cut() -> None:
    # `error TS2322: ...` matches its own rule as it stands: the part after `: ` is never tried instead.
    result = classify_text("src/a.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.\n")
    assert result.top_blocker is not None
    assert result.top_blocker.text.startswith("src/a.ts(1,7): error TS2322")
    assert unprefixed("Caused by: java.io.IOException: boom") is None
    assert unprefixed("plain line without any prefix") is None
    assert unprefixed("web:build: ") is None  # nothing after the prefix


WEBPACK = """ERROR in ./src/index.js 1:0-31
Module not found: Error: Can't resolve './missing' in '/home/runner/work/app/app/src'
resolve './missing' in '/home/runner/work/app/app/src'
  using description file: /home/runner/work/app/app/package.json (relative path: ./src)
webpack 5.88.0 compiled with 1 error in 512 ms
"""

ESBUILD = """✘ [ERROR] Could not resolve "left-pad"

    src/index.ts:1:20:
      1 │ import leftPad from "left-pad";
        ╵                     ~~~~~~~~~~

  You can mark the path "left-pad" as external to exclude it from the bundle, which will remove this error.

1 error
"""

VITE = """vite v5.2.0 building for production...
transforming...
✓ 12 modules transformed.
error during build:
[vite]: Rollup failed to resolve import "lodash-es" from "/home/runner/work/app/app/src/main.ts".
This is most likely unintended because it can break your application at runtime.
"""


@pytest.mark.parametrize(
    ("log", "blocker_says"),
    [
        (WEBPACK, "Module not found: Error: Can't resolve './missing'"),
        (ESBUILD, 'Could not resolve "left-pad"'),
        (VITE, 'Rollup failed to resolve import "lodash-es"'),
    ],
    ids=["webpack", "esbuild", "vite"],
)
def test_a_bundler_that_cannot_resolve_an_import_names_it(log: str, blocker_says: str) -> None:
    result = classify_text(log + GHA_FAIL)
    assert result.top_blocker is not None
    assert blocker_says in result.top_blocker.text
    assert (result.domain, result.kind) == ("frontend", "compile")


def test_two_words_and_a_colon_are_not_a_prefix() -> None:
    assert unprefixed("Tests Failed: 1 failed, 0 skipped, 3 total") is None
    assert unprefixed("packages/core test: 1 failed") == "1 failed"
    assert unprefixed(". lint: src/a.ts: error") == "src/a.ts: error"
