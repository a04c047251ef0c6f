# mcusim: the two commands of the README.
#   make demo   set up everything, then compile a zoo model for NUCLEO-U545RE-Q and run it in the emulator
#   make test   set up everything, then run the whole test suite
# Targets are idempotent: a second run reuses .venv and the installed toolchain.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.mcusim-installed
DEMO   := out/demo
JOBS   ?= 2

.PHONY: setup toolchain venv demo test test-fast lint clean

setup: toolchain venv

toolchain:
	@tools/ensure_toolchain.sh

venv: $(STAMP)

# torch is installed first, pinned, so nothing later pulls another build of it.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: setup
	$(BIN)/mcusim demo -o $(DEMO) --force

# lint first (ruff is pinned in pyproject.toml, so its verdict is the same everywhere)
test: setup
	$(BIN)/ruff check mcusim model_zoo st_import tests tools
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow" -n $(JOBS) --dist loadfile

lint: setup
	$(BIN)/ruff check mcusim model_zoo st_import tests tools

clean:
	rm -rf out build dist .pytest_cache
