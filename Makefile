# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both install what they need first (virtualenv, Python packages, OpenSSL 1.1 for the engine).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OPENSSL := vendor/openssl11/libssl.so.1.1

.PHONY: setup run test lint format bench clean

setup: $(STAMP) $(OPENSSL)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(OPENSSL): scripts/fetch-libssl11.sh
	bash scripts/fetch-libssl11.sh

run: setup
	$(PY) -m bot

test: setup
	$(PY) -m pytest
	$(MAKE) --no-print-directory lint

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(VENV)/bin/hadolint --config .hadolint.yaml deploy/Dockerfile

format: setup
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) vendor
