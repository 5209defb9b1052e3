# The README's two commands:  `make demo`  and  `make test`.
# Each creates .venv from requirements-lock.txt when it is missing or stale.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.hemlab-installed
RESULTS ?= $(CURDIR)/results

.PHONY: setup browser demo test test-fast lab bench clean

$(STAMP): requirements-lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-lock.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	HEMLAB_RESULTS=$(RESULTS) $(PY) -m hemlab paper --preset quick

# The browser tests (tests/browser) drive JupyterLab in the system Chromium. As root, install
# Debian's chromium when it is missing; otherwise those tests skip with one line saying so.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "could not install chromium: the browser tests will skip"; \
	fi

# The quick paper sweep first (the main job, end to end; runs already in $(RESULTS) are
# reused), then the test suite and every notebook, which read their runs from that store.
# One OpenMP thread per process: notebook kernels share the CPU with pytest, and two spinning
# threads per process on a small machine run many times slower.
test: setup browser
	HEMLAB_RESULTS=$(RESULTS) $(PY) -m hemlab paper --preset quick --quiet
	HEMLAB_QUICK=1 HEMLAB_RESULTS=$(RESULTS) OMP_NUM_THREADS=1 $(PY) -m pytest tests $(wildcard notebooks/*.ipynb) --nbval-lax

test-fast: setup
	HEMLAB_QUICK=1 $(PY) -m pytest tests -x -q

lab: setup
	$(VENV)/bin/jupyter lab notebooks

bench: setup
	$(PY) benchmarks/loss_speed.py

clean:
	rm -rf $(VENV) results .pytest_cache
