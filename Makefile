# gist-cds — two commands: `make run` (service + sandbox, demo mode) and `make test` (everything).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
SANDBOX_PORT ?= 8090

.PHONY: run test lint typecheck pytest install install-test node-deps system-deps bench soak clean

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

sandbox/fhirserver/node_modules/.package-lock.json: sandbox/fhirserver/package.json sandbox/fhirserver/package-lock.json
	@echo "installing the Medplum FHIR router's Node packages (npm ci in sandbox/fhirserver)"
	cd sandbox/fhirserver && npm ci --no-audit --no-fund --loglevel=error

node-deps: sandbox/fhirserver/node_modules/.package-lock.json

run: install
	@$(BIN)/python -m sandbox.run --host $(HOST) --port $(PORT) --sandbox-port $(SANDBOX_PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

# pytest exits 5 when it collected no test: that is a failure here, never a pass. The `ci`
# Hypothesis profile (thorough example counts) unless GIST_CDS_TEST_HYPOTHESIS_PROFILE says else.
pytest: install-test node-deps
	GIST_CDS_TEST_HYPOTHESIS_PROFILE=$${GIST_CDS_TEST_HYPOTHESIS_PROFILE:-ci} $(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; fi; exit $$status

# System packages the tests need (Debian/Ubuntu names): postgresql (a real PostgreSQL server the
# persistence tests start with initdb/pg_ctl), chromium (real headless browser for the rule-page and
# simulator tests), nodejs and npm (the Medplum FHIR router the fetch tests run against), nginx (the
# TLS reverse proxy of the production-shape test), wrk (the load generator of the benchmark
# machinery test). Installed
# with apt-get, through sudo when not root; where neither works, one line names what to install.
system-deps:
	@need=""; \
	command -v chromium >/dev/null 2>&1 || need="$$need chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need="$$need postgresql"; \
	command -v node >/dev/null 2>&1 || need="$$need nodejs"; \
	command -v npm >/dev/null 2>&1 || need="$$need npm"; \
	command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need="$$need nginx"; \
	command -v wrk >/dev/null 2>&1 || need="$$need wrk"; \
	if [ -z "$$need" ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "make test needs these system packages:$$need (install them with apt-get as root, or give this user sudo)" >&2; exit 1; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make test needs these system packages:$$need (no apt-get here: install them with your package manager)" >&2; exit 1; fi; \
	echo "installing system packages:$$need"; \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$need

test: system-deps lint typecheck pytest

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
	rm -rf $(VENV) sandbox/fhirserver/node_modules .mypy_cache .ruff_cache .pytest_cache
