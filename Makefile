# Honest Referral — every target sets up what it needs; see README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck fmt openapi bench eval

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run  ## migrate the embedded database, load catalog/ and rules/, serve on 127.0.0.1:8000
	$(BIN)/referral db upgrade
	$(BIN)/referral catalog load --if-changed
	$(BIN)/referral keys bootstrap
	$(BIN)/referral serve

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
