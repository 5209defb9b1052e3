# The README's two commands:  `make demo`  and  `make test`; `make docs` builds the site.
# Each creates .venv from requirements-lock.txt when it is missing or stale.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.hemlab-installed
RESULTS ?= $(CURDIR)/results

.PHONY: setup browser demo docs readme screenshots test test-fast lab bench clean

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

# The documentation site, offline, into site/: the quick sweep (runs already in $(RESULTS) are
# reused), then docs/site/build.py executes every notebook against it (DOCS_JOBS kernels at
# once; a failing cell stops the build), renders the pages with warnings as errors and checks
# every internal link, anchor and notebook figure. The widget manager is installed by `npm ci` from
# docs/site/widgets/package-lock.json (pinned; needs Node's npm) into build/docs/widgets and bundled
# into the site. DOCS_FLAGS passes options, e.g. --executed DIR.
DOCS_JOBS ?= 2
docs: setup
	HEMLAB_RESULTS=$(RESULTS) $(PY) -m hemlab paper --preset quick --quiet
	HEMLAB_RESULTS=$(RESULTS) OMP_NUM_THREADS=1 $(PY) docs/site/build.py --jobs $(DOCS_JOBS) $(DOCS_FLAGS)

# The README's result tables (between its <!-- generated: NAME --> markers), written by
# docs/readme_tables.py from the quick sweep in $(RESULTS) (runs already there are reused).
readme: setup
	HEMLAB_RESULTS=$(RESULTS) $(PY) -m hemlab paper --preset quick --quiet
	HEMLAB_RESULTS=$(RESULTS) $(PY) docs/readme_tables.py

# The README's screenshots (docs/screenshot_*.png), renewed by the browser tests that take them.
# Only this target writes them; in `make test` the same tests write to a temporary folder.
screenshots: setup browser
	HEMLAB_RESULTS=$(RESULTS) $(PY) -m hemlab paper --preset quick --quiet
	HEMLAB_SCREENSHOTS=$(CURDIR)/docs HEMLAB_QUICK=1 HEMLAB_RESULTS=$(RESULTS) OMP_NUM_THREADS=1 \
		$(PY) -m pytest tests/browser/test_loss_anatomy.py tests/browser/test_task_notebook.py -q

# `make docs` first: the quick sweep (the main job, end to end), then every notebook, executed
# for the site (an error in any cell fails the build). Then the tests: every notebook again
# under nbval in fresh kernels, the test suite on two workers (a test file stays on one
# worker), and last, one at a time, the tests that start servers of their own (JupyterLab and
# the site in Chromium, Ray). One OpenMP thread per process: on a small machine two spinning
# threads per process run many times slower.
SERIAL_TESTS := tests/browser tests/tasks/test_ray_executor.py tests/tasks/test_plugin_executors.py
TEST_ENV := HEMLAB_QUICK=1 HEMLAB_RESULTS=$(RESULTS) HEMLAB_SITE=$(CURDIR)/site OMP_NUM_THREADS=1
test: docs browser
	$(TEST_ENV) $(PY) -m pytest notebooks/*.ipynb --nbval-lax -n 2 --dist loadfile -q
	$(TEST_ENV) $(PY) -m pytest tests -n 2 --dist loadfile $(addprefix --ignore=,$(SERIAL_TESTS))
	$(TEST_ENV) $(PY) -m pytest $(SERIAL_TESTS)

test-fast: setup
	HEMLAB_QUICK=1 $(PY) -m pytest tests -x -q

lab: setup
	$(VENV)/bin/jupyter lab notebooks

bench: setup
	$(PY) benchmarks/loss_speed.py

clean:
	rm -rf $(VENV) results site build/docs .pytest_cache
