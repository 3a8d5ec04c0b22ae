#!/usr/bin/env bash
# Start-up cost of the Action, measured by running action.yml's own composite steps (through the same harness
# as tests/test_action_harness.py) on the bundled rust-clippy smoke fixture, in dry-run:
#
#   cold       empty RUNNER_TEMP: create the venv, download and install requirements.lock from PyPI
#   pip-cache  the lock changed: venv rebuilt from pip's wheel cache (what restore-keys gives back)
#   warm       actions/cache restored the venv: no pip at all
#
# Usage: benchmarks/cold_start.sh [rounds]   (BASE_PYTHON=/path/to/python3 to choose the runner's Python)
# Needs network for the cold round (PyPI). Prints one line per round and step, in seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${1:-3}"
DRIVER_PYTHON="${DRIVER_PYTHON:-$ROOT/.venv/bin/python}"
# The interpreter the action finds as python3; resolve shims (pyenv) to the real binary, as on a runner.
BASE_PYTHON="$("${BASE_PYTHON:-python3}" -c 'import sys; print(sys.executable)')"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

"$DRIVER_PYTHON" - "$ROOT" "$WORK" "$BASE_PYTHON" "$ROUNDS" <<'PY'
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

root, work, base_python, rounds = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
sys.path.insert(0, str(root))
from tests.test_action_harness import ActionHarness, _fixture_inputs  # noqa: E402

PATH = os.pathsep.join([str(Path(base_python).parent), "/usr/bin", "/bin"])


class TimedHarness(ActionHarness):
    def _run_script(self, index, step):
        start = time.perf_counter()
        result = super()._run_script(index, step)
        self.times[step.get("id") or step["name"]] = time.perf_counter() - start
        return result


def one_round(tmp: Path) -> dict[str, float]:
    harness = TimedHarness(tmp, _fixture_inputs("rust-clippy-pr"), {"PATH": PATH})
    harness.times = {}
    start = time.perf_counter()
    runs = harness.run()
    total = time.perf_counter() - start
    if runs[-1].returncode != 0:
        sys.exit(f"step {runs[-1].name!r} failed:\n{runs[-1].stdout}\n{runs[-1].stderr}")
    assert harness.outputs()["domain"], "the action set no domain"
    return {**harness.times, "total": total}


results: dict[str, list[dict[str, float]]] = {"cold": [], "pip-cache": [], "warm": []}
for n in range(rounds):
    tmp = work / f"round-{n}"
    tmp.mkdir()
    results["cold"].append(one_round(tmp))
    shutil.rmtree(tmp / "runner-temp" / "nexus-autofix" / "venv")
    results["pip-cache"].append(one_round(tmp))
    results["warm"].append(one_round(tmp))

print(f"python: {base_python} ({sys.version.split()[0]} driver), rounds: {rounds}, fixture: rust-clippy-pr (dry-run)")
print(f"{'start':<10} {'setup':>7} {'install':>8} {'run':>7} {'total':>7}   (median seconds)")
for phase, rows in results.items():
    med = {k: statistics.median(r.get(k, 0.0) for r in rows) for k in ("setup", "Install dependencies (hash-pinned)", "run", "total")}
    print(
        f"{phase:<10} {med['setup']:>7.2f} {med['Install dependencies (hash-pinned)']:>8.2f} {med['run']:>7.2f} {med['total']:>7.2f}"
    )
PY
