# One entry point for people and CI. Every target bootstraps .venv itself, so
# on a fresh clone `make book` and `make test` are all a newcomer needs.
#
#   make book              build the executed HTML book into _build/html
#   make pdf               the whole book as one PDF: _build/pdf/scratchnet-book.pdf
#   make test              run the whole test suite
#   make lock              refresh requirements.lock and requirements-bench.lock
#   make lint              ruff on all Python, mypy on the package
#   make chapter CH=mnist  execute one chapter, report its outputs
#   make site-test         check the built site (links, errors, browser)
#   make bench             run the side-by-side benchmarks (BENCH_FLAGS=--quick)
#   make lab               open the chapters as notebooks in Jupyter Lab
#   make lab-test          run a chapter in a real Jupyter Lab, in Chromium
#   make clean             remove the build and the execution cache

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BOOK_FLAGS ?= --keep-going

# Every target installs the exact, hashed set in the lock files, the set CI
# tested. LOCKED=no installs instead the newest versions pyproject.toml's
# ranges allow (the weekly workflow does, to see rot before readers do).
LOCKED ?= yes
LOCK       := requirements.lock
BENCH_LOCK := requirements-bench.lock
STAMP      := $(VENV)/.installed-locked-$(LOCKED)
BENCH_STAMP := $(VENV)/.installed-bench-$(LOCKED)
PIP        := $(PY) -m pip install --quiet

.PHONY: lint book pdf test chapter site-test bench bench-env browser clean env data \
	lab lab-env lab-test lock versions axe

ifeq ($(LOCKED),yes)
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "the lock files \
	  are for Python 3.11 or newer: make PYTHON=python3.11, or LOCKED=no")'
	@rm -f $(VENV)/.installed-*
	$(PIP) --upgrade pip
	$(PIP) --require-hashes -r $(LOCK)
	$(PIP) --no-deps -e .
	@touch $(STAMP)

$(BENCH_STAMP): $(STAMP) $(BENCH_LOCK)
	$(PIP) --require-hashes -r $(BENCH_LOCK)
	@touch $(BENCH_STAMP)
else
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@rm -f $(VENV)/.installed-*
	$(PIP) --upgrade pip
	$(PIP) --upgrade --upgrade-strategy eager -e ".[test,book,lint,lab]"
	@touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(PIP) --upgrade --upgrade-strategy eager -e ".[bench]"
	@touch $(BENCH_STAMP)
endif

env: $(STAMP)

# The versions installed, one per line (the weekly workflow prints them).
versions: $(STAMP)
	@$(PY) -m pip freeze --exclude-editable

# Refresh the lock files: the newest versions pyproject.toml's ranges allow,
# resolved for this Python, every file's SHA-256 recorded. Commit the result.
# requirements-bench.lock adds PyTorch and agrees with requirements.lock.
PIP_TOOLS ?= pip-tools==7.6.2
COMPILE := $(VENV)/bin/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links

lock:
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) $(PIP_TOOLS)
	$(COMPILE) --extra test,book,lint,lab -o $(LOCK) pyproject.toml
	$(COMPILE) --extra bench -c $(LOCK) -o $(BENCH_LOCK) pyproject.toml

data: $(STAMP)
	$(VENV)/bin/scratchnet data fetch

book: $(STAMP) data
	$(VENV)/bin/jupyter-book build . --builder html $(BOOK_FLAGS)

# The whole book as one PDF, printed by Chromium from the single-page build
# (book/pdf.py says why this route); needs `make book` first, for the
# pictures of the interactive pages. It ends up in _build/pdf and, for the
# download link on the site, in _build/html/_static.
# The single page is built apart (_build/print): a build environment that the
# single-page builder saved would break the next `make book`.
pdf: $(STAMP) data browser
	$(VENV)/bin/jupyter-book build . --builder singlehtml --path-output _build/print \
	  $(BOOK_FLAGS)
	$(PY) book/pdf.py

# The mnist tests need the real files: fetch them first. Offline, the fetch
# says why it failed and those tests skip with a reason; the rest still run.
test: $(STAMP) browser
	-$(VENV)/bin/scratchnet data fetch
	$(PY) -m pytest

LINT_PATHS := src tests benchmarks book/_ext book/run_chapter.py book/pdf.py

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/mypy

# The site tests drive a real Chromium. Where one can be installed as CI does
# it (root and apt: a fresh Debian or Ubuntu machine), install Debian's
# package; elsewhere say how once, and the browser checks skip (under CI and
# `make site-test` a missing browser is still a failure).
browser:
	@if [ -n "$$SCRATCHNET_BROWSER" ] || command -v chromium >/dev/null 2>&1 \
	  || command -v chromium-browser >/dev/null 2>&1 \
	  || command -v google-chrome >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests (apt-get)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq chromium >/dev/null; } \
	  || echo "could not install chromium: the browser tests will skip"; \
	else \
	  echo "no Chromium: the browser tests will skip (install Debian's" \
	    "'chromium' package, or set SCRATCHNET_BROWSER=/path/to/chrome)"; \
	fi

chapter: $(STAMP) data
	@test -n "$(CH)" || { echo "usage: make chapter CH=<name>, e.g. CH=mnist"; \
	  ls book/*.md | sed 's|book/||; s|\.md$$||' | sed 's/^/  /'; exit 2; }
	$(PY) book/run_chapter.py $(CH)

# axe-core for the accessibility checks, at the version its lock file pins
# (npm from Debian's package where it is missing and apt can install it).
axe:
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; } \
	  || { echo "npm is missing: install Debian's 'npm' package" >&2; exit 1; }
	npm ci --prefix tests/site/axe --no-audit --no-fund --loglevel=error

site-test: $(STAMP) axe
	SCRATCHNET_REQUIRE_SITE=1 $(PY) -m pytest tests/site -m site

bench-env: $(BENCH_STAMP)

bench: bench-env data
	$(PY) -m benchmarks $(BENCH_FLAGS)

# book/_lab holds Jupyter settings for this project only (JUPYTER_CONFIG_PATH
# adds it to the user's own): a double-click opens a chapter as a notebook.
LAB_CONFIG := $(CURDIR)/book/_lab

# The Lab extra is part of requirements.lock.
lab-env: $(STAMP)

lab: lab-env
	JUPYTER_CONFIG_PATH=$(LAB_CONFIG)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH} \
	  $(VENV)/bin/jupyter lab book/

# A chapter opened, run and read in a real Jupyter Lab, in Chromium.
lab-test: lab-env
	SCRATCHNET_REQUIRE_LAB=1 $(PY) -m pytest tests/lab

clean:
	rm -rf _build
