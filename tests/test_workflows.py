"""Workflows and example workflows: GitHub's schemas, zizmor, pinning, permissions, concurrency.

check-jsonschema validates against the GitHub schemas it vendors (offline); zizmor runs with --offline.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.yml"))
ALL_FILES = [ROOT / "action.yml", *WORKFLOWS, *EXAMPLES]
ZIZMOR = Path(sys.executable).parent / "zizmor"
OWN_ACTION = "<owner>/nexus-autofix@"
EXAMPLES_ZIZMOR = ROOT / ".github" / "zizmor-examples.yml"
VERSION = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.MULTILINE)


def load(path: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def _rel(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def test_the_expected_files_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "nexus_smoke.yml", "release.yml"}
    assert {p.name for p in EXAMPLES} == {"last-step.yml", "final-job.yml", "workflow-run.yml", "slash-commands.yml"}


def _check_jsonschema(schema: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *_rel(files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_action_yml_matches_githubs_action_schema() -> None:
    proc = _check_jsonschema("vendor.github-actions", [ROOT / "action.yml"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflows_and_examples_match_githubs_workflow_schema() -> None:
    proc = _check_jsonschema("vendor.github-workflows", [*WORKFLOWS, *EXAMPLES])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schema_check_does_catch_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - rn: echo\n", "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0


def _zizmor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_zizmor_has_no_findings() -> None:
    proc = _zizmor(*_rel([ROOT / "action.yml", *WORKFLOWS]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout


def test_zizmor_has_no_findings_in_the_examples_beyond_the_placeholder_pin() -> None:
    proc = _zizmor("--config", str(EXAMPLES_ZIZMOR.relative_to(ROOT)), *_rel(EXAMPLES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout
    ignored = yaml.safe_load(EXAMPLES_ZIZMOR.read_text(encoding="utf-8"))["rules"]
    assert set(ignored) == {"unpinned-uses"}, "the examples' config may only let the placeholder pin through"


def test_zizmor_does_flag_an_unsafe_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request_target\npermissions: write-all\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo ${{ github.event.pull_request.title }}\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [str(ZIZMOR), "--offline", "--no-progress", str(bad)], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode != 0
    assert "template-injection" in proc.stdout


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_remote_action_is_pinned_to_a_full_sha_with_a_version_comment(path: Path) -> None:
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*(?:-\s*)?uses:\s*(\S+)(.*)", line)
        if not match or match.group(1).startswith("./"):
            continue
        ref, rest = match.groups()
        if ref.startswith(OWN_ACTION) and path in EXAMPLES:
            # The reader's own pin: placeholders, and the version of the release the docs describe.
            assert ref == OWN_ACTION + "<sha>", f"{path.name}: {ref}"
            assert VERSION is not None
            assert rest.strip() == f"# v{VERSION.group(1)}", f"{path.name}: {rest.strip()} is not the current release"
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref} is not pinned to a SHA"
        assert re.match(r"\s*# v\d+(\.\d+)*", rest), f"{path.name}: {ref} lacks a `# vX.Y.Z` comment"


def test_docs_show_the_placeholder_pin_and_how_to_find_the_sha() -> None:
    assert VERSION is not None
    pin = f"uses: <owner>/nexus-autofix@<sha> # v{VERSION.group(1)}"
    for doc in (ROOT / "README.md", ROOT / "docs" / "quick-start.md"):
        text = doc.read_text(encoding="utf-8")
        assert pin in text, doc.name
        assert "0000000000" not in text, f"{doc.name}: a fake SHA"
        assert "git ls-remote" in text or "quick-start.md" in text, doc.name


@pytest.mark.parametrize("path", [*WORKFLOWS, *EXAMPLES], ids=lambda p: p.name)
def test_no_expression_inside_run_scripts(path: Path) -> None:
    for job in load(path)["jobs"].values():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), f"{path.name}: {step.get('name') or step['run'][:40]}"


@pytest.mark.parametrize("path", [*WORKFLOWS, *EXAMPLES], ids=lambda p: p.name)
def test_permissions_are_least_privilege(path: Path) -> None:
    data = load(path)
    top = data.get("permissions")
    assert top is not None, f"{path.name} has no top-level permissions"
    assert top == {} or all(v == "read" for v in top.values()), f"{path.name}: write access at workflow level"
    assert top != "write-all"
    for name, job in data["jobs"].items():
        perms = job.get("permissions", {})
        assert isinstance(perms, dict), f"{path.name}:{name}"
        assert set(perms.values()) <= {"read", "write", "none"}


@pytest.mark.parametrize("path", [*WORKFLOWS, *EXAMPLES], ids=lambda p: p.name)
def test_checkouts_do_not_persist_credentials(path: Path) -> None:
    for job in load(path)["jobs"].values():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, path.name


def _reporting_jobs(data: dict[Any, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, job)
        for name, job in data["jobs"].items()
        if any(step.get("uses", "").startswith(OWN_ACTION) for step in job.get("steps", []))
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_report_in_a_per_pr_group_that_is_never_cancelled(path: Path) -> None:
    data = load(path)
    jobs = _reporting_jobs(data)
    assert jobs, f"{path.name} does not use the action"
    for name, job in jobs:
        group = job.get("concurrency") or data.get("concurrency")
        assert group, f"{path.name}:{name} has no concurrency group"
        assert group.get("cancel-in-progress", False) is False, f"{path.name}:{name} cancels a report in progress"
        assert re.search(r"pull_request\.number|issue\.number|head_branch", group["group"]), group["group"]
        writes = {k for k, v in (job.get("permissions") or data.get("permissions") or {}).items() if v == "write"}
        assert {"pull-requests", "issues"} <= writes, f"{path.name}:{name} cannot write the comment or issue"


def _step_with_own_action(job: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in job["steps"] if s.get("uses", "").startswith(OWN_ACTION))


def test_last_step_example_runs_only_on_failure_and_passes_its_log() -> None:
    job = load(ROOT / "docs" / "examples" / "last-step.yml")["jobs"]["lint"]
    last = job["steps"][-1]
    assert last is _step_with_own_action(job)
    assert last["if"] == "failure()"
    assert "log-path" in last["with"]


def test_final_job_example_needs_every_other_job_and_always_runs() -> None:
    data = load(ROOT / "docs" / "examples" / "final-job.yml")
    name, job = _reporting_jobs(data)[0]
    assert job["if"] == "always()"
    assert set(job["needs"]) == set(data["jobs"]) - {name}


def test_workflow_run_example_is_safe_for_forks() -> None:
    data = load(ROOT / "docs" / "examples" / "workflow-run.yml")
    assert data["on"]["workflow_run"]["types"] == ["completed"]
    _, job = _reporting_jobs(data)[0]
    for step in job["steps"]:
        # Never the PR's code: no ref/repository override pointing at the head.
        assert not {"ref", "repository"} & set(step.get("with", {})), step
        assert "run" not in step
    assert "workflow_run.conclusion" in job["if"]


def test_slash_command_example_runs_command_mode_on_pr_comments_only() -> None:
    data = load(ROOT / "docs" / "examples" / "slash-commands.yml")
    assert data["on"]["issue_comment"]["types"] == ["created"]
    _, job = _reporting_jobs(data)[0]
    assert "github.event.issue.pull_request" in job["if"]
    assert _step_with_own_action(job)["with"]["mode"] == "command"
    assert job["permissions"]["actions"] == "write"  # /nexus retry re-runs failed jobs


def test_ci_runs_make_test_and_both_checkers_on_everything() -> None:
    ci = load(ROOT / ".github" / "workflows" / "ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    runs = "\n".join(step.get("run", "") for job in ci["jobs"].values() for step in job.get("steps", []))
    assert "make test" in runs
    assert "--builtin-schema vendor.github-actions action.yml" in runs
    assert "--builtin-schema vendor.github-workflows" in runs
    assert ".github/workflows/*.yml docs/examples/*.yml" in runs
    assert re.search(r"zizmor\S*\" action\.yml \.github/workflows/\*\.yml\n", runs)
    assert re.search(r"zizmor\S*\" --offline --config \.github/zizmor-examples\.yml docs/examples/\*\.yml", runs)


def test_ci_runs_the_action_from_the_lock_on_every_supported_python_with_both_installers() -> None:
    job = load(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]["lock"]
    matrix = job["strategy"]["matrix"]
    assert matrix["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    assert set(matrix["installer"]) == {"uv", "pip"}
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    action = next(s for s in job["steps"] if s.get("uses") == "./")
    assert action["env"]["NEXUS_AUTOFIX_INSTALLER"] == "${{ matrix.installer }}"
    assert action["with"]["dry-run"] == "true"
    assert action["with"]["fail-on-error"] == "true", "an install failure must turn CI red"
    assert "NEXUS_AUTOFIX_PYTHON" not in str(job), "the lock must really be installed"
    assert ".[test]" not in str(job)
    assert any("check_outputs.py" in s.get("run", "") for s in job["steps"])


def test_release_workflow_tags_moves_the_major_and_publishes_the_sha() -> None:
    release = load(ROOT / ".github" / "workflows" / "release.yml")
    version = release["on"]["workflow_dispatch"]["inputs"]["version"]
    assert version["required"] is True
    assert release["permissions"] == {"contents": "read"}
    job = release["jobs"]["release"]
    assert job["permissions"] == {"contents": "write"}
    assert job["if"] == "github.ref == 'refs/heads/main'"
    assert release["concurrency"]["cancel-in-progress"] is False
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert 'scripts/release_notes.py "$VERSION" "$GITHUB_SHA" "$GITHUB_REPOSITORY"' in runs
    assert '"ref=refs/tags/v$VERSION"' in runs
    assert 'major="v${VERSION%%.*}"' in runs
    assert "-F force=true" in runs
    assert 'gh release create "v$VERSION"' in runs
    assert '--notes-file "$RUNNER_TEMP/notes.md"' in runs
    # The run step checks the version before any tag exists.
    order = [
        i for i, s in enumerate(job["steps"]) if "release_notes.py" in s.get("run", "") or "gh api" in s.get("run", "")
    ]
    assert "release_notes.py" in job["steps"][order[0]]["run"]


def test_smoke_workflow_runs_the_local_action_in_dry_run_on_bundled_fixtures() -> None:
    smoke = load(ROOT / ".github" / "workflows" / "nexus_smoke.yml")
    dispatch = smoke["on"]["workflow_dispatch"]
    assert dispatch["inputs"]
    # CI calls it, with the same inputs, so the Action itself runs on a real runner for every change.
    assert set(smoke["on"]["workflow_call"]["inputs"]) == set(dispatch["inputs"])
    ci_jobs = load(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]
    assert any(job.get("uses") == "./.github/workflows/nexus_smoke.yml" for job in ci_jobs.values())
    job = smoke["jobs"]["smoke"]
    assert job["strategy"]["matrix"]["os"] == ["ubuntu-latest", "macos-latest", "windows-latest"]
    assert smoke["defaults"]["run"]["shell"] == "bash"
    action = next(s for s in job["steps"] if s.get("uses") == "./")
    assert action["with"]["dry-run"] == "true"
    assert action["with"]["fail-on-error"] == "true"
    assert not any(s.get("uses", "").startswith("actions/setup-python@") for s in job["steps"]), (
        "the runner's own Python"
    )
    fixtures = [o for o in dispatch["inputs"]["fixture"]["options"] if o != "all"]
    for fixture in fixtures:
        assert (ROOT / "tests" / "data" / "smoke" / fixture / "fixture.json").is_file(), fixture
        assert fixture in job["strategy"]["matrix"]["fixture"]
    check = next(s for s in job["steps"] if "check_outputs.py" in s.get("run", ""))
    for name in ("domain", "agent", "top-blocker", "delivered-via", "report-path"):
        assert f"steps.nexus.outputs.{name} }}}}" in str(check["env"]), name
