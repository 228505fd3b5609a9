# sedkit: two commands on a fresh machine.
#   make demo   install into .venv and run the demo on generated data
#   make test   install into .venv (with the reference scorers) and run the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEMO_DIR ?= demo
PYTEST_ARGS ?=

.PHONY: all demo test bench system-deps clean help

help:
	@echo "make demo   - install into $(VENV) and run the demo on generated audio"
	@echo "make test   - install into $(VENV) (with test extras) and run the test suite"
	@echo "make bench  - run the benchmarks in benchmarks/ (slow)"
	@echo "make clean  - remove $(VENV) and demo outputs"

# Debian packages: scaper's sox bindings build against libsox-dev and need sox at run time.
system-deps:
	@if ! command -v sox >/dev/null 2>&1 || ! dpkg -s libsox-dev >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages: sox libsox-dev"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sox libsox-dev >/dev/null; \
	  else \
	    echo "sedkit needs the Debian packages sox and libsox-dev: sudo apt-get install -y sox libsox-dev" >&2; exit 1; \
	  fi; \
	fi

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel "setuptools<82"

# One stamp per set of extras; reinstalls when setup.cfg changes.
$(VENV)/.installed-%: setup.cfg pyproject.toml | $(PY) system-deps
	$(PIP) install -q -e ".[$(subst +,$(comma),$*)]"
	touch $@

comma := ,

# Until the SED recipe lands: generated audio -> log-mel features -> normalisation stats + picture.
demo: $(VENV)/.installed-synth
	$(PY) data_prep/make_demo_audio.py $(DEMO_DIR)/audio --n-clips 40 --sample-rate 44100
	$(VENV)/bin/sedkit features $(DEMO_DIR)/audio $(DEMO_DIR)/features --nj 2
	$(VENV)/bin/sedkit features stats $(DEMO_DIR)/features --plot $(DEMO_DIR)/features.png
	@echo "demo done: features in $(DEMO_DIR)/features, picture in $(DEMO_DIR)/features.png"

test: $(VENV)/.installed-synth+test
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-synth+test
	$(PY) benchmarks/features.py
	$(PY) benchmarks/eval.py

clean:
	rm -rf $(VENV) $(DEMO_DIR)
