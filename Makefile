# Two commands for a fresh machine (see README's Quick Start):
#   make lab    create .venv if missing, install, prepare MNIST into data/, start JupyterLab
#   make test   create or refresh .venv, prepare MNIST, run the whole suite (unit tests + notebooks)
#   make test-kernels   the unit tests and notebooks once per OpenBLAS kernel this CPU can run
#   make test-min   the same suite on the oldest declared Python and dependency versions (below)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Students get the runtime and JupyterLab ('lab' extra); `make test` adds the test and
# instructor tools ('dev' extra: pytest, nbval, nbgrader, ...). Each stamp is refreshed
# whenever pyproject.toml changes.
LAB_STAMP := $(VENV)/.installed-lab
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: lab test test-kernels test-min install data data-dev bench bench-hub hub-proxy hub-env clean-venv

# JupyterHub's proxy for tests/test_hub.py (and a one-machine class, README's "Running a class"), from
# the npm registry into build/npm/ (never globally). Without npm it says so and the hub
# test skips with the reason.
CHP_VERSION := 5.1.0
CHP_STAMP := build/npm/.installed-chp-$(CHP_VERSION)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(LAB_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[lab]'
	@touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@ $(LAB_STAMP)

install: $(DEV_STAMP)

data: $(LAB_STAMP)
	$(PY) -m course_lib.data

data-dev: $(DEV_STAMP)
	$(PY) -m course_lib.data

# Jupyter refuses to start as root without --allow-root (containers, CI machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: data
	$(VENV)/bin/jupyter lab notebooks/ $(ROOT_FLAG)

$(CHP_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
	    npm install --prefix build/npm --no-audit --no-fund --loglevel=error configurable-http-proxy@$(CHP_VERSION) && touch $@; \
	else \
	    echo "note: npm is missing, so configurable-http-proxy is not installed; tests/test_hub.py will skip" >&2; \
	fi

hub-proxy: $(CHP_STAMP)

# The class's Python environment for tests/test_hub.py: students' servers run as other Unix
# users, who cannot enter root's home, where pyenv's interpreters (and so .venv's) live.
# This one is made from Debian's /usr/bin/python3, as README's "Running a class" makes
# /srv/why-init/venv. Without that interpreter it says so and the hub test skips.
# Where: build/hub-venv, or, when other users cannot enter this checkout (CI's clone may sit
# under /root), a root-owned /var/cache/why-init-hub/venv-<hash>: tests/hub_harness.py's
# class_environment() decides, for the test and for this rule. It gets the course's
# dependencies, not the course: each student imports course_lib from their own clone.
HUB_PYTHON ?= /usr/bin/python3
HUB_VENV   := $(or $(shell $(PYTHON) tests/hub_harness.py class-environment 2>/dev/null),build/hub-venv)
HUB_STAMP  := $(HUB_VENV)/.installed-hub

$(HUB_STAMP): pyproject.toml
	@umask 022; if [ -x $(HUB_PYTHON) ] && $(HUB_PYTHON) -c 'import venv, ensurepip' 2>/dev/null; then \
	    mkdir -p $(dir $(HUB_VENV)) && $(HUB_PYTHON) -m venv $(HUB_VENV) && \
	    $(HUB_VENV)/bin/python -m pip install --quiet --upgrade pip && \
	    $(HUB_VENV)/bin/python -m pip install --quiet '.[lab,grade,hub]' && \
	    $(HUB_VENV)/bin/python -m pip uninstall --quiet --yes why-initialization-matters && touch $@; \
	else \
	    echo "note: $(HUB_PYTHON) with venv is missing, so $(HUB_VENV) is not made; tests/test_hub.py will skip" >&2; \
	fi

hub-env: $(HUB_STAMP)

# On every core (pytest-xdist): -n auto starts one worker per CPU, and --dist loadscope keeps
# each test module and each notebook on one worker, so a notebook's cells run in order in one
# kernel (nbval's documented requirement). TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= auto
test: data-dev hub-proxy hub-env
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope

# The kernel matrix (.ci/kernel_matrix.py): every claim must hold whichever BLAS kernel and
# SIMD loops a student's CPU gets. For each of Haswell, SkylakeX and Sandybridge that this CPU
# can execute (flags in /proc/cpuinfo; the others are skipped with a message) it runs the unit
# tests and the notebooks with OPENBLAS_CORETYPE=<kernel>, OPENBLAS_L2_SIZE unset and numpy's
# SIMD capped at that CPU generation, for that run only. Tests marked `blas_independent`
# (browser, grader/assignments, static notebook checks: nothing they assert goes through
# floating-point BLAS or numpy's SIMD loops) are deselected with -m, and cost nothing here:
# `make test` runs them once. A marker, not --ignore paths, so the choice sits in each test
# file and survives a move. Two runs go in parallel on 2 cores, each with one BLAS thread:
# most of a run is single-threaded Python and notebook kernels, so the second core would
# otherwise idle (measured on this 2-core machine under other users' load, two at a time: the
# 6 runs' own times add up to 2,060 s, the whole matrix took 1,315 s; 6.7 CPU-minutes in all).
test-kernels: data-dev
	$(PY) .ci/kernel_matrix.py
# `make test-min`: are the floors pyproject.toml declares true? A second venv, .venv-min, on the
# oldest declared Python (MIN_PYTHON_VERSION, the floor of requires-python: the drift test checks
# that they agree) with every runtime dependency at exactly its floor and the test tools at theirs
# (.ci/min_requirements.py writes the list from pyproject.toml; what those need in turn is the
# newest release that fits, as a user installing the floors today gets). Then the unit tests and
# the notebooks. Another interpreter: `make test-min MIN_PYTHON=/path/to/python3.10`; by default
# python3.10 from PATH, else pyenv's 3.10.x.
# Left out, because they do not exercise the runtime floors and would add minutes:
#   tests/test_browser.py      JupyterLab's front end in Chromium (the lab extra; the widgets' Python
#                              side runs in test_widgets.py, test_train_widget.py and the notebooks)
#   tests/test_assignments.py  nbgrader and the grader (tools of the test and grade extras)
#   -m "not slow_install"      tests/test_wheel.py installs today's releases, not the floors
# -W ignore::DeprecationWarning: the floors call names their newer dependencies deprecate
# (matplotlib 3.7 -> pyparsing 3.3, ipywidgets 8.0 -> ipykernel's Comm); Python shows a student
# none of these, and 600 lines of them would bury the summary.
# The stamp reinstalls only when pyproject.toml or the script changes, so a warm run is the tests
# alone; a cold venv reuses pip's cache where pip keeps one (on GitHub, setup-python's), else it
# downloads the ~40 wheels (about 40 s here).
MIN_PYTHON_VERSION ?= 3.10
ifndef MIN_PYTHON
MIN_PYTHON = $(firstword $(shell for p in python$(MIN_PYTHON_VERSION) \
    $$(pyenv root 2>/dev/null)/versions/$(MIN_PYTHON_VERSION).*/bin/python$(MIN_PYTHON_VERSION); do \
    "$$p" -c "" 2>/dev/null && echo "$$p"; done) python$(MIN_PYTHON_VERSION))
endif
MIN_VENV  := .venv-min
MIN_PY    := $(MIN_VENV)/bin/python
MIN_STAMP := $(MIN_VENV)/.installed-min

$(MIN_VENV)/bin/python:
	$(MIN_PYTHON) -m venv $(MIN_VENV)
	$(MIN_PY) -m pip install --quiet --upgrade pip packaging 'tomli; python_version < "3.11"'

$(MIN_STAMP): pyproject.toml .ci/min_requirements.py | $(MIN_VENV)/bin/python
	$(MIN_PY) .ci/min_requirements.py > $(MIN_VENV)/requirements-min.txt
	$(MIN_PY) -m pip install --quiet -r $(MIN_VENV)/requirements-min.txt -e .
	@touch $@

test-min: $(MIN_STAMP)
	$(MIN_PY) -m course_lib.data --quiet
	$(MIN_PY) -m pytest -W ignore::DeprecationWarning -m "not slow_install" \
	    --ignore=tests/test_browser.py --ignore=tests/test_assignments.py

bench: $(DEV_STAMP)
	$(PY) benchmarks/bench_training.py

# What a hub costs per student (as root; minutes): see README, "Running a class".
bench-hub: data-dev hub-proxy hub-env
	$(PY) benchmarks/bench_hub.py

clean-venv:
	rm -rf $(VENV) $(MIN_VENV)
