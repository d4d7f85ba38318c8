# rwe-cohorts: two commands do all the set-up on a fresh machine with Python 3.11 and pip.
#   make run   generate the default synthetic delivery (if absent) and run the whole study through Dagster
#   make test  lint, format check, type check and the test suite
# Each installs what it needs: uv into .tools/, then the locked environment into .venv/.

PYTHON ?= python3
UV := .tools/bin/uv
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME := $(CURDIR)/.dagster_home
DEFAULT_CUT := data/landing/cut_2021-03-31

.PHONY: run test lint dev bench clean install

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.5"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet --compile-bytecode
	touch $@

install: .venv/.synced

run: install
	@if [ ! -f $(DEFAULT_CUT)/manifest.json ]; then $(UV) run --frozen rwe generate; fi
	$(UV) run --frozen rwe run

test: install
	$(UV) sync --frozen --quiet --compile-bytecode --extra spark
	./.ci/install-browser
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy src/rwe_cohorts bench
	$(UV) run --frozen pytest -q

dev: install
	$(UV) run --frozen dg dev

bench: install
	$(UV) run --frozen rwe bench end-to-end --sizes $(or $(SIZES),58001,1000000,10000000) --repeats $(or $(REPEATS),3,1,1)

clean:
	rm -rf data .venv .tools
