# Connections API: `make dev` runs it locally, `make test` checks everything the tests cover.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# sam build for the python3.13 runtime finds the interpreter through pyenv when it is not on PATH.
SAM_ENV := PYENV_VERSION=3.13.0:3.11.7 PATH="$(HOME)/.pyenv/shims:$(PATH)"

.PHONY: install dev test test-unit test-integration test-e2e lint format build bench clean

$(STAMP): pyproject.toml layers/shared/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/connections-dev serve

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

test-integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

test-e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

$(VENV)/.lint-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,lint]"
	touch $@

lint: $(VENV)/.lint-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layers/shared/connections local
	$(BIN)/sam validate --lint --region us-east-1
	$(SAM_ENV) $(BIN)/sam build --parallel

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

build: $(VENV)/.lint-installed
	$(SAM_ENV) $(BIN)/sam build --parallel

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
