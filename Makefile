# Bürgerservice-Assistent. `make help` lists the targets; CI calls `make test` only.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install lock run train validate test test-unit test-conversations test-nlu lint format import-dldb import-csv bench audit retention user maintenance-on maintenance-off clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

install: ## create .venv (Python 3.10) and install the locked dependencies when they changed
	@bash scripts/bootstrap.sh

lock: install ## resolve requirements.in into requirements.lock in one pass (Python 3.10); keeps existing pins, UPGRADE=1 re-resolves all
	$(VENV)/bin/uv pip compile requirements.in --python-version 3.10 $(if $(UPGRADE),--upgrade) -o requirements.lock
	@bash scripts/bootstrap.sh

run: install ## train if data changed, start Rasa + actions + web app, print the URLs
	$(PY) -m bot.cli run

train: install ## train the model when config.yml, domain/ or data/ changed
	$(PY) -m bot.cli train

validate: install ## validate domain, training data and data/knowledge
	$(PY) -m bot.cli validate

lint: install ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install ## apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install ## the whole suite: lint, validate, train once, conversation tests, pytest (unit, NLU, end to end)
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory lint validate train test-conversations && \
	bash scripts/ensure-chromium.sh && \
	$(PY) -m pytest -q -ra && \
	echo "==> make test finished in $$(( $$(date +%s) - start )) s"

test-unit: install ## only the fast unit tests (no model needed)
	$(PY) -m pytest -q tests/unit

test-conversations: install ## conversation tests (rasa test stories) with --fail-on-prediction-errors
	$(RASA) test core --model models/buergerservice.tar.gz --stories tests/conversations \
		--fail-on-prediction-errors --out var/reports/conversations --no-plot

test-nlu: train ## cross-validation + held-out report in reports/, fails below the macro-F1 threshold
	$(PY) -m bot.nlu_report

import-dldb: install ## knowledge directory from a DLDB export: make import-dldb LOCATIONS=… SERVICES=… OUT=… CITY=… STATE=BE
	$(PY) -m bot.cli import dldb --locations "$(LOCATIONS)" --services "$(SERVICES)" --out "$(OUT)" \
		--city "$(CITY)" --state "$(STATE)" $(if $(DISTRICTS),--districts "$(DISTRICTS)")

import-csv: install ## knowledge directory from two CSV files: make import-csv OFFICES=… SERVICES=… OUT=… CITY=… STATE=NW
	$(PY) -m bot.cli import csv --offices "$(OFFICES)" --services "$(SERVICES)" --out "$(OUT)" \
		--city "$(CITY)" --state "$(STATE)" $(if $(DISTRICTS),--districts "$(DISTRICTS)")

bench: install ## load benchmark on loopback, writes docs/benchmarks.md; KNOWLEDGE_DIR=… [COMPARE=1] benches a city's directory (against the demo)
	$(PY) -m bot.bench $(if $(KNOWLEDGE_DIR),--knowledge-dir "$(KNOWLEDGE_DIR)") $(if $(COMPARE),--compare-demo) $(if $(OUT),--out "$(OUT)")

audit: install ## known vulnerabilities in requirements.lock (pip-audit in .venv-audit; needs network, not part of make test)
	@bash tools/audit.sh

retention: install ## delete expired conversations and closed tickets now (RETENTION_*); DRY_RUN=1 only counts
	$(PY) -m bot.cli retention $(if $(DRY_RUN),--dry-run)

user: install ## create a staff account: make user NAME=anna ROLE=staff|trainer|privacy|admin OFFICE=standesamt
	$(PY) -m bot.cli user $(NAME) --role $(or $(ROLE),staff) $(if $(OFFICE),--office $(OFFICE))

maintenance-on: install ## every message gets the maintenance notice (no restart)
	$(PY) -m bot.cli maintenance on

maintenance-off: install ## back to normal
	$(PY) -m bot.cli maintenance off

clean: ## remove models, caches and var/ (keeps .venv)
	rm -rf models var reports .pytest_cache .mypy_cache .ruff_cache data/nlu/generated
