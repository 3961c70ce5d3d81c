# gist-cds — two commands: `make run` (service + sandbox, demo mode) and `make test` (everything).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
SANDBOX_PORT ?= 8090

.PHONY: run test lint typecheck pytest install install-test node-deps bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

tests/fhirserver/node_modules/.package-lock.json: tests/fhirserver/package.json tests/fhirserver/package-lock.json
	cd tests/fhirserver && npm ci --no-audit --no-fund --loglevel=error

node-deps: tests/fhirserver/node_modules/.package-lock.json

run: install
	@$(BIN)/python -m sandbox.run --host $(HOST) --port $(PORT) --sandbox-port $(SANDBOX_PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
pytest: install-test node-deps
	$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; fi; exit $$status

test: lint typecheck pytest

# wrk (Debian package) is the load generator; installed here when missing, as .ci/run does.
bench: install-test node-deps
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends wrk; } \
	  || { echo "make bench needs wrk: install the Debian package 'wrk' (apt-get install wrk)" >&2; exit 1; }; }
	$(BIN)/python -m benchmarks.bench $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.mapping_bench

soak: install-test
	$(BIN)/python benchmarks/soak.py

clean:
	rm -rf $(VENV) tests/fhirserver/node_modules .mypy_cache .ruff_cache .pytest_cache
