"""Races with real processes: `nexus-autofix` started several times at once against the local stand-in GitHub.

Each race starts real CLI processes (`python -m nexus_action report|command ...`, GITHUB_API_URL pointing at the
stand-in on 127.0.0.1, which adds random latency to every request) at the same moment, waits for them, and checks
what a user would see. The default suite runs each race a few times (tests/test_races.py); for the repeated
count run:

    .venv/bin/python -m tests.races --repeat 20            # every race, 20 times each
    .venv/bin/python -m tests.races --repeat 20 fix_4      # one race
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nexus_action.classify.model import Blocker, Classification
from nexus_action.config.settings import Settings
from nexus_action.dashboard import read_records
from nexus_action.dashboard.render import DASHBOARD_MARKER
from nexus_action.report import build_report
from nexus_action.report.derive import read_doc
from nexus_action.report.model import FailedJob, Snapshot
from tests.commands.standin import CommandsGitHub
from tests.fakegithub.server import Fault

DATA = Path(__file__).parent / "data" / "events" / "derived"
REPO = "octo-org/octo-repo"
PR = 42
SHA = "5779607b49aab1200488439f02372c57b4f75444"
BOT = "github-actions[bot]"
LATENCY = (0.0, 0.04)
LOG = (
    "2026-01-01T00:00:01.0000000Z ##[group]Run pytest\n"
    "2026-01-01T00:00:02.0000000Z FAILED tests/test_{n}.py::test_{n} - assert 1 == 2\n"
    "2026-01-01T00:00:03.0000000Z ##[error]Process completed with exit code 1.\n"
)


@dataclass
class Proc:
    args: list[str]
    env: dict[str, str]
    folder: Path


def _env(app: CommandsGitHub, folder: Path, **extra: str) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GITHUB_TOKEN": "ghs_race_token_1234567890",
        "GITHUB_API_URL": app.base_url,
        "GITHUB_SERVER_URL": app.server_url,
        "GITHUB_REPOSITORY": REPO,
        "RUNNER_TEMP": str(folder),
        "GITHUB_STEP_SUMMARY": str(folder / "summary.md"),
        "GITHUB_OUTPUT": str(folder / "output.txt"),
        **extra,
    }


def run_at_once(procs: list[Proc]) -> list[subprocess.CompletedProcess[str]]:
    """Start every process, then wait for all (the stand-in answers them concurrently)."""
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "nexus_action", *p.args],
            env=p.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in procs
    ]
    done = []
    for proc, p in zip(started, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(p.args, proc.returncode, out, err))
    return done


def _failed(done: list[subprocess.CompletedProcess[str]]) -> str | None:
    bad = [d for d in done if d.returncode != 0]
    return f"exit {bad[0].returncode}: {bad[0].stderr.strip()[-400:]}" if bad else None


def _standin() -> CommandsGitHub:
    app = CommandsGitHub(repository=REPO, server_url="https://github.example")
    app.latency = LATENCY
    app.start("/api/v3")
    app.add_pr(PR, SHA)
    return app


def _report_procs(app: CommandsGitHub, tmp: Path, runs: list[int]) -> list[Proc]:
    event = str(DATA / "workflow_run.failed_on_pr.json")
    return [
        Proc(
            ["report", "--event", event, "--run-id", str(r), "--out", str(tmp / f"r{r}")], _env(app, tmp / f"r{r}"), tmp
        )
        for r in runs
    ]


def _runs_with_jobs(app: CommandsGitHub, n: int) -> list[int]:
    runs = [2000 + i for i in range(n)]
    for r in runs:
        app.add_job(r, f"job-{r}", "failure", log=LOG.format(n=r).encode(), step="Run pytest")
    return runs


def _one_report(app: CommandsGitHub, where: str) -> tuple[str | None, str]:
    if where == "comment":
        bots = app.bot_comments(PR)
        if len(bots) != 1:
            return f"{len(bots)} bot comments", ""
        return None, bots[0]["body"]
    issues = [i for i in app.issues.values() if "pull_request" not in i and i["user"]["login"] == BOT]
    opened = [i for i in issues if i["state"] == "open" and i["title"].startswith("NEXUS AutoFix report")]
    if len(opened) != 1:
        return f"{len(opened)} open fallback issues", ""
    return None, opened[0]["body"]


def _lists_every_run(body: str, runs: list[int]) -> str | None:
    doc, _ = read_doc(body)
    jobs = {(r.run_id, j.name) for r in doc.runs for j in r.jobs}
    missing = [r for r in runs if (r, f"job-{r}") not in jobs]
    return f"state lacks runs {missing}" if missing else None


def reports(n: int, where: str) -> Callable[[Path], str | None]:
    def race(tmp: Path) -> str | None:
        app = _standin()
        try:
            if where == "issue":
                app.locked.add(PR)  # comments refused: every run falls back to the issue
            runs = _runs_with_jobs(app, n)
            problem = _failed(run_at_once(_report_procs(app, tmp, runs)))
            if problem:
                return problem
            problem, body = _one_report(app, where)
            return problem or _lists_every_run(body, runs)
        finally:
            app.stop()

    return race


def _seed_report(app: CommandsGitHub) -> None:
    """An existing report on the PR (as an earlier run left it), failing on the PR's head."""
    top = Blocker(log_line=2, text="FAILED tests/test_x.py::test_x - assert 1 == 2", file="tests/test_x.py")
    job = FailedJob(
        "unit", Classification("python", "Atlas", "test", "pytest", 0.9, top_blocker=top), job_id=77, step="Run"
    )
    snap = Snapshot(REPO, 1000, 1, SHA, "feature", "2026-01-01T00:00:00Z", (job,), pr_number=PR, workflow="CI")
    app.add_comment(PR, build_report(snap, None, settings=Settings(), now="2026-01-01T00:00:00Z").comment_md, BOT)
    app.add_run(1000, "CI", SHA)
    app.permissions["octocat"] = ("write", "write")


def _command_procs(app: CommandsGitHub, tmp: Path, bodies: list[str]) -> list[Proc]:
    template = json.loads((DATA / "issue_comment.retry_on_pr.json").read_text(encoding="utf-8"))
    procs = []
    for i, text in enumerate(bodies):
        comment = app.add_comment(PR, text, "octocat")
        payload = json.loads(json.dumps(template))
        payload["issue"]["number"] = PR
        payload["comment"].update(id=comment["id"], body=text, user={"login": "octocat", "type": "User"})
        payload["comment"]["author_association"] = "MEMBER"
        folder = tmp / f"c{i}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "event.json").write_text(json.dumps(payload), encoding="utf-8")
        args = ["command", "--event", str(folder / "event.json"), "--repo", REPO, "--out", str(folder)]
        procs.append(Proc(args, _env(app, folder, GITHUB_EVENT_NAME="issue_comment"), folder))
    return procs


def commands(word: str, n: int, expected: int) -> Callable[[Path], str | None]:
    def race(tmp: Path) -> str | None:
        app = _standin()
        try:
            _seed_report(app)
            problem = _failed(run_at_once(_command_procs(app, tmp, [f"/nexus {word}"] * n)))
            if problem:
                return problem
            acted = len(app.reruns) if word == "retry" else len(app.dispatches)
            if acted != expected:
                said = [(tmp / f"c{i}" / "summary.md").read_text(encoding="utf-8").splitlines()[-1] for i in range(n)]
                return f"{n} concurrent /nexus {word}: acted {acted} times, expected {expected}: {said}"
            problem, body = _one_report(app, "comment")
            doc, _ = read_doc(body)
            spent = [c for c in doc.claims if c.kind == word and c.state in ("done", "failed")]
            if len(spent) != expected:
                return problem or f"the state shows {len(spent)} spent {word} claims, expected {expected}"
            return problem
        finally:
            app.stop()

    return race


def report_vs_mute_retry(tmp: Path) -> str | None:
    app = _standin()
    try:
        _seed_report(app)
        runs = _runs_with_jobs(app, 1)
        procs = [*_report_procs(app, tmp, runs), *_command_procs(app, tmp, ["/nexus mute", "/nexus retry"])]
        done = run_at_once(procs)
        problem = _failed(done)
        if problem:
            return problem
        problem, body = _one_report(app, "comment")
        if problem:
            return problem
        doc, _ = read_doc(body)
        if not (doc.muted and doc.muted.value):
            return "the mute was lost"
        if len(app.reruns) != 1 or not [c for c in doc.claims if c.kind == "retry" and c.state == "done"]:
            return f"the retry was lost (re-runs: {app.reruns})"
        said_muted = "muted" in (tmp / f"r{runs[0]}" / "summary.md").read_text(encoding="utf-8")
        if not said_muted and _lists_every_run(body, runs):
            return "the report's run was lost (and the report did not find the PR muted)"
        return None
    finally:
        app.stop()


def slow_report_vs_mute(tmp: Path) -> str | None:
    """`/nexus mute` lands while a report is comparing its job with the last green run (the lookup drips), after
    the report listed the PR's comments for the green run an earlier report used: the report must not write
    over the mute from that earlier listing."""
    app = _standin()
    try:
        _seed_report(app)
        runs = _runs_with_jobs(app, 1)
        # About 7 s for the lookup's answer: the mute's whole command (start, claim, re-read) fits inside it.
        app.faults.append(Fault("GET", rf"/repos/{REPO}/actions/workflows/[^/]+/runs", drip=0.2))
        [report] = _report_procs(app, tmp, runs)
        started = subprocess.Popen(
            [sys.executable, "-m", "nexus_action", *report.args],
            env=report.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # The lookup comes right after the report listed the comments for the earlier report's green run.
        until = time.monotonic() + 60
        while not any(m == "GET" and p.endswith("/runs") and "/workflows/" in p for m, p in list(app.seen)):
            if started.poll() is not None or time.monotonic() > until:
                break
            time.sleep(0.05)
        problem = _failed(run_at_once(_command_procs(app, tmp, ["/nexus mute"])))
        out, err = started.communicate(timeout=120)
        problem = problem or _failed([subprocess.CompletedProcess(report.args, started.returncode, out, err)])
        if problem:
            return problem
        problem, body = _one_report(app, "comment")
        if problem:
            return problem
        doc, _ = read_doc(body)
        if not (doc.muted and doc.muted.value):
            return "the mute was lost: the report wrote over it from the listing it took before comparing"
        if "muted" not in (tmp / f"r{runs[0]}" / "summary.md").read_text(encoding="utf-8"):
            return "the report did not find the PR muted"
        return None
    finally:
        app.stop()


def dashboard(n: int) -> Callable[[Path], str | None]:
    def race(tmp: Path) -> str | None:
        app = _standin()
        try:
            procs = []
            for i in range(n):
                run, sha = 3000 + i, f"{i + 1:040x}"
                app.add_job(run, f"build-{i}", "failure", log=LOG.format(n=i).encode(), step="Run pytest")
                folder = tmp / f"d{i}"
                args = ["report", "--event-name", "push", "--repo", REPO, "--run-id", str(run), "--sha", sha]
                env = _env(app, folder, GITHUB_REF=f"refs/heads/branch-{i}", AUTOFIX_DASHBOARD_ENABLED="true")
                procs.append(Proc([*args, "--out", str(folder)], env, folder))
            problem = _failed(run_at_once(procs))
            if problem:
                return problem
            ours = [i for i in app.issues.values() if DASHBOARD_MARKER in (i.get("body") or "")]
            opened = [i for i in ours if i["state"] == "open"]
            if len(opened) != 1:
                return f"{len(opened)} open dashboards"
            listed = sorted(r.run_id for r in read_records(opened[0]["body"])[0])
            return None if listed == [3000 + i for i in range(n)] else f"the dashboard lists runs {listed}"
        finally:
            app.stop()

    return race


def last_step(n: int) -> Callable[[Path], str | None]:
    """One run, a matrix of `n` legs all failing: each leg's last step reports with its own --log file."""

    def race(tmp: Path) -> str | None:
        app = _standin()
        try:
            run = 4000
            legs = [f"test (os-{i}, 3.12)" for i in range(n)]
            for i, leg in enumerate(legs):
                job_id = app.add_job(run, leg, "failure", log=None, step="Run pytest")
                job = app.jobs[run][-1]
                job.update(status="in_progress", conclusion=None, runner_name=f"runner-{i}")
                assert job["id"] == job_id
            procs = []
            for i in range(n):
                folder = tmp / f"l{i}"
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "job.log").write_text(LOG.format(n=i), encoding="utf-8")
                event = str(DATA / "workflow_run.failed_on_pr.json")
                args = ["report", "--event", event, "--run-id", str(run), "--log", f"test={folder / 'job.log'}"]
                env = _env(app, folder, RUNNER_NAME=f"runner-{i}", GITHUB_JOB="test", GITHUB_ACTIONS="true")
                procs.append(Proc([*args, "--out", str(folder)], env, folder))
            problem = _failed(run_at_once(procs))
            if problem:
                return problem
            problem, body = _one_report(app, "comment")
            if problem:
                return problem
            doc, _ = read_doc(body)
            shown = sorted(j.name for r in doc.runs if r.run_id == run for j in r.jobs)
            if shown != sorted(legs):
                return f"the report shows jobs {shown}"
            missing = [leg for leg in legs if leg not in body]
            return f"the comment does not show {missing}" if missing else None
        finally:
            app.stop()

    return race


RACES: dict[str, Callable[[Path], str | None]] = {
    "reports_2": reports(2, "comment"),
    "reports_5": reports(5, "comment"),
    "reports_10": reports(10, "comment"),
    "issue_reports_2": reports(2, "issue"),
    "issue_reports_5": reports(5, "issue"),
    "issue_reports_10": reports(10, "issue"),
    "report_vs_mute_retry": report_vs_mute_retry,
    "retry_4": commands("retry", 4, 2),
    "fix_4": commands("fix", 4, 1),
    "dashboard_5": dashboard(5),
    "last_step_3": last_step(3),
    "slow_report_vs_mute": slow_report_vs_mute,
}


def run_race(name: str) -> str | None:
    with tempfile.TemporaryDirectory(prefix=f"nexus-race-{name}-") as tmp:
        return RACES[name](Path(tmp))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.races", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("names", nargs="*", choices=[*RACES, []], default=[])
    args = parser.parse_args(argv)
    failures = 0
    for name in args.names or list(RACES):
        passed, problems = 0, []
        started = time.monotonic()
        for _ in range(args.repeat):
            problem = run_race(name)
            if problem is None:
                passed += 1
            else:
                problems.append(problem)
        failures += args.repeat - passed
        took = time.monotonic() - started
        print(f"{name}: {passed}/{args.repeat} passed ({took:.0f} s)", flush=True)
        for problem in dict.fromkeys(problems):
            print(f"  - {problem}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
