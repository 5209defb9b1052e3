# The README's two commands:  `make demo`  and  `make test`.
# Each creates .venv from requirements-lock.txt when it is missing or stale.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.hemlab-installed

.PHONY: setup demo test test-fast lab bench clean

$(STAMP): requirements-lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-lock.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(PY) -m hemlab paper --preset quick

test: setup
	HEMLAB_QUICK=1 $(PY) -m pytest tests $(wildcard notebooks/*.ipynb) --nbval-lax

test-fast: setup
	HEMLAB_QUICK=1 $(PY) -m pytest tests -x -q

lab: setup
	$(VENV)/bin/jupyter lab notebooks

bench: setup
	$(PY) benchmarks/loss_speed.py

clean:
	rm -rf $(VENV) results .pytest_cache
