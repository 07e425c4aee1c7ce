# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test lint check clean

# Reinstall only when a requirements file changes.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(BIN)/.installed
	$(BIN)/gunicorn "feed:create_app()"

test: $(BIN)/.installed
	$(BIN)/ruff check feed tests $(wildcard bench)
	$(BIN)/mypy feed
	$(BIN)/python -m pytest

check: $(BIN)/.installed
	$(BIN)/flask --app feed check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
