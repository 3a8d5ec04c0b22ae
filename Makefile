# The two set-up commands: `make demo` and `make test`. Both need only python3 (3.10+) and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit golden cassettes fixtures lock bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("NEXUS: Python 3.10+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 10) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The demo needs only the runtime dependencies (the hash-pinned lock, as the Action installs them), and runs the
# package from the checkout: no build, no test toolchain.
$(VENV)/.runtime: $(BIN)/python requirements.lock
	$(BIN)/python -m pip install --quiet --require-hashes --only-binary :all: -r requirements.lock
	touch $@

demo: $(VENV)/.runtime
	$(BIN)/python entrypoint.py report --dry-run --event examples/demo/event.json \
		--log "clippy=examples/demo/clippy.log" --log "unit-tests=examples/demo/pytest.log" \
		--out out/demo --print overview

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict nexus_action

unit: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck unit

# Regenerate golden files and generated docs/schemas from the code (review the diff afterwards).
golden: $(STAMP)
	$(BIN)/python scripts/regen_classify.py
	$(BIN)/python scripts/regen_report.py
	$(BIN)/python scripts/regen_dashboard.py
	$(BIN)/python scripts/generate_config_schema.py
	$(BIN)/python scripts/generate_config_docs.py
	$(BIN)/python scripts/generate_error_codes.py

# Re-record the vcrpy cassettes against the local stand-in GitHub (never github.com; no token needed).
cassettes: $(STAMP)
	$(BIN)/python -m tests.fakegithub.record
	$(BIN)/python -m tests.commands.record
	$(BIN)/python scripts/regen_dashboard.py --cassettes

# Re-extract the committed test fixtures from ../shared (events, REST operations, card schema, log excerpts).
fixtures: $(STAMP)
	$(BIN)/python scripts/extract_events.py
	$(BIN)/python scripts/extract_rest_operations.py
	$(BIN)/python scripts/extract_card_schema.py
	$(BIN)/python scripts/extract_log_excerpts.py

# Refresh the hash-pinned locks: requirements.lock (runtime deps, one lock for Python 3.10-3.13 on Linux, macOS and
# Windows; lock-constraints.txt says why some platforms keep older versions) and requirements-uv.lock (the uv the
# action installs; `make lock UV_VERSION=x.y.z` to move it). tests/test_lock.py keeps them in step with pyproject.
UV_VERSION ?= $(shell sed -n 's/^uv==\([^ ]*\).*/\1/p' requirements-uv.lock)
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --generate-hashes --no-config --custom-compile-command "make lock"
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet --require-hashes --only-binary :all: -r requirements-uv.lock
	$(UV_COMPILE) --python-version 3.10 -c lock-constraints.txt -o requirements.lock pyproject.toml
	echo "uv==$(UV_VERSION)" | $(UV_COMPILE) -o requirements-uv.lock -

bench: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) out .mypy_cache .pytest_cache .ruff_cache
