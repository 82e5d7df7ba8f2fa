# miniport: `make demo` to try it, `make test` to check it, `make lint` before committing.

VENV := .venv
PYTHON := $(VENV)/bin/python
# Exact versions for development and CI, so that a new release elsewhere cannot change a build;
# pyproject.toml keeps lower bounds for users. `make lock` refreshes it on purpose.
CONSTRAINTS := constraints.txt
PIP_INSTALL := $(PYTHON) -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS)
# Each marker records that one set of extras was installed against the current pyproject.toml
# and constraints; a change to either reinstalls, nothing else does. The demo needs only the
# package itself, the tests add theirs, lint adds the linters.
RUNTIME := $(VENV)/.installed-runtime
TESTING := $(VENV)/.installed-test
DEVELOPMENT := $(VENV)/.installed-dev
CHROMIUM := /usr/lib/chromium/chromium
# pytest-xdist processes for the tests that need no browser (each test has its own databases
# and free ports); `make test TEST_WORKERS=1` runs them in one process.
TEST_WORKERS ?= 2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench install lock

install: $(DEVELOPMENT)

$(PYTHON):
	python3 -m venv $(VENV)

$(RUNTIME): pyproject.toml $(CONSTRAINTS) | $(PYTHON)
	@echo "installing miniport into $(VENV) (the first time takes about a minute)"
	$(PIP_INSTALL) -e .
	touch $@

$(TESTING): $(RUNTIME)
	@echo "installing the test tools into $(VENV)"
	$(PIP_INSTALL) -e '.[test]'
	touch $@

$(DEVELOPMENT): $(TESTING)
	$(PIP_INSTALL) -e '.[dev]'
	touch $@

# Resolves every dependency afresh (newest releases within pyproject.toml's bounds) in a
# throw-away environment and records the result; commit constraints.txt after a green run.
lock:
	rm -rf $(VENV)-lock
	python3 -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	{ echo "# Exact versions for development and CI; regenerate with \`make lock\`."; \
	  $(VENV)-lock/bin/python -m pip freeze --exclude-editable --all \
	    | grep -vE '^(pip|setuptools|wheel)=='; } > $(CONSTRAINTS)
	rm -rf $(VENV)-lock
	@echo "wrote $(CONSTRAINTS); run make test and make lint before committing it"

demo: $(RUNTIME)
	$(VENV)/bin/miniport demo

# Browser tests run in their own pytest invocation (Playwright's sync API leaves an event loop
# behind that breaks async tests collected after it). Exit code 5 ("no tests collected") is
# a failure for the main run: a suite that silently ran nothing must not look green.
test: $(TESTING)
	@set -e; \
	status=0; \
	$(PYTHON) -m pytest --collect-only -q -m browser >/dev/null 2>&1 || status=$$?; \
	case $$status in \
	  0) browser=yes ;; \
	  5) browser=no ;; \
	  *) echo "collecting the browser tests failed (pytest exit $$status):" >&2; \
	     $(PYTHON) -m pytest --collect-only -q -m browser >&2 || true; \
	     exit $$status ;; \
	esac; \
	missing=""; \
	if [ $$browser = yes ]; then \
	  [ -x $(CHROMIUM) ] || missing="chromium"; \
	  dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || dpkg -s fonts-noto-cjk >/dev/null 2>&1 \
	    || missing="$$missing fonts-wqy-microhei"; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "browser tests need Debian's chromium and a CJK font for screenshots; installing$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing \
	    || { $(SUDO) apt-get update && \
	         $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; }; \
	fi; \
	echo "$(PYTHON) -m pytest -n $(TEST_WORKERS) -m 'not browser'"; \
	$(PYTHON) -m pytest -n $(TEST_WORKERS) -m "not browser"; \
	if [ $$browser = yes ]; then \
	  echo "$(PYTHON) -m pytest -m browser"; \
	  $(PYTHON) -m pytest -m browser; \
	fi

lint: $(DEVELOPMENT)
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check
	$(VENV)/bin/mypy --strict src/

# The load generator is Debian's wrk; installed on first use like the browser tests' Chromium.
bench: $(DEVELOPMENT)
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "benchmarks need Debian's wrk; installing it"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk \
	    || { $(SUDO) apt-get update && \
	         $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }; }
	$(PYTHON) -m benchmarks.run $(BENCH_ARGS)
