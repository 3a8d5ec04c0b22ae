#!/usr/bin/env bash
# Step "Find Python 3.10+" of action.yml: the runner's own interpreter, no setup-python download.
# Tries python3, python, then `py -3` (the Windows launcher) and keeps the first that runs and is 3.10 or newer:
# a python3 that does not run (the Windows Store stub) or is too old must not hide a working python.
# NEXUS_AUTOFIX_PYTHON names an interpreter that already has the dependencies (a pre-built self-hosted image,
# or a test): then it is the only candidate and nothing is installed.
set -euo pipefail
# shellcheck source=action/lib.sh
. "$GITHUB_ACTION_PATH/action/lib.sh"

# Prints the interpreter's own path (a pyenv shim or the py launcher resolves to the real binary) and version.
# The same call hashes requirements.lock for the cache key (hashFiles() only sees the workspace, never the action's
# own folder), so a working interpreter is started once.
probe='import hashlib, sys; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3]); print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest() if sys.argv[1] else "no-lock"); sys.exit(0 if sys.version_info >= (3, 10) else 3)'
lock="$GITHUB_ACTION_PATH/requirements.lock"
if [ ! -f "$lock" ]; then lock=""; fi
found=()
lock_hash=no-lock
base=""
version=""
used=""

try_python() {
  local label="$1" rc=0 out
  shift
  if ! command -v "$1" > /dev/null 2>&1; then
    found+=("$label: not found")
    return 1
  fi
  out="$("$@" -c "$probe" "$lock" 2> /dev/null)" || rc=$?
  out="${out//$'\r'/}"
  if [ "$rc" -eq 0 ] && [ -n "$out" ]; then
    base="$(printf '%s\n' "$out" | sed -n 1p)"
    version="$(printf '%s\n' "$out" | sed -n 2p)"
    lock_hash="$(printf '%s\n' "$out" | sed -n 3p)"
    used="$label"
    return 0
  fi
  if [ "$rc" -eq 3 ]; then
    found+=("$label: Python $(printf '%s\n' "$out" | sed -n 2p) at $(printf '%s\n' "$out" | sed -n 1p)")
  else
    found+=("$label: $(command -v "$1") does not run (exit $rc)")
  fi
  return 1
}

if [ -n "${NEXUS_AUTOFIX_PYTHON:-}" ]; then
  install=false
  # Used as given (it may be a wrapper), once it proves to be a working 3.10+.
  if try_python "NEXUS_AUTOFIX_PYTHON" "$NEXUS_AUTOFIX_PYTHON"; then base="$NEXUS_AUTOFIX_PYTHON"; fi
else
  install=true
  try_python python3 python3 || try_python python python || try_python "py -3" py -3 || true
fi

if [ -z "$base" ]; then
  listing="$(printf '%s; ' ${found[@]+"${found[@]}"})"
  setup_failed "No Python 3.10 or newer was found on the runner" \
    "Tried ${listing%; }." \
    "Add \`actions/setup-python\` (python-version 3.10 or newer) before this step, or set \`NEXUS_AUTOFIX_PYTHON\` to an interpreter that has the dependencies of \`requirements.lock\`."
fi
echo "NEXUS AutoFix: using $used -> $base (Python $version)"

# Outside the workspace, so the user's checkout and its artifacts never see our virtualenv.
root="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/nexus-autofix"
venv="$root/venv"
python="$base"
if [ "$install" = true ]; then
  if [ "${RUNNER_OS:-}" = Windows ]; then
    python="$venv/Scripts/python.exe"
  else
    python="$venv/bin/python"
  fi
fi
{
  echo "ready=true"
  echo "base-python=$base"
  echo "python=$python"
  echo "python-version=$version"
  echo "install=$install"
  echo "root=$root"
  echo "venv=$venv"
  echo "lock-hash=$lock_hash"
} >> "$GITHUB_OUTPUT"
