"""Blocks, wrappers and passing output: what a reader of the top blocker sees."""

from __future__ import annotations

from nexus_action.classify import classify_text
from nexus_action.classify.blocks import BLOCK_CAP

GHA_FAIL = "##[error]Process completed with exit code 1.\n"


def test_block_takes_indented_detail_and_stops_at_the_next_unindented_line() -> None:
    log = (
        "error[E0308]: mismatched types\n"
        " --> src/lib.rs:4:5\n"
        "  |\n"
        '4 |     "42"\n'
        "  |     ^^^^ expected `u32`, found `&str`\n"
        "unrelated output\n" + GHA_FAIL
    )
    top = classify_text(log).top_blocker
    assert top is not None
    assert (top.log_line, top.span) == (1, (1, 5))
    assert top.excerpt is not None
    assert top.excerpt.endswith("found `&str`")


def test_block_is_capped() -> None:
    frames = "".join(f"    at com.example.A.m{i}(A.java:{i})\n" for i in range(40))
    top = classify_text("java.lang.IllegalStateException: failed to load\n" + frames + GHA_FAIL).top_blocker
    assert top is not None
    assert top.span is not None
    assert top.span[1] - top.span[0] + 1 == BLOCK_CAP


def test_excerpt_masks_secrets() -> None:
    log = "error: push rejected\n    token ghp_" + "a" * 36 + " was refused\n" + GHA_FAIL
    top = classify_text(log).top_blocker
    assert top is not None
    assert top.excerpt is not None
    assert "ghp_" + "a" * 36 not in top.excerpt


def test_a_java_exception_with_frames_routes_to_jvm_not_python() -> None:
    log = (
        "java.lang.IllegalStateException: cart is empty\n"
        "\tat com.example.Cart.total(Cart.java:18)\n"
        "\tat com.example.CartTest.total(CartTest.java:9)\n" + GHA_FAIL
    )
    assert classify_text(log).domain == "jvm"


def test_an_identifier_holding_notfound_is_not_a_network_failure() -> None:
    log = "tests/test_io.py:12: FileNotFoundError: [Errno 2] No such file\n" + GHA_FAIL
    result = classify_text(log)
    assert result.kind != "network"
    assert all(e.rule != "runner.network" for e in result.evidence)


def test_a_bare_error_line_votes_for_no_domain() -> None:
    result = classify_text("Error: something went wrong\n" + GHA_FAIL)
    assert result.domain == "unknown"


def test_banner_hands_its_rank_to_its_first_detail_line() -> None:
    log = "rake aborted!\nNo Rakefile found (looking for: rakefile, Rakefile)\n/usr/bin/rake:15:in `eval'\n" + GHA_FAIL
    top = classify_text(log).top_blocker
    assert top is not None
    assert top.log_line == 2
    assert top.span == (1, 3)


def test_wrapper_points_to_the_detail_above_it() -> None:
    log = (
        "src/app.c:3:5: error: unknown type name 'strng'\n"
        "make: *** [Makefile:4: app] Error 1\n"
        "BUILD FAILED\n" + GHA_FAIL
    )
    result = classify_text(log)
    assert result.top_blocker is not None
    assert result.top_blocker.log_line == 1
    assert [b.log_line for b in result.blockers].index(3) > 0


def test_passing_lines_never_win_even_when_their_names_say_error() -> None:
    log = (
        "test_filenotfound_error_message (tests.test_io.IOTest) ... ok\n"
        "tests/test_net.py::test_error_path PASSED [ 50%]\n"
        "  ✓ reports an error for a missing file (3 ms)\n"
        "Something unexpected happened\n" + GHA_FAIL
    )
    result = classify_text(log)
    assert {b.log_line for b in result.blockers}.isdisjoint({1, 2, 3})


def test_go_output_of_a_passing_test_is_dropped_when_it_passes() -> None:
    log = (
        "=== RUN   TestA\n"
        "    a_test.go:9: error: logged on purpose\n"
        "--- PASS: TestA (0.00s)\n"
        "=== RUN   TestB\n"
        "    b_test.go:4: got 1, want 2\n"
        "--- FAIL: TestB (0.00s)\n" + GHA_FAIL
    )
    result = classify_text(log)
    assert result.top_blocker is not None
    assert result.top_blocker.log_line == 5
    assert 2 not in {b.log_line for b in result.blockers}


def test_passing_doctest_example_output_is_not_a_blocker() -> None:
    log = (
        "Trying:\n"
        "    int('x')\n"
        "Expecting:\n"
        "    Traceback (most recent call last):\n"
        "    ValueError: invalid literal for int() with base 10: 'x'\n"
        "ok\n"
        "Failed example:\n"
        "    total([1, 2])\n"
        "Expected:\n"
        "    4\n"
        "Got:\n"
        "    3\n" + GHA_FAIL
    )
    assert 5 not in {b.log_line for b in classify_text(log).blockers}
