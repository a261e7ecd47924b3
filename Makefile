# gosim: two entry points for a fresh machine with only Python 3.11.
#   make demo   set up .venv, start a local gosim, simulate an example, print the histograms
#   make test   set up .venv with the dev tools and run the whole test suite
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/python -m clients.demo

test: $(BIN)/.installed
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy simcore server clients

bench: $(BIN)/.installed
	$(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) build *.egg-info
