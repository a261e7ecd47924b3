# gosim: two entry points for a fresh machine with only Python 3.11.
#   make demo   set up .venv, start a local gosim, simulate an example, print the histograms
#   make test   set up .venv with the dev tools and run the whole test suite
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench build clean

# Installing also compiles simcore's hot modules with mypyc (setup.py), in place.
$(BIN)/.installed: pyproject.toml setup.py
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(BIN)/.compiled

# Recompile when a simcore source changed since the last build.
$(BIN)/.compiled: $(wildcard simcore/*.py) | $(BIN)/.installed
	$(BIN)/python setup.py --quiet build_ext --inplace
	touch $@

build: $(BIN)/.compiled

demo: $(BIN)/.compiled
	$(BIN)/python -m clients.demo

test: $(BIN)/.compiled
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy simcore server clients

bench: $(BIN)/.compiled
	$(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) build *.egg-info *.so simcore/*.so
