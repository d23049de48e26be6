# Honest Referral — every target sets up what it needs; see README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck fmt openapi bench eval

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# pip shows its own progress (a first install takes a minute or two); under CI=true it is kept
# to one line per package, so the log stays readable
PIP_PROGRESS := $(if $(filter true,$(CI)),--progress-bar off,)

$(BIN)/python:
	@echo "==> Creating the virtualenv $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_PROGRESS) --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	@echo "==> Installing Honest Referral and its dependencies into $(VENV) (about 520 MB, most of it place names and word lists)"
	$(BIN)/pip install $(PIP_PROGRESS) -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "==> Installing Honest Referral with the development tools into $(VENV)"
	$(BIN)/pip install $(PIP_PROGRESS) -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run  ## migrate the embedded database, load catalog/ and rules/, serve on 127.0.0.1:8000
	@echo "==> Migrating the database (REFERRAL_DATABASE_URL, default ./var/referral.db)"
	@$(BIN)/referral db upgrade
	@echo "==> Loading the catalogue (catalog/) and rules (rules/) when they changed"
	@$(BIN)/referral catalog load --if-changed
	@echo "==> Keys: on first start a local admin key; then where to sign in and try the widget"
	@$(BIN)/referral keys bootstrap
	@echo "==> Serving (Ctrl-C stops it; API docs at /docs)"
	@$(BIN)/referral serve

test: $(VENV)/.installed-dev lint typecheck  ## lint, type-check and run the whole test suite
	$(BIN)/pytest

lint: $(VENV)/.installed-dev  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev  ## mypy --strict over the package and the benchmarks
	$(BIN)/mypy referral_api bench

fmt: $(VENV)/.installed-dev  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(VENV)/.installed-dev  ## regenerate the committed openapi/openapi.json
	$(BIN)/referral openapi > openapi/openapi.json

eval: $(VENV)/.installed-dev  ## matching quality on ../shared/eval next to the BM25 baseline
	$(BIN)/referral eval --cases ../shared/eval/selfhosted/dev.jsonl --catalog ../shared/eval/selfhosted/catalog --baseline

bench: $(VENV)/.installed-dev  ## run the benchmarks in bench/ (results in bench/results/)
	$(BIN)/python -m bench
