# The two commands of the README:
#   make run   set up, migrate, seed, publish and serve the registry on 127.0.0.1
#   make test  set up and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8001
HOST   ?= 127.0.0.1
# Test processes (pytest-xdist): one per core; PYTEST_WORKERS=0 runs the suite in this process.
PYTEST_WORKERS ?= auto

.PHONY: run test install install-test browser readers bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

# Debian's chromium for the browser tests; skipped (tests then skip with a
# reason) where apt-get is unavailable or we are not root.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing Debian chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "could not install chromium; browser tests will skip"; \
	else echo "no /usr/bin/chromium and cannot install it; browser tests will skip"; fi

# The programs the tests open exported and served files with, as a reader would: LibreOffice Calc
# (headless) for CSV in a spreadsheet, R (Rscript) for the export README's recipe.
readers:
	@missing=""; command -v soffice >/dev/null 2>&1 || missing="libreoffice-calc-nogui"; \
	command -v Rscript >/dev/null 2>&1 || missing="$$missing r-base-core"; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing$$missing for the tests that read files as a spreadsheet or R would"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
		|| echo "could not install$$missing; those tests will fail"; \
	else echo "no$$missing and cannot install it; those tests will fail"; fi

run: install
	$(BIN)/dress-registry db upgrade
	$(BIN)/dress-registry seed
	$(BIN)/dress-registry publish
	$(BIN)/dress-registry serve --host $(HOST) --port $(PORT)

# lint-imports: the layer contracts in pyproject.toml ([tool.importlinter]).
test: install-test browser readers
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist load $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) dist registry.db *.egg-info .import_linter_cache
