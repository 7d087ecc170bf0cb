# One entry point for people and CI. Every target bootstraps .venv itself, so
# on a fresh clone `make book` and `make test` are all a newcomer needs.
#
#   make book              build the executed HTML book into _build/html
#   make test              run the whole test suite
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
STAMP  := $(VENV)/.installed
BOOK_FLAGS ?= --keep-going

.PHONY: lint book test chapter site-test bench bench-env browser axe clean env data lab lab-env lab-test

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,book,lint]"
	@touch $(STAMP)

env: $(STAMP)

data: $(STAMP)
	$(VENV)/bin/scratchnet data fetch

book: $(STAMP) data
	$(VENV)/bin/jupyter-book build . --builder html $(BOOK_FLAGS)

# The mnist tests need the real files: fetch them first. Offline, the fetch
# says why it failed and those tests skip with a reason; the rest still run.
test: $(STAMP) browser
	-$(VENV)/bin/scratchnet data fetch
	$(PY) -m pytest

LINT_PATHS := src tests benchmarks book/_ext book/run_chapter.py

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

bench-env: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"

bench: bench-env data
	$(PY) -m benchmarks $(BENCH_FLAGS)

# book/_lab holds Jupyter settings for this project only (JUPYTER_CONFIG_PATH
# adds it to the user's own): a double-click opens a chapter as a notebook.
LAB_CONFIG := $(CURDIR)/book/_lab

lab-env: $(STAMP)
	$(PY) -m pip install --quiet -e ".[lab]"

lab: lab-env
	JUPYTER_CONFIG_PATH=$(LAB_CONFIG)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH} \
	  $(VENV)/bin/jupyter lab book/

# A chapter opened, run and read in a real Jupyter Lab, in Chromium.
lab-test: lab-env
	SCRATCHNET_REQUIRE_LAB=1 $(PY) -m pytest tests/lab

clean:
	rm -rf _build
