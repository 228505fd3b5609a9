# sedkit: two commands on a fresh machine.
#   make demo   install into .venv and run the demo on generated data
#   make test   install into .venv (with the reference scorers) and run the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST_ARGS ?=
# Exact, reproducible versions (the CPU torch of these machines); setup.cfg keeps ranges.
CONSTRAINTS := constraints.txt

.PHONY: all demo test bench system-deps install-check clean help

help:
	@echo "make demo   - install into $(VENV) and run the demo on generated audio"
	@echo "make test   - install into $(VENV) (with test extras) and run the test suite"
	@echo "make bench  - run the benchmarks in benchmarks/ (slow)"
	@echo "make clean  - remove $(VENV) and the demo's outputs"

# Debian packages: scaper's sox bindings build against libsox-dev and need sox at run time; Scaper's pitch shift
# and time stretch (make-bank-corpus's augmented synthesis) call the rubberband program (rubberband-cli).
system-deps:
	@if ! command -v sox >/dev/null 2>&1 || ! dpkg -s libsox-dev >/dev/null 2>&1 || ! command -v rubberband >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages: sox libsox-dev rubberband-cli"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sox libsox-dev rubberband-cli >/dev/null; \
	  else \
	    echo "sedkit needs the Debian packages sox, libsox-dev and rubberband-cli: sudo apt-get install -y sox libsox-dev rubberband-cli" >&2; exit 1; \
	  fi; \
	fi

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel "setuptools<82"

# One stamp per set of extras; reinstalls when setup.cfg changes.
$(VENV)/.installed-%: setup.cfg pyproject.toml $(CONSTRAINTS) | $(PY) system-deps
	$(PIP) install -q -c $(CONSTRAINTS) -e ".[$(subst +,$(comma),$*)]"
	touch $@

comma := ,

# The SED recipe on a corpus sedkit generates (half the default size): domain adaptation (DA, the paper's
# GRL system), one seed, trained to convergence with the mini config (4000 steps); about 13 minutes on 2 CPU
# cores after the install. The full tables (MMT-DA and the bounds, 3 seeds) are the recipe's RESULTS.md.
# Outputs stay in the recipe folder (data_demo/, dump_demo/, exp_demo/, RESULTS_demo.md). It ends as a user would:
# the run's model package (stage 5) detects events in a 3-minute recording and draws them (docs/inference.md).
DEMO_RECIPE := recipes/dcase2020_task4/sed1
demo: $(VENV)/.installed-synth
	cd $(DEMO_RECIPE) && ./run.sh --mini true --mini_scale 0.5 --systems da --seeds 1 \
	  --data data_demo --dump dump_demo --exp exp_demo --results RESULTS_demo.md
	@# Detect events in a recording of a few minutes: 18 held-out soundscapes joined end to end (3 min).
	cd $(DEMO_RECIPE) && sox $$(ls data_demo/validation/audio/*.wav | head -n 18) exp_demo/demo_recording.wav
	cd $(DEMO_RECIPE) && ../../../$(VENV)/bin/sedkit infer \
	  --model exp_demo/$$(../../../$(VENV)/bin/sedkit results path run --system da --seed 1)/detector.pt \
	  --audio exp_demo/demo_recording.wav --out exp_demo/detect --plot
	@echo "demo done: results table in $(DEMO_RECIPE)/RESULTS_demo.md, experiment in $(DEMO_RECIPE)/exp_demo/,"
	@echo "data in $(DEMO_RECIPE)/{data_demo,dump_demo}/; see docs/recipes.md for what each stage wrote"
	@echo "detector: $(DEMO_RECIPE)/exp_demo/$$($(VENV)/bin/sedkit results path run --system da --seed 1)/detector.pt;"
	@echo "events of a 3-minute recording in"
	@echo "$(DEMO_RECIPE)/exp_demo/detect/predictions.tsv; look at them: $(DEMO_RECIPE)/exp_demo/detect/plots/demo_recording.png"

# sebbs (the authors' cSEBB package, AGPL-3.0) is the tests' reference for `sedkit postprocess --sebbs`, never a
# dependency of sedkit: installed without its dependencies, which would replace sed_scores_eval 0.0.4 with a fork
# of the same module name (it builds from source with Cython, fetched by pip into the build environment).
$(VENV)/.installed-sebbs: $(VENV)/.installed-synth+test+onnx+energy
	$(PIP) install -q --no-deps -c $(CONSTRAINTS) sebbs
	touch $@

test: $(VENV)/.installed-synth+test+onnx+energy $(VENV)/.installed-sebbs install-check
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

# sedkit as a library: a non-editable `pip install .` into a clean venv (with the constraints) must work
# and answer `sedkit --version` (about a minute with pip's wheel cache).
INSTALL_CHECK := $(shell mktemp -u /tmp/sedkit-install-check.XXXXXX)
install-check: | $(PY)
	$(PYTHON) -m venv $(INSTALL_CHECK)
	$(INSTALL_CHECK)/bin/pip install -q --upgrade pip
	$(INSTALL_CHECK)/bin/pip install -q -c $(CONSTRAINTS) .
	cd /tmp && $(INSTALL_CHECK)/bin/sedkit --version
	rm -rf $(INSTALL_CHECK)

bench: $(VENV)/.installed-synth+test+onnx
	$(PY) benchmarks/features.py
	$(PY) benchmarks/eval.py

clean:
	rm -rf $(VENV) $(DEMO_RECIPE)/data_demo $(DEMO_RECIPE)/dump_demo $(DEMO_RECIPE)/exp_demo $(DEMO_RECIPE)/RESULTS_demo*
