#!/usr/bin/env bash
# Step "Install dependencies" of action.yml: a virtualenv under $RUNNER_TEMP filled from the hash-pinned
# requirements.lock. uv when it is on PATH or can be installed (requirements-uv.lock pins its version and
# hashes, fetched from the index pip already uses); pip when uv cannot be had. A restored venv whose stamp
# matches the lock is used as it is. Any failure is reported (setup_failed), never a bare red step.
#
# Switches (environment): NEXUS_AUTOFIX_INSTALLER=auto|uv|pip, NEXUS_AUTOFIX_WHEELHOUSE=<folder of wheels>
# (no index at all: air-gapped runners), NEXUS_AUTOFIX_HTTP_TIMEOUT=<seconds per network read, default 5>.
# Mirrors: PIP_INDEX_URL (pip, and uv when UV_INDEX_URL is unset) or UV_INDEX_URL.
set -euo pipefail
# shellcheck source=action/lib.sh
. "$GITHUB_ACTION_PATH/action/lib.sh"

lock="$GITHUB_ACTION_PATH/requirements.lock"
uv_lock="$GITHUB_ACTION_PATH/requirements-uv.lock"
root="$NEXUS_ROOT"
venv="$NEXUS_VENV"
stamp="$venv/.nexus-lock-sha256"
log="$root/install.log"
mkdir -p "$root"
: > "$log"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$NEXUS_LOCK_HASH" ] && "$NEXUS_PYTHON" -c '' 2> /dev/null; then
  echo "NEXUS AutoFix: dependencies restored from cache"
  echo "ready=true" >> "$GITHUB_OUTPUT"
  exit 0
fi
if [ ! -f "$lock" ]; then
  setup_failed "requirements.lock is missing from the action" "$lock does not exist." \
    "Pin the action to a released commit: \`uses: <owner>/nexus-autofix@<sha> # vX.Y.Z\` (see docs/quick-start.md)."
fi
rm -rf "$venv"

installer="$(printf '%s' "${NEXUS_AUTOFIX_INSTALLER:-auto}" | tr '[:upper:]' '[:lower:]')"
case "$installer" in
  auto | uv | pip) ;;
  *) setup_failed "NEXUS_AUTOFIX_INSTALLER must be one of auto, uv, pip" "Got \"$installer\"." "Unset it, or set it to auto, uv or pip." ;;
esac
# Short network timeouts, whatever the runner's pip.conf or PIP_DEFAULT_TIMEOUT say: an index that refuses or
# never answers must end in a report within seconds (two tries of 5 s per tool), not pip's 15 s x 5 retries.
timeout="${NEXUS_AUTOFIX_HTTP_TIMEOUT:-5}"
pip_network=(--timeout "$timeout" --retries 1)
export UV_HTTP_TIMEOUT="$timeout" UV_HTTP_RETRIES=1
# uv reads neither pip.conf nor PIP_*: follow a pip mirror unless uv has its own. Never a Python download
# (GitHub is not always reachable), never the workspace's own uv.toml or pyproject settings.
if [ -z "${UV_INDEX_URL:-}${UV_DEFAULT_INDEX:-}" ] && [ -n "${PIP_INDEX_URL:-}" ]; then
  export UV_INDEX_URL="$PIP_INDEX_URL"
fi
export UV_PYTHON_DOWNLOADS=never UV_NO_CONFIG=1 UV_LINK_MODE=copy
# pip as root (container runners) warns on every call; the venv is ours alone.
export PIP_ROOT_USER_ACTION=ignore
wheelhouse=()
if [ -n "${NEXUS_AUTOFIX_WHEELHOUSE:-}" ]; then
  wheelhouse=(--no-index --find-links "$NEXUS_AUTOFIX_WHEELHOUSE")
fi

start=$SECONDS
tried=()
index_unreachable=false

network_failed() {
  grep -qE 'NewConnectionError|ConnectTimeoutError|ReadTimeoutError|Connection refused|Max retries exceeded|Temporary failure in name resolution|Name or service not known|nodename nor servname|ProxyError|SSLError' "$log"
}

find_uv() {
  local candidate
  if [ "$installer" = pip ]; then return 1; fi
  if command -v uv > /dev/null 2>&1 && uv --version > /dev/null 2>&1; then
    uv_bin="$(command -v uv)"
    return 0
  fi
  for candidate in "$root/uv/bin/uv" "$root/uv/bin/uv.exe" "$root/uv/Scripts/uv.exe"; do
    if [ -x "$candidate" ] && "$candidate" --version > /dev/null 2>&1; then
      uv_bin="$candidate"
      return 0
    fi
  done
  # The pinned uv wheel (about 20 MB): fetched and checked by action/fetch_uv.py (seconds faster than pip's own
  # start-up and resolver), else through the runner's pip, which also knows pip.conf and every index option.
  rm -rf "$root/uv"
  echo "--- fetch uv (requirements-uv.lock)" >> "$log"
  if "$NEXUS_BASE_PYTHON" "$GITHUB_ACTION_PATH/action/fetch_uv.py" "$uv_lock" "$root/uv" "$timeout" > /dev/null 2>> "$log"; then
    for candidate in "$root/uv/bin/uv" "$root/uv/bin/uv.exe"; do
      if [ -x "$candidate" ] && "$candidate" --version > /dev/null 2>&1; then
        uv_bin="$candidate"
        return 0
      fi
    done
  fi
  rm -rf "$root/uv"
  echo "--- pip install uv (requirements-uv.lock)" >> "$log"
  if "$NEXUS_BASE_PYTHON" -m pip install --disable-pip-version-check --no-input --quiet "${pip_network[@]}" \
    ${wheelhouse[@]+"${wheelhouse[@]}"} --require-hashes --only-binary :all: --no-deps --target "$root/uv" -r "$uv_lock" >> "$log" 2>&1; then
    for candidate in "$root/uv/bin/uv" "$root/uv/bin/uv.exe" "$root/uv/Scripts/uv.exe"; do
      if [ -x "$candidate" ]; then
        uv_bin="$candidate"
        return 0
      fi
    done
  fi
  tried+=("installing uv with pip")
  if network_failed; then
    # The pip fallback would ask the same index, with the same configuration: report now, not twice as late.
    index_unreachable=true
    tried+=("(the index did not answer, so not pip again)")
  fi
  return 1
}

install_with_uv() {
  echo "--- uv venv + uv pip install" >> "$log"
  "$uv_bin" venv --quiet --python "$NEXUS_BASE_PYTHON" "$venv" >> "$log" 2>&1 &&
    "$uv_bin" pip install --quiet --python "$NEXUS_PYTHON" --require-hashes --no-deps --only-binary :all: \
      ${wheelhouse[@]+"${wheelhouse[@]}"} -r "$lock" >> "$log" 2>&1 && return 0
  tried+=("uv pip install")
  rm -rf "$venv"
  return 1
}

install_with_pip() {
  local pip
  echo "--- python -m venv + pip install" >> "$log"
  # Seeding pip into a new venv (ensurepip) costs seconds; the runner's own pip (22.3+) can install into the
  # venv with --python instead. Older or missing pip: a normal venv.
  if "$NEXUS_BASE_PYTHON" -c 'import sys, pip; sys.exit(tuple(map(int, pip.__version__.split(".")[:2])) < (22, 3))' 2> /dev/null; then
    "$NEXUS_BASE_PYTHON" -m venv --without-pip "$venv" >> "$log" 2>&1 || { tried+=("python -m venv"); return 1; }
    pip=("$NEXUS_BASE_PYTHON" -m pip --python "$NEXUS_PYTHON")
  else
    "$NEXUS_BASE_PYTHON" -m venv "$venv" >> "$log" 2>&1 || { tried+=("python -m venv"); return 1; }
    pip=("$NEXUS_PYTHON" -m pip)
  fi
  "${pip[@]}" install --disable-pip-version-check --no-input --quiet "${pip_network[@]}" ${wheelhouse[@]+"${wheelhouse[@]}"} \
    --require-hashes --only-binary :all: --no-deps -r "$lock" >> "$log" 2>&1 && return 0
  tried+=("pip install")
  rm -rf "$venv"
  return 1
}

used=""
if find_uv && install_with_uv; then
  used="uv ($("$uv_bin" --version 2> /dev/null | tr -d '\r'))"
elif [ "$installer" != uv ] && [ "$index_unreachable" = false ] && install_with_pip; then
  used="pip"
fi
if [ -z "$used" ]; then
  setup_failed "Installing the dependencies failed after $((SECONDS - start)) s (tried: $(printf '%s, ' ${tried[@]+"${tried[@]}"} | sed 's/, $//'))" \
    "$(grep -v '^---' "$log" | grep -v '^[[:space:]]*$' | tail -n 8)" \
    "- Behind a mirror: set \`PIP_INDEX_URL\` (pip, and uv too) or \`UV_INDEX_URL\` in the job's \`env:\`.
- No network at all (air-gapped GitHub Enterprise Server): set \`NEXUS_AUTOFIX_WHEELHOUSE\` to a folder holding the wheels of \`requirements.lock\` (docs/quick-start.md shows how to build it).
- Or give the action a prepared interpreter with \`NEXUS_AUTOFIX_PYTHON\`.
- Full installer output: \`$log\`."
fi
printf '%s' "$NEXUS_LOCK_HASH" > "$stamp"
echo "NEXUS AutoFix: dependencies installed with $used in $((SECONDS - start)) s"
echo "ready=true" >> "$GITHUB_OUTPUT"
