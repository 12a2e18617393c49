# CalciKG tasks. `make help` lists them. Everything runs from the project's own virtualenv (.venv),
# which `make setup` creates from pyproject.toml; a Java runtime (for HermiT) is installed through
# apt-get when missing and we are root, otherwise the setup says what to install.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help setup java test-deps run build validate dl-check test test-fast serve bench load mutation clean

help:  ## list the tasks
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CalciKG needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

java:  ## make sure Java (HermiT) and the OWL API (OWL 2 DL profile check) are there
	@missing=""; \
	command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 || missing="default-jdk-headless"; \
	[ -f /usr/share/java/owlapi-distribution.jar ] || missing="$$missing libowlapi-java"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $$missing (Debian packages) for HermiT and the OWL 2 DL check"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "please install: $$missing (e.g. sudo apt-get install $$missing)" >&2; exit 1; \
	  fi; \
	fi

# The test command alone needs these: a real Virtuoso and Apache Jena for the store parity tests, and a
# headless Chromium for the browser tests. apt-get must not start Virtuoso as a system service
# (policy-rc.d refuses it); the tests start their own private servers on free loopback ports.
TEST_DEBS := virtuoso-opensource libapache-jena-java chromium chromium-driver

test-deps:  ## install what only the tests need (Virtuoso, Jena, Chromium) through apt-get when missing
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (Debian packages) for the store and browser tests"; \
	    created=""; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created=1; }; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; rc=$$?; \
	    [ -z "$$created" ] || rm -f /usr/sbin/policy-rc.d; exit $$rc; \
	  else \
	    echo "please install:$$missing (e.g. sudo apt-get install$$missing); the tests that need them are skipped without them" >&2; \
	  fi; \
	fi

setup: $(STAMP) java  ## create .venv with CalciKG and its test tools; install Java and the OWL API if missing

run: setup  ## set up, build the graph and print the flagship answer (treatments effective in JDM)
	$(BIN)/calcikg build
	$(BIN)/calcikg query treatments-effective-in --param condition=JDM

build: $(STAMP)  ## rebuild kg/ and ontology/ releases from the records
	$(BIN)/calcikg build

validate: setup  ## SHACL + violation queries + HermiT on the built graph
	$(BIN)/calcikg validate

test: setup test-deps  ## run the whole test suite (installs Virtuoso, Jena and Chromium for it)
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## tests without the reasoner, the server and the second SHACL engine
	$(BIN)/python -m pytest -m "not slow"

dl-check: setup  ## check the RDF/XML releases are OWL 2 DL (OWL API profile checker)
	tools/owl-dl-check/run.sh ontology/calcikg.owl
	tools/owl-dl-check/run.sh kg/calcikg.owl

serve: $(STAMP)  ## serve the built graph read-only on http://127.0.0.1:7878/query
	$(BIN)/calcikg serve

bench: $(STAMP)  ## benchmark build/validate/query at 100, 1,000 and 10,000 synthetic reports
	$(BIN)/python bench/run.py

load: $(STAMP)  ## load test of calcikg serve: 1,000 queries from 50 clients on loopback (bench/load.py)
	$(BIN)/python bench/load.py --clients 50 --queries 1000

.PHONY: web web-bench
web: $(STAMP)  ## browse the built graph: questions, terms, cases, reports, evidence map on http://127.0.0.1:8080/
	$(BIN)/calcikg web

web-bench: $(STAMP)  ## cold start of calcikg web and server time per page on the real graph (bench/web.py)
	$(BIN)/python bench/web.py

MVENV := .venv-mutation

$(MVENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(MVENV)
	$(MVENV)/bin/pip install --quiet --upgrade pip
	$(MVENV)/bin/pip install --quiet -e '.[mutation]'
	@touch $@

mutation: $(MVENV)/.installed  ## mutation testing (mutmut, own venv) of records, graph, validate, query; slow, not in make test (MUTANTS='calcikg.records*': one module)
	$(MVENV)/bin/mutmut run --max-children 2 $(MUTANTS) || true
	$(MVENV)/bin/python bench/mutation_score.py

clean:  ## remove the virtualenv and scratch files (not the committed releases)
	rm -rf $(VENV) $(MVENV) build .pytest_cache
