# Two commands on a fresh machine:  make run   and   make test
# Both create .venv when it is missing and (re)install when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install generate check lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ctdc-schema needs Python >= 3.11 (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make run: regenerate the artefacts, validate the whole specification, print the overlap,
##           harmonise the example deliveries
run: $(STAMP)
	$(BIN)/ctdc generate
	$(BIN)/ctdc validate
	$(BIN)/ctdc overlap
	$(BIN)/ctdc transform --manifest examples/manifest.yaml -o build/harmonised/examples.jsonl

## make test: the full suite (pytest, drift check, ruff, mypy)
test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/ctdc generate --check
	$(BIN)/ruff check src tests bench examples
	$(BIN)/mypy

generate: $(STAMP)
	$(BIN)/ctdc generate

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
