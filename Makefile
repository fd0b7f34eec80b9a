# Two commands for a fresh machine (see README's Quick Start):
#   make lab    create .venv if missing, install, prepare MNIST into data/, start JupyterLab
#   make test   create or refresh .venv, prepare MNIST, run the whole suite (unit tests + notebooks)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Students get the runtime and JupyterLab ('lab' extra); `make test` adds the test and
# instructor tools ('dev' extra: pytest, nbval, nbgrader, ...). Each stamp is refreshed
# whenever pyproject.toml changes.
LAB_STAMP := $(VENV)/.installed-lab
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: lab test install data data-dev bench clean-venv

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

test: data-dev
	$(PY) -m pytest

bench: $(DEV_STAMP)
	$(PY) benchmarks/bench_training.py

clean-venv:
	rm -rf $(VENV)
