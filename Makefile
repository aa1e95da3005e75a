# Two commands: `make run` (set up and serve on embedded defaults) and `make test` (the whole suite on real services).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The settings derive every origin (WebAuthn, public base URL, CORS, CSRF) from PORT, so `make run PORT=8123` works.
export PORT

.PHONY: run test lint format install install-dev system-deps contracts migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.stamp-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.stamp-runtime

# `npm install` with the committed lockfile, not `npm ci`: the lockfile cannot list the other platforms' optional
# binaries (anvil-darwin-*, ...) that the registry reachable here does not serve, and `npm ci` refuses that.
# `--no-save`: install from the lockfile but never write it back (a plain `npm install` rewrites package-lock.json
# wherever its tree differs, e.g. where the registry does serve those binaries): an install leaves `git status` clean.
node_modules/.stamp: package.json package-lock.json
	npm install --no-save --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.stamp-runtime node_modules/.stamp
install-dev: $(VENV)/.stamp-dev node_modules/.stamp

## Debian packages the browser tests need (installed only when running as root; otherwise say what is missing).
system-deps:
	@bash scripts/system-deps.sh

migrate: install
	$(BIN)/python manage.py migrate --noinput

## Serve the API on http://localhost:$(PORT) with the embedded defaults (SQLite, local memory, local secrets),
## beside a local chain stack (anvil + EntryPoint v0.8 + our contracts + alto) on loopback. Ctrl-C stops all.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py devchain --serve $(HOST):$(PORT)

## The whole suite against PostgreSQL, Redis, OpenBao, a Celery worker, the chain stack and Chromium.
test: install-dev system-deps
	$(BIN)/pytest

## Style, then the shape: import-linter holds the layers (pyproject.toml), mypy the types.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy apps lykos

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Recompile contracts/src into the committed contracts/artifacts with the pinned solc-js.
contracts: node_modules/.stamp
	node contracts/build.mjs

clean:
	rm -rf $(VENV) node_modules db.sqlite3 .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
