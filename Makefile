# Two commands for a fresh machine (see README's Quick Start):
#   make lab    create .venv if missing, install, prepare MNIST into data/, start JupyterLab
#   make test   create or refresh .venv, prepare MNIST, run the whole suite (unit tests + notebooks)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: lab test install data bench clean-venv

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

data: $(STAMP)
	$(PY) -m course_lib.data

lab: data
	$(VENV)/bin/jupyter lab notebooks/

test: data
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/bench_training.py

clean-venv:
	rm -rf $(VENV)
