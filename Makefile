# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run test test-fast lint check clean translations screenshots bench soak attack

# Reinstall only when a requirements file changes. `make run` needs the runtime alone
# (requirements.txt, which installs simfeed itself, editable); the dev tools only for tests.
$(BIN)/.runtime: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(BIN)/.installed: $(BIN)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The page, feeds and API on http://$(HOST):$(PORT), with the data folder instance/ (a starter
# SIM file on the first start). gunicorn replaces make's child: Ctrl-C or SIGTERM to make stops it.
run: $(BIN)/.runtime
	$(BIN)/simfeed serve

# Every test: the fast tier on every core, then the slow tier (servers, PostgreSQL, containers,
# a browser on free ports, timed out generously) in one process, as CI runs it.
test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy feed
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -m "not slow" -n auto
	$(BIN)/python -m pytest -m slow

# The tests that start no process, server, PostgreSQL or browser (tests/conftest.py marks the rest
# slow), with fewer property-based examples, on every core: a quick loop while working (under a
# minute on two cores; docs/development.md). `make test` runs everything.
test-fast: $(BIN)/.installed
	HYPOTHESIS_PROFILE=fast $(BIN)/python -m pytest -q -m "not slow" -n auto

# Faults and load (issue 7), outside `make test`: the Procfile's gunicorn with 4 workers, 50
# clients for 60 s (SOAK_SECONDS=15 for a quick check), the config rewritten 100 times.
soak: $(BIN)/.installed
	$(BIN)/python bench/soak.py

# Slow clients and token guessers (issue 15), outside `make test`: 500 header-dribbling and 500
# idle connections against the Procfile's gunicorn and, in the same run, its settings before
# (gthread); then guessing with 1, 2 and 4 workers. About 70 s (ATTACK_SECONDS=20 for a quick check).
attack: $(BIN)/.installed
	$(BIN)/python bench/attack.py

check: $(BIN)/.runtime
	$(BIN)/simfeed check

# Gettext catalogues for the page: extract the strings, merge them into each language's
# .po (translate the new ones there), then run this again to compile the .mo files.
# The .mo files are committed, so `make run`, gunicorn and a fresh clone need no build step;
# tests/test_translations.py fails when a .po and its .mo disagree or a string is untranslated.
POT := feed/translations/messages.pot
translations: $(BIN)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext --project simfeed --no-wrap -o $(POT) .
	$(BIN)/pybabel -q update -i $(POT) -d feed/translations --no-wrap --ignore-obsolete
	$(BIN)/pybabel compile -d feed/translations --statistics

# Refresh the screenshots in docs/ (README and docs pages) (needs Debian's chromium: see tests/test_browser.py).
screenshots: $(BIN)/.installed
	SIMFEED_SCREENSHOTS=docs $(BIN)/python -m pytest -q tests/test_browser.py

# Benchmarks (not part of `make test`): ratios against floors measured in the same run,
# printed and written to bench/results/. The serving figures need wrk (Debian's package).
bench: $(BIN)/.installed
	command -v wrk >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/build.py
	$(BIN)/python bench/remind.py
	$(BIN)/python bench/save.py
	$(BIN)/python bench/serve.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
