# miniport: `make demo` to try it, `make test` to check it, `make lint` before committing.

VENV := .venv
PYTHON := $(VENV)/bin/python
# Records that `pip install -e '.[dev]'` ran against the current pyproject.toml; a newer
# pyproject.toml (new dependency, new entry point) triggers a reinstall, nothing else does.
INSTALLED := $(VENV)/.installed-dev
CHROMIUM := /usr/lib/chromium/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench install

install: $(INSTALLED)

$(PYTHON):
	python3 -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(PYTHON)
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(INSTALLED)
	$(VENV)/bin/miniport demo

# Browser tests run in their own pytest invocation (Playwright's sync API leaves an event loop
# behind that breaks async tests collected after it). Exit code 5 ("no tests collected") is
# a failure for the main run: a suite that silently ran nothing must not look green.
test: $(INSTALLED)
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
	echo "$(PYTHON) -m pytest -m 'not browser'"; \
	$(PYTHON) -m pytest -m "not browser"; \
	if [ $$browser = yes ]; then \
	  echo "$(PYTHON) -m pytest -m browser"; \
	  $(PYTHON) -m pytest -m browser; \
	fi

lint: $(INSTALLED)
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check
	$(VENV)/bin/mypy --strict src/

# The load generator is Debian's wrk; installed on first use like the browser tests' Chromium.
bench: $(INSTALLED)
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "benchmarks need Debian's wrk; installing it"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk \
	    || { $(SUDO) apt-get update && \
	         $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }; }
	$(PYTHON) -m benchmarks.run $(BENCH_ARGS)
