#!/usr/bin/env bash
# Start-up cost of the Action: action.yml's own steps, run by the runner emulator of the tests
# (tests/runner_emulator.py) on the rust-clippy smoke fixture in dry-run, for each installer in the same run:
#
#   pip         NEXUS_AUTOFIX_INSTALLER=pip: python -m venv + pip install --require-hashes
#   uv          the default on a runner without uv: pip installs the pinned uv wheel, then uv venv + uv pip install
#   uv-on-path  the default on a runner image that has uv
#
# and for each, two starts on one emulated machine:
#
#   cold   empty caches: no saved venv, empty pip and uv download caches
#   warm   the venv restored by actions/cache/restore (here a local copy): install only checks the lock stamp
#
# Columns are seconds (median of the rounds) of the action's own steps: setup (find Python, hash the lock),
# install (the install step alone), run (the CLI), and their sum (own), wall-clock; install-cpu and own-cpu are
# the CPU time (user + system) of those steps' processes, which the machine's load inflates far less than wall
# time. restore/save are the emulated cache service, a local copy: on GitHub they are a download/upload of the
# venv, not measured here.
#
# Usage: benchmarks/cold_start.sh [rounds]   (BASE_PYTHON=/path/to/python3: the runner's Python)
# Needs the network (the package index) for the cold starts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${1:-3}"
DRIVER_PYTHON="${DRIVER_PYTHON:-$ROOT/.venv/bin/python}"
# The interpreter the action finds as python3; resolve shims (pyenv) to the real binary, as on a runner.
BASE_PYTHON="$("${BASE_PYTHON:-python3}" -c 'import sys; print(sys.executable)')"
UV="${UV:-$(dirname "$DRIVER_PYTHON")/uv}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$DRIVER_PYTHON" - "$ROOT" "$WORK" "$BASE_PYTHON" "$UV" "$ROUNDS" <<'PY'
import os
import statistics
import sys
from pathlib import Path

root, work, base_python, uv, rounds = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
sys.path.insert(0, str(root))
from tests.action_support import fixture_inputs, tools_path  # noqa: E402
from tests.runner_emulator import Runner  # noqa: E402

STEPS = {"setup": "setup", "restore": "restore", "install": "install", "run": "run", "save": "Save the virtualenv"}


def machine(tmp: Path, installer: str) -> Runner:
    python_bin = tmp / "python-bin"
    python_bin.mkdir(parents=True)
    (python_bin / "python3").symlink_to(base_python)
    extra = [python_bin]
    if installer == "uv-on-path":
        (tmp / "uv-bin").mkdir()
        (tmp / "uv-bin" / "uv").symlink_to(uv)
        extra.append(tmp / "uv-bin")
    env = {
        "PATH": tools_path(tmp, *extra),
        "NEXUS_AUTOFIX_INSTALLER": "pip" if installer == "pip" else "auto",
        # Empty download caches of its own: a cold start downloads everything.
        "PIP_CACHE_DIR": str(tmp / "pip-cache"),
        "UV_CACHE_DIR": str(tmp / "uv-cache"),
    }
    # This machine's way to the index (certificates, proxies), as a runner's own configuration would be.
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "PIP_CERT", "HTTPS_PROXY", "https_proxy"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return Runner(tmp, env=env)


def start(runner: Runner) -> dict[str, float]:
    result = runner.run_action(fixture_inputs("rust-clippy-pr"), job_failed=True)
    nexus = result.step("nexus")
    if nexus.outputs.get("domain") != "rust":
        sys.exit("the action did not report:\n" + nexus.all_output())
    times = {name: (result.step(key).seconds if result.step(key).ran else 0.0) for name, key in STEPS.items()}
    times["own"] = times["setup"] + times["install"] + times["run"]
    own = [result.step(key) for key in ("setup", "install", "run") if result.step(key).ran]
    times["own-cpu"] = sum(step.cpu_seconds for step in own)
    times["install-cpu"] = result.step("install").cpu_seconds if result.step("install").ran else 0.0
    return times


installers = ("pip", "uv", "uv-on-path")
rows: dict[tuple[str, str], list[dict[str, float]]] = {}
for n in range(rounds):
    for installer in installers:
        runner = machine(work / f"{installer}-{n}", installer)
        rows.setdefault((installer, "cold"), []).append(start(runner))
        rows.setdefault((installer, "warm"), []).append(start(runner))

load = os.getloadavg()
print(f"python: {base_python}, rounds: {rounds}, fixture: rust-clippy-pr (dry-run), load average: {load[0]:.1f} {load[1]:.1f}")
print(
    f"{'installer':<11} {'start':<5} {'setup':>6} {'install':>8} {'run':>6} {'own':>6}   "
    f"{'install-cpu':>11} {'own-cpu':>8}   {'restore':>8} {'save':>6}"
)
for (installer, phase), values in rows.items():
    med = {k: statistics.median(v[k] for v in values) for k in values[0]}
    print(
        f"{installer:<11} {phase:<5} {med['setup']:>6.2f} {med['install']:>8.2f} {med['run']:>6.2f} {med['own']:>6.2f}"
        f"   {med['install-cpu']:>11.2f} {med['own-cpu']:>8.2f}   {med['restore']:>8.2f} {med['save']:>6.2f}"
    )
PY
