# Two commands on a fresh machine: `make run` (install + start the app), `make test` (install + checks).
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest browser bench sample clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true

# Debian's Chromium for the end-to-end test (Playwright cannot download its own browser here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for the browser test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium could not be installed: the browser test will be skipped"; \
	fi

lint: install
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy

# Two test processes: much of the suite waits (on subprocesses, time limits, the browser), so
# two halves overlap even on 2 cores. Every test also passes alone: `$(PY) -m pytest tests/...`.
TEST_PROCESSES ?= 2

pytest: install browser
	$(PY) -m pytest -n $(TEST_PROCESSES)

test: lint typecheck pytest

bench: install
	$(PY) -m forecasting bench sample_data/company_financials.csv --workers 2 --repeat 3

sample:
	$(PY) sample_data/generate.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache artifacts
