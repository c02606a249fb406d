# Connections API: `make dev` runs it locally, `make test` checks everything the tests cover.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# sam build for the python3.13 runtime finds the interpreter through pyenv when it is not on PATH.
SAM_ENV := PYENV_VERSION=3.13.0:3.11.7 PATH="$(HOME)/.pyenv/shims:$(PATH)"

.PHONY: install dev check test test-unit test-integration test-e2e lint format build bench clean

$(STAMP): pyproject.toml layers/shared/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/connections-dev serve

# Everything but the tests, fastest first: lint, formatting, types (layer, handlers, local runner, tests
# and benches), and the template with cfn-lint's serverless rules.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layers/shared functions local connections_cli tests bench lambda_build
	$(BIN)/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules

# What CI runs: the checks, then the whole suite with branch coverage (the total is the report's last line).
test: check
	$(BIN)/python -m pytest -n 2 --dist loadfile --cov --cov-report=term:skip-covered

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

test-integration: $(STAMP)
	$(BIN)/python -m pytest tests/integration

test-e2e: $(STAMP)
	$(BIN)/python -m pytest tests/e2e

$(VENV)/.lint-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,lint]"
	touch $@

# `check` plus what needs the SAM CLI: the template validated as SAM, and a real build (layer and
# functions through lambda_build/Makefile), whose output must hold a python3.13 pyc for every .py.
lint: check $(VENV)/.lint-installed
	SAM_CLI_TELEMETRY=0 $(BIN)/sam validate --lint --region us-east-1
	SAM_CLI_TELEMETRY=0 $(SAM_ENV) $(BIN)/sam build --parallel
	$(SAM_ENV) $(BIN)/python lambda_build/build_artifact.py check .aws-sam/build

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

build: $(VENV)/.lint-installed
	SAM_CLI_TELEMETRY=0 $(SAM_ENV) $(BIN)/sam build --parallel

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
