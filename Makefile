# Two commands for a fresh Debian/Ubuntu machine with Python >= 3.11:
#   make demo   build a throw-away demo instance with fictional data and serve it
#   make test   install everything the suite needs and run all of it
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install system-packages lint types i18n test-sqlite test-postgres test-browser

$(BIN)/kalkan: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kalkan needs Python >= 3.11; set PYTHON=python3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt --editable '.[test]'
	$(BIN)/python -m kalkan.core.i18n
	@touch $@

install: $(BIN)/kalkan

demo: install
	$(BIN)/kalkan demo --port $(PORT)

system-packages:
	@sh scripts/system_packages.sh

lint: install
	$(BIN)/ruff check .

types: install
	$(BIN)/mypy kalkan

i18n: install system-packages
	$(BIN)/python scripts/check_i18n.py

test-sqlite: install
	$(BIN)/pytest kalkan

test-postgres: install system-packages
	$(BIN)/python scripts/with_postgres.py $(BIN)/pytest kalkan

test-browser: install system-packages
	$(BIN)/pytest browser_tests

test: install system-packages lint types i18n test-sqlite test-postgres test-browser
