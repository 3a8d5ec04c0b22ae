"""Ranking, de-duplication, confidence and conflicts: what a reader of the report would notice."""

from __future__ import annotations

from nexus_action.classify import classify_text

GHA_FAIL = "##[error]Process completed with exit code 1.\n"


def test_root_cause_beats_echoes_and_summaries() -> None:
    log = (
        "# example.com/app\n"
        "##[error]internal/app/main.go:12:3: undefined: helper\n"
        "FAIL\texample.com/app [build failed]\n"
        "make: *** [Makefile:9: test] Error 1\n" + GHA_FAIL
    )
    result = classify_text(log)
    assert result.top_blocker is not None
    top = result.top_blocker
    assert (top.file, top.line, top.column) == ("internal/app/main.go", 12, 3)
    assert result.blockers[-1].text.startswith("Process completed")


def test_exit_code_line_is_top_only_when_nothing_better_exists() -> None:
    result = classify_text(GHA_FAIL)
    assert result.top_blocker is not None
    assert result.top_blocker.text == "Process completed with exit code 1."
    assert result.domain == "unknown"
    assert result.confidence == 0.0


def test_repeated_errors_are_deduplicated_and_capped_at_ten() -> None:
    same = 'src/app.py:3: error: Name "x" is not defined  [name-defined]\n' * 5
    many = "".join(f"src/m{i}.py:{i}: error: Bad thing {i}  [misc]\n" for i in range(1, 15))
    result = classify_text(same + many + GHA_FAIL)
    assert len(result.blockers) == 10
    assert [b.file for b in result.blockers].count("src/app.py") == 1
    assert result.top_blocker == result.blockers[0]
    assert result.domain == "python"


def test_errors_in_the_failing_step_outrank_earlier_tolerated_ones() -> None:
    log = (
        "##[group]Run npm audit || true\n##[endgroup]\n"
        "npm ERR! code ELIFECYCLE\n"
        "##[group]Run pytest\n##[endgroup]\n"
        "FAILED tests/test_api.py::test_login - AssertionError\n" + GHA_FAIL
    )
    result = classify_text(log)
    assert result.top_blocker is not None
    assert result.top_blocker.step == "Run pytest"
    assert result.domain == "python"


def test_runner_failure_overrides_the_language_of_the_job() -> None:
    log = (
        "##[group]Run cargo test\n##[endgroup]\n"
        "   Compiling demo v0.1.0\n"
        "/home/runner/work/_temp/x.sh: line 1:  4242 Killed                  cargo test\n"
        "##[error]Process completed with exit code 137.\n"
    )
    result = classify_text(log, workflow="Rust CI", changed_files=["src/lib.rs"])
    assert (result.domain, result.kind, result.agent) == ("runner", "oom", "Atlas")


def test_disagreeing_signals_are_stated_in_the_evidence() -> None:
    log = "error: something went wrong\n" + GHA_FAIL
    result = classify_text(log, workflow="Python CI", job="cargo", changed_files=["src/lib.rs", "app/main.py"])
    conflicts = [e for e in result.evidence if e.signal == "conflict"]
    assert conflicts
    assert "rust" in conflicts[0].detail
    assert "python" in conflicts[0].detail
    assert 0.0 <= result.confidence < 0.9


def test_confidence_is_high_when_everything_agrees() -> None:
    log = "error[E0308]: mismatched types\n --> src/main.rs:4:18\n" + GHA_FAIL
    result = classify_text(log, workflow="Rust", job="cargo build", changed_files=["src/main.rs"])
    assert result.domain == "rust"
    assert 0.8 <= result.confidence <= 1.0
    assert not [e for e in result.evidence if e.signal == "conflict"]
    assert {e.signal for e in result.evidence} >= {"log", "workflow", "job", "changed_files"}


def test_every_evidence_names_its_rule_and_signal() -> None:
    log = "error[E0308]: mismatched types\n --> src/main.rs:4:18\n" + GHA_FAIL
    for ev in classify_text(log, step="cargo build").evidence:
        assert ev.rule
        assert ev.signal in {
            "workflow",
            "job",
            "step",
            "log",
            "changed_files",
            "annotation",
            "conflict",
            "blocker_path",
        }


def test_python_traceback_location_comes_from_the_file_line_above() -> None:
    log = (
        "Traceback (most recent call last):\n"
        '  File "app/main.py", line 7, in <module>\n'
        "    run()\n"
        "ValueError: bad config\n" + GHA_FAIL
    )
    top = classify_text(log).top_blocker
    assert top is not None
    assert (top.text, top.file, top.line) == ("ValueError: bad config", "app/main.py", 7)


def test_empty_log_is_unknown_with_no_blocker() -> None:
    result = classify_text("")
    assert (result.domain, result.kind, result.top_blocker, result.blockers) == ("unknown", "unknown", None, ())


def test_stylish_output_takes_the_file_from_the_header_line() -> None:
    log = (
        "/home/runner/work/web/web/src/app.js\n"
        "  3:1   warning  Unexpected console statement  no-console\n"
        "  12:7  error    'x' is assigned a value but never used  no-unused-vars\n"
        "\n✖ 2 problems (1 error, 1 warning)\n" + GHA_FAIL
    )
    top = classify_text(log).top_blocker
    assert top is not None
    assert (top.file, top.line, top.column) == ("/home/runner/work/web/web/src/app.js", 12, 7)


def test_werror_promotes_the_warning_above_it() -> None:
    log = (
        "[ 16 of 147] Compiling Text.Pandoc.Ipynb ( src/Text/Pandoc/Ipynb.hs, dist/build/Ipynb.o )\n"
        "\n"
        "src/Text/Pandoc/Ipynb.hs:94:10: Warning:\n"
        "    No explicit implementation for\n"
        "\n"
        "<no location info>: \n"
        "Failing due to -Werror.\n"
    )
    result = classify_text(log)
    assert result.top_blocker is not None
    assert (result.top_blocker.log_line, result.top_blocker.file, result.top_blocker.line) == (
        3,
        "src/Text/Pandoc/Ipynb.hs",
        94,
    )
    assert result.failure_type == "werror"


def test_warnings_alone_are_not_blockers() -> None:
    result = classify_text("src/a.c:3:1: warning: unused variable 'x'\nall done\n")
    assert result.top_blocker is None


def test_travis_failing_command_outranks_errors_of_earlier_commands() -> None:
    log = (
        "travis_time:start:aa\r\x1b[0K$ rvm use 2.6\n"
        "Error running 'run_gem_wrappers_regenerate',\n"
        "travis_time:end:aa\r\x1b[0K\n"
        "travis_time:start:bb\r\x1b[0K$ yarn prettier --list-different\n"
        "app/assets/javascripts/about.js\n"
        "error Command failed with exit code 1.\n"
        '\x1b[31;1mThe command "yarn prettier --list-different" exited with 1.\x1b[0m\n'
    )
    result = classify_text(log)
    assert result.top_blocker is not None
    assert result.top_blocker.log_line == 5
    assert result.top_blocker.step == "$ yarn prettier --list-different"


def test_a_red_line_is_a_weak_blocker_when_no_rule_knows_the_tool() -> None:
    log = "Using gulpfile ~/gulpfile.js\n\x1b[31mTask never defined: default\x1b[39m\nsee above\n"
    result = classify_text(log)
    assert result.top_blocker is not None
    assert result.top_blocker.text == "Task never defined: default"
    plain = classify_text("Using gulpfile ~/gulpfile.js\nTask never defined: default\nsee above\n")
    assert plain.top_blocker is None


def test_the_output_line_before_a_failing_exit_is_the_blocker_unless_it_is_a_timing_line() -> None:
    tool = "Running the suite\nSuccess/Total: 138/139\n"
    untimed = classify_text(tool + "checksum mismatch in bundle.js\n" + GHA_FAIL)
    assert untimed.top_blocker is not None
    assert untimed.top_blocker.text == "checksum mismatch in bundle.js"
    timed = classify_text(tool + "Elapsed time: 14.276910 sec.\n\n" + GHA_FAIL)
    assert timed.top_blocker is not None
    assert timed.top_blocker.text == "Process completed with exit code 1."
