# PracticeRunner — the two commands: `make run` (the whole product) and `make test` (everything CI runs).
# Targets are thin aliases; CI (.ci/run) calls `make test`.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV ?= .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
BENCH_SIZE ?= full

.PHONY: help install run test lint fmt typecheck bench migrate maintain api worker reset browsers

help:
	@echo "make run      start the whole product (embedded Postgres, Temporal + Web UI, localstripe, worker, API)"
	@echo "make test     install, lint, run every test, and the benchmarks at smoke size"
	@echo "make lint     ruff, ruff format --check, mypy --strict, import-linter"
	@echo "make bench    benchmarks with their same-run baselines (BENCH_SIZE=smoke|full)"
	@echo "make migrate  apply migrations as the owner role"
	@echo "make maintain add audit partitions and apply audit retention (owner role)"
	@echo "make reset    delete var/ (all local data: database, workflows, Stripe state, logs)"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) 2>&1 | grep -v 'is ignored' || true
	@test -x .tools/bin/uv

$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python -m devstack.run

test: install browsers lint
	$(BIN)/python -m pytest -q
	$(MAKE) bench BENCH_SIZE=smoke

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy .

bench: install
	$(BIN)/python -m bench --size $(BENCH_SIZE)

migrate: install
	$(BIN)/python -m devstack.maintain --migrate-only

maintain: install
	$(BIN)/python -m devstack.maintain

api: install
	$(BIN)/uvicorn --factory api.app:create_app --host 127.0.0.1 --port 8000 --no-access-log

worker: install
	$(BIN)/python worker.py

# Browser tests drive Debian's Chromium (Playwright's own download does not work offline).
browsers:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package (browser tests need it)"; exit 1; fi; }

reset:
	@read -p "Delete var/ (all local data)? [y/N] " ok && [ "$$ok" = y ] && rm -rf var && echo "var/ deleted"
