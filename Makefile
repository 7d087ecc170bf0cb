# One entry point for people and CI. Every target bootstraps .venv itself, so
# on a fresh clone `make book` and `make test` are all a newcomer needs.
#
#   make book              build the executed HTML book into _build/html
#   make test              run the whole test suite
#   make chapter CH=mnist  execute one chapter, report its outputs
#   make site-test         check the built site (links, errors, browser)
#   make bench             run the side-by-side benchmarks (BENCH_FLAGS=--quick)
#   make lab               open the chapters as notebooks in Jupyter Lab
#   make clean             remove the build and the execution cache

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BOOK_FLAGS ?= --keep-going

.PHONY: book test chapter site-test bench bench-env clean env data lab

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,book]"
	@touch $(STAMP)

env: $(STAMP)

data: $(STAMP)
	$(VENV)/bin/scratchnet data fetch

book: $(STAMP) data
	$(VENV)/bin/jupyter-book build . --builder html $(BOOK_FLAGS)

test: $(STAMP)
	$(PY) -m pytest

chapter: $(STAMP) data
	@test -n "$(CH)" || { echo "usage: make chapter CH=<name>, e.g. CH=mnist"; \
	  ls book/*.md | sed 's|book/||; s|\.md$$||' | sed 's/^/  /'; exit 2; }
	$(PY) book/run_chapter.py $(CH)

site-test: $(STAMP)
	SCRATCHNET_REQUIRE_SITE=1 $(PY) -m pytest tests/site -m site

bench-env: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"

bench: bench-env data
	$(PY) -m benchmarks $(BENCH_FLAGS)

lab: $(STAMP)
	$(PY) -m pip install --quiet -e ".[lab]"
	$(VENV)/bin/jupyter lab book/

clean:
	rm -rf _build
