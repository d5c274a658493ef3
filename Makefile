# Two commands do everything on a fresh machine: `make run` and `make test`.
# Both install what they need first (virtualenv, Python packages, OpenSSL 1.1 for the engine).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OPENSSL := vendor/openssl11/libssl.so.1.1
PYBABEL := $(VENV)/bin/pybabel
LOCALES := bot/locales
CATALOGS := $(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: setup run test lint format bench bench-quality bench-pieces bench-webapp clean translations

setup: $(STAMP) $(OPENSSL) $(COMPILED)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(OPENSSL): scripts/fetch-libssl11.sh
	bash scripts/fetch-libssl11.sh

# Translations: each catalog (.po, committed) is compiled to the .mo the bot loads (not committed).
$(LOCALES)/%/LC_MESSAGES/messages.mo: $(LOCALES)/%/LC_MESSAGES/messages.po $(STAMP)
	$(PYBABEL) compile --domain messages --locale $* --input-file $< --output-file $@

# After changing texts in bot/: re-extract them into the template and merge it into every
# catalog (new texts come untranslated; changed ones are marked fuzzy, which tests refuse
# until a translator checks them). A new language: make translations NEW=de
translations: $(STAMP)
	$(PYBABEL) extract --mapping-file babel.cfg --no-location --add-comments Translators: \
		--project notes-ocr-bot --output-file $(LOCALES)/messages.pot bot
	$(if $(NEW),$(PYBABEL) init --input-file $(LOCALES)/messages.pot --output-dir $(LOCALES) \
		--domain messages --locale $(NEW))
	$(PYBABEL) update --input-file $(LOCALES)/messages.pot --output-dir $(LOCALES) \
		--domain messages --ignore-obsolete
	$(MAKE) --no-print-directory setup

run: setup
	$(PY) -m bot

# Test files run in TEST_WORKERS processes (pytest-xdist), a file's tests in one process: most
# end-to-end tests wait on a bot, a worker or Telegram's pace, so two processes on two cores
# finish in about two thirds of the time (README, Development). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2

test: setup
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile
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

# Quality on real photos with ground truth: make bench-quality FOLDERS="dir1 dir2"
FOLDERS ?= ../shared/ocr-eval-dev
bench-quality: setup
	$(PY) -m bench.quality $(FOLDERS)

# What review prompts with the line's piece of the photo cost: make bench-pieces FOLDERS="dir"
bench-pieces: setup
	$(PY) -m bench.pieces $(FOLDERS)

# The Mini App editor: page load and save round trip for a 50-line note (needs /usr/bin/chromium)
bench-webapp: setup
	$(PY) -m bench.webapp

clean:
	rm -rf $(VENV) vendor
