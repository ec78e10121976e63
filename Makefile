# The platform's commands (docs/contract.md). Each installs what it needs first: uv (from PyPI, with pip) and
# the locked environment (uv.lock). uv never downloads a Python here: the machine's python3 (>= 3.11) is used.

PYTHON ?= python3
UV := $(PYTHON) -m uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# jsii (the CDK's node bridge) warns at length about Node 20's end of life; the CDK runs fine on it.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 1
# Capability packages (functions/), the shared layer, the local runtime and infra are importable as in Lambda.
export PYTHONPATH := $(CURDIR)/functions:$(CURDIR)/layers/common:$(CURDIR)/local:$(CURDIR)
TERRITORY ?= demo
PYTEST_WORKERS ?= auto

.PHONY: help install run test lint typecheck pytest synth bench mutate fuzz openapi state-machines clean

help:
	@echo "make run                    the whole platform locally on http://127.0.0.1:$${SAS_PORT:-8080}"
	@echo "make test                   ruff (with the complexity gate), import contracts, mypy and every test"
	@echo "make synth TERRITORY=<code> synthesise one territory's stack into cdk.out/ (offline)"
	@echo "make bench                  benchmarks, report under bench/results/"
	@echo "make mutate                 mutation testing of the rule modules, report in reports/mutation.md"
	@echo "make fuzz                   schemathesis over every route and role, many more cases than make test"
	@echo "make openapi                regenerate layers/common/sas_common/openapi.json"
	@echo "make state-machines         regenerate the local copy of the synthesised booking state machine"

.venv/.synced: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user uv 2>/dev/null \
		|| $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced

run: install
	$(UV) run --frozen python -m sas_local

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports

typecheck: install
	$(UV) run --frozen mypy functions layers/common local infra tests bench

pytest: install
	$(UV) run --frozen pytest -n $(PYTEST_WORKERS)

test: lint typecheck pytest

synth: install
	$(UV) run --frozen python -m infra.app --territory $(TERRITORY) --outdir cdk.out

bench: install
	$(UV) run --frozen python -m bench

# Not part of `make test` (about a quarter of an hour on 2 cores): mutmut and bench.mutation's own mutants of
# the rule modules listed in bench/mutation/modules.py, against their unit tests; mutants/ is its work copy.
mutate: install
	$(UV) run --frozen python -m bench.mutation

# `make test` runs tests/integration/test_fuzz.py with a few cases per route and role; this, with many more.
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} $(UV) run --frozen pytest -n $(PYTEST_WORKERS) tests/integration/test_fuzz.py

openapi: install
	$(UV) run --frozen python -m sas_local.openapi

# The booking state machine as `make run` and the tests run it: synthesised from infra/ (a test fails when
# the committed copy differs from a fresh synthesis).
state-machines: install
	$(UV) run --frozen python -m sas_local.booking_flow

clean:
	rm -rf .venv cdk.out .mypy_cache .ruff_cache mutants
