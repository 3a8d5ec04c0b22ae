"""A small stand-in for the GitHub Actions runner: runs a workflow job, or action.yml's composite steps, as GitHub does.

Like the runner (actions/runner; the workflow-syntax docs; its ADR 1438 on conditionals in composite actions):

- `run:` steps go to a script file run by the step's shell: no `shell:` means `bash -e {0}` (no pipefail);
  `shell: bash` means `bash --noprofile --norc -eo pipefail {0}`; `sh` means `sh -e {0}`; `cmd {0}` as written.
- `if:` is parsed and evaluated (the expression language's operators, literals, contexts and functions used by
  our workflows). An `if:` without a status function means `success() && (...)`. The status functions look at
  the job's status in a job's steps and in post steps, and at the action's own status (github.action_status)
  in a composite action's main steps. A failed step (without continue-on-error) fails its job or action.
- `env:` workflow < job < step, with `${{ }}` evaluated; GITHUB_ENV and GITHUB_PATH carry on to later steps; a
  composite action's steps inherit the env of the step that called it; inputs get their defaults evaluated.
- Every step gets its own GITHUB_OUTPUT and GITHUB_STEP_SUMMARY; the summaries are joined into the job's.
- `uses:` actions/checkout (nothing to do: the workspace is there), actions/cache/restore and actions/cache/save
  against a local folder standing in for the cache service (keys, restore-keys, cache-hit as actions/cache sets
  them), actions/cache (restore now, save in a post step under its `post-if: success()`), and the action under
  test (`./` or `<owner>/nexus-autofix@<ref>`), run from this checkout.

Not emulated: containers, services, matrices, cancellation, step timeouts, secret masking, problem matchers.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASH = shutil.which("bash") or "/bin/bash"
SHELLS = {
    None: [BASH, "-e", "{0}"],
    "bash": [BASH, "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
}
OWN_ACTION = re.compile(r"^(?:\./?|(?:<owner>|[\w.-]+)/nexus-autofix@(?:<sha>|[\w.-]+))$")
FAKE_TOKEN = "ghs_" + "Emulat0r" * 4 + "x"

# --- the expression language --------------------------------------------------------------------------------

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|&&|\|\||[!()<>,])"
    r"|(?P<name>[A-Za-z_][\w-]*(?:\.[A-Za-z_*][\w-]*)*))"
)
STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text.rstrip()):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise AssertionError(f"the emulator cannot parse {text!r} at {text[pos:]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _number(value: Any) -> float:
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return float("nan")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()  # GitHub compares strings ignoring case
    if type(a) is type(b) and not isinstance(a, (int, float)):
        return bool(a == b)
    return _number(a) == _number(b)


def truthy(value: Any) -> bool:
    return value not in (None, False, "", 0, 0.0)


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


class Expression:
    """One parsed expression, evaluated against a context and a status function."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.uses_status = any(k == "name" and v in STATUS_FUNCTIONS for k, v in self.tokens)

    def evaluate(self, context: dict[str, Any], status: Callable[[], str]) -> Any:
        self._context, self._status, self._pos = context, status, 0
        value = self._or()
        if self._pos != len(self.tokens):
            raise AssertionError(f"the emulator cannot parse {self.text!r}")
        return value

    def _peek(self) -> str:
        return self.tokens[self._pos][1] if self._pos < len(self.tokens) else ""

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.tokens[self._pos]
        if expected is not None and token[1] != expected:
            raise AssertionError(f"expected {expected!r} in {self.text!r}")
        self._pos += 1
        return token

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._compare()
        while self._peek() == "&&":
            self._take()
            right = self._compare()
            value = right if truthy(value) else value
        return value

    def _compare(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!=", "<", ">", "<=", ">="):
            op = self._take()[1]
            right = self._unary()
            if op in ("==", "!="):
                value = _equal(value, right) == (op == "==")
            else:
                a, b = _number(value), _number(right)
                value = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        kind, text = self._take()
        if text == "(":
            value = self._or()
            self._take(")")
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if kind != "name":
            raise AssertionError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == "(":
            self._take()
            args: list[Any] = []
            while self._peek() != ")":
                args.append(self._or())
                if self._peek() == ",":
                    self._take()
            self._take(")")
            return self._call(text, args)
        return self._lookup(text)

    def _call(self, name: str, args: list[Any]) -> Any:
        if name in STATUS_FUNCTIONS:
            status = self._status()
            return {"success": status == "success", "failure": status == "failure", "always": True}.get(name, False)
        text = [as_text(a) for a in args]
        functions: dict[str, Callable[[], Any]] = {
            "contains": lambda: text[1].casefold() in text[0].casefold(),
            "startsWith": lambda: text[0].casefold().startswith(text[1].casefold()),
            "endsWith": lambda: text[0].casefold().endswith(text[1].casefold()),
            "format": lambda: re.sub(r"\{(\d+)\}", lambda m: text[int(m.group(1)) + 1], text[0]),
            "fromJSON": lambda: json.loads(text[0]),
            "toJSON": lambda: json.dumps(args[0]),
        }
        if name not in functions:
            raise AssertionError(f"the emulator has no function {name}(): keep expressions to what it runs")
        return functions[name]()

    def _lookup(self, path: str) -> Any:
        head, *rest = path.split(".")
        if head not in self._context:
            raise AssertionError(f"unknown context {head!r} in {self.text!r}")
        value: Any = self._context[head]
        for part in rest:
            value = value.get(part) if isinstance(value, dict) else None
        return value


TEMPLATE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.DOTALL)


def substitute(text: Any, context: dict[str, Any], status: Callable[[], str]) -> str:
    return TEMPLATE.sub(lambda m: as_text(Expression(m.group(1)).evaluate(context, status)), as_text(text))


def condition_holds(condition: Any, context: dict[str, Any], status: Callable[[], str]) -> bool:
    if condition is None:
        condition = "success()"
    text = str(condition).strip()
    match = TEMPLATE.fullmatch(text)
    expression = Expression(match.group(1) if match else text)
    value = expression.evaluate(context, status)
    if not expression.uses_status:  # GitHub adds `success() &&` to an if: without a status function
        return status() == "success" and truthy(value)
    return truthy(value)


# --- files the runner hands to steps ------------------------------------------------------------------------


def parse_file_commands(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV: `name=value` and `name<<DELIMITER` ... `DELIMITER`."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = next(j for j in range(i + 1, len(lines)) if lines[j].rstrip("\r") == delimiter)
            values[name] = "\n".join(x.rstrip("\r") for x in lines[i + 1 : end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        i += 1
    return values


ANNOTATION = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$", re.MULTILINE)


@dataclass
class StepResult:
    name: str
    id: str | None
    outcome: str  # success, failure or skipped
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # user + system time of the step's processes: less at the mercy of the machine's load
    phase: str = "main"
    children: list[StepResult] = field(default_factory=list)

    @property
    def ran(self) -> bool:
        return self.outcome != "skipped"

    def all_output(self) -> str:
        return self.stdout + self.stderr + "".join(c.all_output() for c in self.children)


@dataclass
class JobResult:
    status: str
    steps: list[StepResult]
    summary: str
    seconds: float

    def step(self, key: str) -> StepResult:
        for step in self.all_steps():
            if key in (step.id, step.name):
                return step
        raise KeyError(key)

    def all_steps(self) -> list[StepResult]:
        out: list[StepResult] = []
        for step in self.steps:
            out += [step, *step.children]
        return out

    def annotations(self, level: str = "error") -> list[str]:
        text = "".join(s.all_output() for s in self.steps)
        return [m.group(3) for m in ANNOTATION.finditer(text) if m.group(1) == level]


# --- the runner ---------------------------------------------------------------------------------------------


class Runner:
    """One machine: a workspace, RUNNER_TEMP, HOME, and a cache service that outlives its jobs."""

    def __init__(
        self,
        tmp: Path,
        *,
        action_root: Path = ROOT,
        env: dict[str, str] | None = None,
        event_name: str = "pull_request",
        event_path: Path | None = None,
        cache_store: Path | None = None,
        timeout: float = 120,
    ) -> None:
        self.tmp = tmp
        self.action_root = action_root
        self.cache_store = cache_store or tmp / "cache-service"
        self.timeout = timeout
        self.event_name = event_name
        self.event_path = event_path or ROOT / "tests" / "data" / "smoke" / "rust-clippy-pr" / "event.json"
        self.extra_env = env or {}
        self.jobs = 0

    def _job_dirs(self) -> tuple[Path, Path, Path]:
        """A fresh runner per job (hosted runners are): new workspace, RUNNER_TEMP and HOME."""
        self.jobs += 1
        base = self.tmp / f"job-{self.jobs}"
        dirs = (base / "workspace", base / "runner-temp", base / "home")
        for folder in dirs:
            folder.mkdir(parents=True, exist_ok=True)
        # What actions/checkout leaves: the repository's smoke fixtures inside the workspace (the action reads
        # logs only from the workspace and RUNNER_TEMP).
        shutil.copytree(ROOT / "tests" / "data" / "smoke", base / "workspace" / "tests" / "data" / "smoke")
        return dirs

    def run_job(self, workflow: dict[str, Any], job_id: str, *, job_env: dict[str, str] | None = None) -> JobResult:
        job = workflow["jobs"][job_id]
        workspace, temp, home = self._job_dirs()
        self.workspace, self.temp = workspace, temp
        self.job_status = "success"
        self.summary_parts: list[str] = []
        self.path_prepend: list[str] = []
        self.posts: list[tuple[str, str, Callable[[], StepResult]]] = []
        base_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "CI": "true",
            "PIP_CONFIG_FILE": os.devnull,  # a clean runner: no pip.conf of this machine
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_EVENT_PATH": str(self.event_path),
            "GITHUB_REPOSITORY": "Codertocat/Hello-World",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_JOB": job_id,
            "GITHUB_WORKFLOW": str(workflow.get("name", "CI")),
            "GITHUB_SHA": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
            "GITHUB_REF": "refs/pull/2/merge",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": "https://api.github.com",
            "RUNNER_TEMP": str(temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            **self.extra_env,
        }
        self.job_env = {**base_env, **{k: str(v) for k, v in (workflow.get("env") or {}).items()}}
        self.job_env.update({k: str(v) for k, v in (job.get("env") or {}).items()})
        self.job_env.update(job_env or {})
        shell = (job.get("defaults") or workflow.get("defaults") or {}).get("run", {}).get("shell")
        start = time.perf_counter()
        results: list[StepResult] = []
        for index, step in enumerate(job.get("steps", [])):
            context = self._context(steps={r.id: self._step_context(r) for r in results if r.id})
            result = self._step(
                step,
                f"{job_id}-{index}",
                context,
                env=self.job_env,
                status=lambda: self.job_status,
                default_shell=shell,
            )
            results.append(result)
            if result.outcome == "failure" and not step.get("continue-on-error"):
                self.job_status = "failure"
        for name, condition, post in reversed(self.posts):
            if condition_holds(condition, self._context(steps={}), lambda: self.job_status):
                results.append(post())
            else:
                results.append(StepResult(f"Post {name}", None, "skipped", phase="post"))
        summary = "".join(self.summary_parts)
        return JobResult(self.job_status, results, summary, time.perf_counter() - start)

    def run_action(
        self, inputs: dict[str, str], *, job_failed: bool = False, env: dict[str, str] | None = None
    ) -> JobResult:
        """The action as the last step of a job: `if: failure()` after a failed step, else a plain step."""
        steps: list[dict[str, Any]] = []
        if job_failed:
            steps.append({"name": "the build", "run": "echo 'error: the build failed'; exit 1"})
        steps.append(
            {"name": "NEXUS AutoFix", "id": "nexus", "uses": "./", "with": inputs}
            | ({"if": "failure()"} if job_failed else {})
        )
        workflow = {"name": "CI", "jobs": {"lint": {"runs-on": "ubuntu-latest", "steps": steps}}}
        return self.run_job(workflow, "lint", job_env=env)

    # -- contexts

    def _context(self, **extra: Any) -> dict[str, Any]:
        event = json.loads(self.event_path.read_text(encoding="utf-8")) if self.event_path.is_file() else {}
        return {
            "github": {
                "token": FAKE_TOKEN,
                "workspace": str(self.workspace),
                "event_name": self.event_name,
                "event": event,
                "repository": "Codertocat/Hello-World",
                "run_id": "4242",
                "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
                "ref": "refs/pull/2/merge",
            },
            "runner": {"os": "Linux", "arch": "X64", "temp": str(self.temp)},
            "env": dict(self.job_env),
            "job": {"status": self.job_status},
            "inputs": {},
            "steps": {},
            **extra,
        }

    @staticmethod
    def _step_context(result: StepResult) -> dict[str, Any]:
        return {"outputs": result.outputs, "outcome": result.outcome, "conclusion": result.outcome}

    # -- one step

    def _step(
        self,
        step: dict[str, Any],
        label: str,
        context: dict[str, Any],
        *,
        env: dict[str, str],
        status: Callable[[], str],
        default_shell: str | None,
    ) -> StepResult:
        name = str(step.get("name") or step.get("uses") or str(step.get("run", "")).split("\n")[0])
        if not condition_holds(step.get("if"), context, status):
            return StepResult(name, step.get("id"), "skipped")
        step_env = {**env, **{k: substitute(v, context, status) for k, v in (step.get("env") or {}).items()}}
        start = time.perf_counter()
        if "run" in step:
            result = self._run_script(step, label, context, env=step_env, status=status, default_shell=default_shell)
        else:
            with_ = {k: substitute(v, context, status) for k, v in (step.get("with") or {}).items()}
            result = self._uses(str(step["uses"]), with_, step_env, context)
        result.name, result.id, result.seconds = name, step.get("id"), time.perf_counter() - start
        return result

    def _run_script(
        self,
        step: dict[str, Any],
        label: str,
        context: dict[str, Any],
        *,
        env: dict[str, str],
        status: Callable[[], str],
        default_shell: str | None,
    ) -> StepResult:
        shell = step.get("shell", default_shell)
        command = SHELLS.get(shell) or str(shell).split()
        if "{0}" not in command:
            command = [*command, "{0}"]
        script = self.temp / f"step-{label}.sh"
        script.write_text(substitute(step["run"], context, status), encoding="utf-8")
        files = {name: self.temp / f"{name.lower()}-{label}" for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH")}
        files["GITHUB_STEP_SUMMARY"] = self.temp / f"summary-{label}.md"
        for path in files.values():
            path.write_text("", encoding="utf-8")
        run_env = {**env, **{k: str(v) for k, v in files.items()}}
        if self.path_prepend:
            run_env["PATH"] = os.pathsep.join([*reversed(self.path_prepend), run_env.get("PATH", "")])
        workdir = self.workspace / str(step.get("working-directory", "."))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            proc = subprocess.run(
                [str(script) if part == "{0}" else part for part in command],
                env=run_env,
                cwd=workdir,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
            code, out, err = proc.returncode, proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as exc:
            code, out, err = 124, str(exc.stdout or ""), f"timed out after {self.timeout} s"
        self.summary_parts.append(files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8"))
        self.job_env.update(parse_file_commands(files["GITHUB_ENV"].read_text(encoding="utf-8")))
        self.path_prepend += [p for p in files["GITHUB_PATH"].read_text(encoding="utf-8").splitlines() if p]
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        outputs = parse_file_commands(files["GITHUB_OUTPUT"].read_text(encoding="utf-8"))
        result = StepResult("", None, "success" if code == 0 else "failure", code, out, err, outputs)
        result.cpu_seconds = cpu
        return result

    def _uses(self, uses: str, with_: dict[str, str], env: dict[str, str], context: dict[str, Any]) -> StepResult:
        if uses.startswith("actions/checkout@"):
            return StepResult("", None, "success")
        if uses.startswith("actions/cache/restore@"):
            return self._cache_restore(with_)
        if uses.startswith("actions/cache/save@"):
            return self._cache_save(with_)
        if uses.startswith("actions/cache@"):
            self.posts.append(("actions/cache", "success()", lambda: self._cache_save(with_, post=True)))
            return self._cache_restore(with_)
        if OWN_ACTION.match(uses):
            return self._composite(self.action_root, with_, env, context)
        raise AssertionError(f"the emulator cannot run {uses}")

    # -- composite actions (ADR 1438: main steps look at the action's own status)

    def _composite(
        self, action_dir: Path, with_: dict[str, str], env: dict[str, str], caller: dict[str, Any]
    ) -> StepResult:
        meta = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
        declared = meta.get("inputs") or {}
        unknown = set(with_) - set(declared)
        assert not unknown, f"inputs not declared in action.yml: {sorted(unknown)}"
        inputs = {n: substitute(s.get("default", ""), caller, lambda: "success") for n, s in declared.items()}
        inputs.update(with_)
        state = {"action_status": "success"}  # what success() and failure() look at inside the action
        children: list[StepResult] = []
        steps: dict[str, Any] = {}
        base_env = {**env, "GITHUB_ACTION_PATH": str(action_dir)}
        for index, step in enumerate(meta["runs"]["steps"]):
            assert "run" not in step or step.get("shell"), "a composite run: step must name its shell"
            context = self._context(inputs=inputs, steps=steps)
            context["github"] |= {"action_path": str(action_dir), "action_status": state["action_status"]}
            label = f"action-{self.jobs}-{index}"
            result = self._step(
                step, label, context, env=base_env, status=lambda: state["action_status"], default_shell=None
            )
            children.append(result)
            if result.id:
                steps[result.id] = self._step_context(result)
            if result.outcome == "failure" and not step.get("continue-on-error"):
                state["action_status"] = "failure"
        context = self._context(inputs=inputs, steps=steps)
        outputs = {
            n: substitute(s["value"], context, lambda: "success") for n, s in (meta.get("outputs") or {}).items()
        }
        return StepResult("", None, state["action_status"], outputs=outputs, children=children)

    # -- the cache service

    def _cache_paths(self, with_: dict[str, str]) -> list[Path]:
        paths = [line.strip() for line in with_.get("path", "").splitlines() if line.strip()]
        return [
            Path(os.path.expanduser(p)) if os.path.isabs(os.path.expanduser(p)) else self.workspace / p for p in paths
        ]

    def _entry(self, key: str) -> Path:
        return self.cache_store / hashlib.sha256(key.encode()).hexdigest()[:24]

    def _cache_restore(self, with_: dict[str, str]) -> StepResult:
        key = with_["key"]
        outputs = {"cache-primary-key": key}
        candidates = [self._entry(key)]
        entries = sorted(self.cache_store.glob("*/key"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for prefix in [line.strip() for line in with_.get("restore-keys", "").splitlines() if line.strip()]:
            candidates += [p.parent for p in entries if p.read_text(encoding="utf-8").startswith(prefix)]
        found = next((c for c in candidates if (c / "key").is_file()), None)
        if found is None:
            return StepResult("", None, "success", stdout=f"Cache not found for input keys: {key}\n", outputs=outputs)
        matched = (found / "key").read_text(encoding="utf-8")
        for i, path in enumerate(self._cache_paths(with_)):
            if (found / str(i)).exists():
                shutil.rmtree(path, ignore_errors=True)
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copytree(found / str(i), path, symlinks=True)
        outputs |= {"cache-matched-key": matched, "cache-hit": "true" if matched == key else "false"}
        return StepResult("", None, "success", stdout=f"Cache restored from key: {matched}\n", outputs=outputs)

    def _cache_save(self, with_: dict[str, str], *, post: bool = False) -> StepResult:
        key = with_["key"]
        entry = self._entry(key)
        name = "Post actions/cache" if post else ""
        if (entry / "key").is_file():
            return StepResult(name, None, "success", stdout=f"::warning::Cache already exists for key: {key}\n")
        paths = self._cache_paths(with_)
        if not any(p.exists() for p in paths):
            return StepResult(name, None, "success", stdout="::warning::Path Validation Error: no path exists\n")
        staging = entry.with_name(entry.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for i, path in enumerate(paths):
            if path.exists():
                shutil.copytree(path, staging / str(i), symlinks=True)
        (staging / "key").write_text(key, encoding="utf-8")
        staging.rename(entry)
        return StepResult(
            name, None, "success", stdout=f"Cache saved with key: {key}\n", phase="post" if post else "main"
        )

    def cached_keys(self) -> list[str]:
        return sorted(p.read_text(encoding="utf-8") for p in self.cache_store.glob("*/key"))
