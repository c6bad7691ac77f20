# Development commands; `make` alone lists them. The scripts do the work so that CI and people run the same thing.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
# Commands that only need the settings to import (not production values) run with DEBUG on unless told otherwise.
DEV_ENV := DEBUG=$${DEBUG:-1}

.PHONY: help setup run test lint fmt typecheck clean bench bench-100k

help: ## List the commands
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## Create .venv, install ".[dev]", check system libraries (idempotent)
	@bash scripts/setup.sh

run: ## Run the clinic (embedded: SQLite, no Redis, demo data) at http://127.0.0.1:8000
	@bash scripts/run.sh

test: ## Run the whole test suite (extra pytest arguments: make test ARGS="-k dosing")
	@bash scripts/test.sh $(ARGS)

lint: setup ## ruff check, ruff format --check, import contracts, missing migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

fmt: setup ## Fix what ruff can and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: setup ## mypy (strict on the rule modules, see pyproject.toml)
	$(DEV_ENV) $(VENV)/bin/mypy .

bench: setup ## Benchmark on PostgreSQL and Redis at 1,000 patients (bench/README.md; ARGS="--seconds 30")
	nice $(PY) -m bench.run --patients 1000 $(ARGS)

bench-100k: setup ## The same at 100,000 patients (seeding takes about half an hour the first time)
	nice $(PY) -m bench.run --patients 100000 $(ARGS)

clean: ## Remove caches and build output (keeps .venv and var/)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .coverage htmlcov staticfiles var/staticfiles build dist
