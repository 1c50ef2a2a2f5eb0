# Two commands on a fresh machine:  make run   and   make test
# Both create .venv when it is missing and (re)install when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install generate check lint bench fuzz clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ctdc-schema needs Python >= 3.11 (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[generate,docs,dp,test]'
	touch $(STAMP)

install: $(STAMP)

# the real CTDC public samples (../shared, as in CI), else the extract the tests carry
SHARED  := ../shared/data/ctdc-public
CTDC2020 := $(firstword $(wildcard $(SHARED)/ctdc_global_k_anon_2020_sample.csv) tests/data/ctdc-public/ctdc_global_k_anon_2020_extract.csv)
CTDC2017 := $(wildcard $(SHARED)/ctdc_global_2017_sample.csv)
HARMONISED := build/harmonised

## make run: regenerate the artefacts, validate the whole specification, print the overlap,
##           then the main job: harmonise every example delivery and the real CTDC samples into
##           one dataset (build/harmonised/), checking every export; the dashboard of the real
##           samples (build/dashboard/), the changelog (build/CHANGELOG.md), a k = 11
##           de-identified release of the harmonised data published for a portal
##           (build/release/) and the documentation site (build/site/)
run: $(STAMP)
	$(BIN)/ctdc generate
	$(BIN)/ctdc validate
	$(BIN)/ctdc overlap
	mkdir -p $(HARMONISED)
	$(BIN)/ctdc transform --manifest examples/manifest.yaml \
	    -i $(CTDC2020) -s ctdc-public $(if $(CTDC2017),-i $(CTDC2017) -s ctdc-public-2017) \
	    -o $(HARMONISED)/ctdc.parquet
	$(BIN)/ctdc transform --manifest examples/manifest.yaml -o $(HARMONISED)/examples.parquet
	$(BIN)/ctdc transform --manifest examples/manifest.yaml --layout htcds \
	    -o $(HARMONISED)/examples-htcds.csv
	$(BIN)/ctdc transform -i $(CTDC2020) -s ctdc-public \
	    $(if $(CTDC2017),-i $(CTDC2017) -s ctdc-public-2017) -o $(HARMONISED)/ctdc-public.parquet
	$(BIN)/ctdc stats $(HARMONISED)/ctdc-public.parquet -o build/dashboard
	$(BIN)/ctdc changelog -o build/CHANGELOG.md
	$(BIN)/ctdc deidentify $(HARMONISED)/ctdc.parquet -o build/release/records.parquet --k 11
	$(BIN)/ctdc publish build/release/records.parquet -o build/release/published
	rm -rf build/synthetic && mkdir -p build/synthetic
	$(BIN)/ctdc synthesize $(HARMONISED)/ctdc.parquet -o build/synthetic/release --epsilon 4 \
	    --ledger build/synthetic/privacy-ledger.json --budget 12 --layout ctdc-synthetic
	$(BIN)/ctdc publish build/synthetic/release/records.parquet -o build/synthetic/published
	$(BIN)/ctdc docs build -o build/site \
	    --dashboard "Example exports (synthetic)=$(HARMONISED)/examples.parquet" \
	    --dashboard "CTDC public samples (real data)=$(HARMONISED)/ctdc-public.parquet" \
	    --release build/release/published --synthetic build/synthetic/release

## make test: the full suite (pytest, drift check, ruff, mypy)
test: $(STAMP)
	$(BIN)/python -m pytest
	$(BIN)/ctdc generate --check
	$(BIN)/ruff check src tests bench examples fuzz
	$(BIN)/mypy

generate: $(STAMP)
	$(BIN)/ctdc generate

## make bench: the spec benchmarks, the engine against the I/O floor at 10^6 rows, and
##             de-identification against the naive baseline and anjana (in its own venv:
##             anjana pins numpy, pandas and pycanon exactly), and the DP synthetic release at
##             10^5 and 10^6 records (about 45 min: pac-synth samples on one core)
##             (make bench ROWS=1e7 for more)
ROWS ?= 1e6
ANJANA := bench/.venv-anjana
bench: $(STAMP) $(ANJANA)/.installed
	$(BIN)/python bench/run.py
	$(BIN)/python bench/engine.py --rows $(ROWS)
	$(BIN)/python bench/profile.py --rows $(ROWS)
	$(BIN)/python bench/deidentify.py --rows $(ROWS)
	$(BIN)/python bench/synthesize.py

$(ANJANA)/.installed:
	$(PYTHON) -m venv $(ANJANA)
	$(ANJANA)/bin/python -m pip install --quiet 'anjana==1.2.3'
	touch $@

## make fuzz: coverage-guided fuzzing (atheris) of the YAML loader and of the export reader
##            and engine, FUZZ_SECONDS each (default 300); a crash stops it and fails
FUZZ_SECONDS ?= 300
fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[fuzz]'
	rm -rf build/fuzz && $(BIN)/python fuzz/harnesses.py seed build/fuzz
	cd build/fuzz && ../../$(BIN)/python ../../fuzz/harnesses.py yaml yaml \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=65536
	cd build/fuzz && ../../$(BIN)/python ../../fuzz/harnesses.py csv csv \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=3072 -max_len=8192

clean:
	rm -rf $(VENV) $(ANJANA) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
