"""Golden classifications of short log excerpts (tests/data/logs/<case>.log -> <case>.classification.json).

Regenerate with `python scripts/regen_classify.py` and review the diff. Which excerpts are real (copied from
../shared/corpus by scripts/extract_log_excerpts.py) and which are written is listed in tests/data/logs/README.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from nexus_action.classify import classify_log

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "tests" / "data" / "logs"
sys.path.insert(0, str(ROOT / "scripts"))
from regen_classify import signals_for  # noqa: E402

CASES = sorted(p.stem for p in LOGS.glob("*.log"))
SCHEMA = json.loads((ROOT / "nexus_action" / "schemas" / "classification.schema.json").read_text(encoding="utf-8"))


def test_every_log_has_a_golden_file() -> None:
    assert len(CASES) >= 40
    missing = [c for c in CASES if not (LOGS / f"{c}.classification.json").exists()]
    assert missing == []


@pytest.mark.parametrize("case", CASES)
def test_classification_matches_golden(case: str) -> None:
    log = LOGS / f"{case}.log"
    got = classify_log(log, **signals_for(log)).to_dict()
    want: dict[str, Any] = json.loads((LOGS / f"{case}.classification.json").read_text(encoding="utf-8"))
    assert got == want


@pytest.mark.parametrize("case", CASES)
def test_golden_is_valid_against_the_schema(case: str) -> None:
    data = json.loads((LOGS / f"{case}.classification.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)


# What a person would check by eye: the domain/kind and that the top blocker is the line they would read first.
EXPECTED = {
    "rust_rustc_error": ("rust", "compile", "mismatched types"),
    "rust_clippy": ("rust", "lint", "identical blocks"),
    "rust_test_with_warnings": ("rust", "test", "panicked at src/parse.rs:41:9"),
    "rust_fmt": ("rust", "format", "Diff in"),
    "rust_cargo_deny": ("rust", "dependency", "Potential segfault"),
    "frontend_tsc": ("frontend", "typecheck", "TS2322"),
    "frontend_eslint": ("frontend", "lint", "no-unused-vars"),
    "frontend_jest_snapshot": ("frontend", "snapshot", None),
    "frontend_npm_install": ("frontend", "dependency", "ERESOLVE"),
    "frontend_vitest": ("frontend", "test", "expected 110 to be 121"),
    "python_pytest": ("python", "test", "tests/test_cart.py:7: AssertionError"),
    "python_mypy": ("python", "typecheck", "Incompatible return value"),
    "python_ruff": ("python", "lint", "F401"),
    "python_pip_resolution": ("python", "dependency", "Could not find a version"),
    "go_compile_undefined": ("go", "compile", "undefined: os"),
    "go_test_fail": ("go", "test", None),
    "go_mod_tidy": ("go", "dependency", "go.mod/go.sum are not up-to-date"),
    "go_staticcheck": ("go", "lint", "U1000"),
    "jvm_maven_compile": ("jvm", "compile", "cannot find symbol"),
    "jvm_gradle_test": ("jvm", "test", "greetsByName"),
    "native_gcc_link": ("native", "compile", "implicit declaration"),
    "native_undefined_reference": ("native", "compile", "undefined reference"),
    "infra_helm": ("infra", "deploy", "UPGRADE FAILED"),
    "infra_terraform": ("infra", "deploy", "Unsupported argument"),
    "infra_kubectl": ("infra", "deploy", "error validating"),
    "infra_yamllint": ("infra", "lint", "line too long"),
    "docker_buildkit": ("infra", "docker_build", "#6 ERROR"),
    "github_permission": ("github", "permission", "Resource not accessible by integration"),
    "github_push_denied": ("github", "permission", "Permission to acme/app.git denied"),
    "github_missing_secret": ("github", "workflow_config", "Input required and not supplied"),
    "github_invalid_workflow": ("github", "workflow_config", "Invalid workflow file"),
    "github_unknown_action": ("github", "workflow_config", "Unable to resolve action"),
    "runner_oom_137": ("runner", "oom", "Killed"),
    "runner_disk_full": ("runner", "oom", "no space left on device"),
    "runner_network": ("runner", "network", "Could not resolve host"),
    "runner_timeout": ("runner", "timeout", "exceeded the maximum execution time"),
    "runner_cancelled": ("runner", "timeout", "canceled"),
    "only_annotation": ("unknown", "unknown", "Release notes are missing"),
    "annotations_only": ("rust", "compile", "identical blocks"),
    # Ecosystems beyond the development corpus, each written in its tool's own output format.
    "native_xcodebuild_swift": ("native", "compile", "cannot find 'discountRate' in scope"),
    "native_xcodebuild_xctest": ("native", "test", "-[LDGBalanceTests testRunningTotal]"),
    "native_xcpretty": ("native", "test", "testSnoozeMovesAlarm, XCTAssertEqual failed"),
    "native_swift_build": ("native", "compile", "has no member 'capitalised'"),
    "native_swift_test": ("native", "test", "GreeterTests.testGreetsByName : XCTAssertEqual failed"),
    "native_swift_testing": ("native", "test", "recorded an issue at CalculatorTests.swift:8:5"),
    "native_autotools_configure": ("native", "compile", "configure: error: OpenSSL headers not found"),
    "native_ctest_gtest": ("native", "test", "distance_test.cc:27: Failure"),
    "native_meson": ("native", "compile", 'Dependency "gtk4" not found'),
    "native_ninja_clang": ("native", "compile", "no matching function for call to 'parse_expr'"),
    "native_lld_undefined": ("native", "compile", "ld.lld: error: undefined symbol"),
    "native_msvc": ("native", "compile", "error C2065: 'radius': undeclared identifier"),
    "native_swiftlint": ("native", "lint", "Line Length Violation"),
    "native_xcbeautify": ("native", "test", "testSnoozeMovesAlarm, XCTAssertEqual failed"),
    "native_automake_check": ("native", "test", "FAIL: tests/test_headers"),
    "native_doctest": ("native", "test", "CHECK( midpoint(a, b).x == 1.5 ) is NOT correct!"),
    "native_unity": ("native", "test", "test_pop_returns_oldest:FAIL"),
    "php_pest": ("php", "test", "CartTest > it applies the member discount"),
    "docs_sphinx_linkcheck": ("unknown", "docs", "broken https://cart.example.org/api/v1/"),
    "docs_rustdoc": ("rust", "docs", "unresolved link to `Cart::totl`"),
    "ruby_rspec": ("ruby", "test", "Failure/Error: expect(cart.total).to eq(90)"),
    "ruby_minitest_rake": ("ruby", "test", "SlugTest#test_strips_punctuation [test/slug_test.rb:12]"),
    "ruby_rubocop": ("ruby", "lint", "Style/StringLiterals"),
    "scala_sbt_compile": ("jvm", "compile", "Account.scala:27:18: type mismatch"),
    "scala_scalatest": ("jvm", "test", "should add deposits *** FAILED ***"),
    "lua_busted": ("lua", "test", "Failure → spec/stack_spec.lua @ 14"),
    "lua_luacheck": ("lua", "lint", "(W211) unused variable 'top'"),
    "elixir_exunit": ("elixir", "test", "test total applies the member discount (CartTest)"),
    "elixir_mix_compile": ("elixir", "compile", "undefined function discount_for/1"),
    "elixir_mix_compile_diagnostics": ("elixir", "compile", "error: undefined function discount_for/1"),
    "perl_prove": ("perl", "test", "Failed test 'member discount applied'"),
    "php_lint": ("php", "compile", "PHP Parse error"),
    "php_composer": ("php", "dependency", "Root composer.json requires php ^8.3"),
    "travis_phpunit": ("php", "test", "Inflector_helper_test::test_plural"),
    "haskell_cabal_ghc": ("haskell", "compile", "src/Cart.hs:23:20: error:"),
    "haskell_hspec": ("haskell", "test", "Cart.total applies the member discount"),
    "jvm_checkstyle": ("jvm", "lint", "MissingJavadocMethod"),
    "jvm_pmd": ("jvm", "lint", "Rule:UnusedPrivateField"),
    "jvm_spotbugs": ("jvm", "lint", "NP_NULL_ON_SOME_PATH_EXCEPTION"),
    "jvm_ktlint": ("jvm", "lint", "standard:no-blank-line-before-rbrace"),
    "docs_javadoc": ("jvm", "docs", "@param name not found"),
    "docs_sphinx": ("unknown", "docs", "install.rst:42:undefined label"),
    "docs_mkdocs": ("unknown", "docs", "contains a link '../reference/config.md'"),
    "license_checker": ("frontend", "license", "not permitted by the --onlyAllow flag"),
    "license_cargo_deny": ("rust", "license", "failed to satisfy license requirements"),
    "license_reuse": ("unknown", "license", "MISSING COPYRIGHT AND LICENSING INFORMATION"),
}


def test_configure_probes_and_conftest_errors_are_not_blockers() -> None:
    """autoconf's `checking ... no` answers and the conftest.c it failed to compile are questions, not failures."""
    result = classify_log(LOGS / "native_autotools_configure.log")
    texts = [b.text for b in result.blockers]
    assert not any("conftest" in t or t.startswith("checking ") for t in texts)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_domain_kind_and_top_blocker(case: str) -> None:
    domain, kind, top_text = EXPECTED[case]
    result = classify_log(LOGS / f"{case}.log")
    assert (result.domain, result.kind) == (domain, kind)
    assert result.top_blocker is not None
    assert "Process completed with exit code" not in result.top_blocker.text
    if top_text:
        assert top_text in result.top_blocker.text
