# Two commands set up a fresh machine:  `make serve`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test test-stores install install-test install-bench lint typecheck bench bench-load clean docs release wheel

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python  ## install the project and its runtime dependencies
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python  ## install the project with its test dependencies
	$(BIN)/pip install --quiet -e '.[test]'

serve: install  ## run the server on the embedded store with the graph loaded
	$(BIN)/ilrs serve --host $(HOST) --port $(PORT)

test: install-test  ## run lint, type checks, the whole test suite, and the server's tests on each external store
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest
	$(MAKE) test-stores

# Every test that reads the store through the shared live server again, that server on each external
# store (the other tests start servers of their own, on the embedded store: conftest.py deselects them;
# tests/test_external_stores.py runs on both Oxigraph server and Virtuoso within the main run).
# The two sessions wait on their stores more than they compute: they run side by side.
test-stores: install-test  ## the server's tests on Oxigraph server and on Virtuoso (side by side)
	$(MAKE) -j2 --output-sync=target test-store-oxigraph test-store-virtuoso

test-store-%:
	$(BIN)/pytest -q -p no:cacheprovider --store-backend $*

docs: install  ## regenerate docs/ontology/ from the ontology and data (needs Graphviz: apt-get install graphviz)
	$(BIN)/ilrs docs

release: install  ## write release/<version>/ and its CHANGELOG entry (after ilrs check and validate pass)
	$(BIN)/ilrs release

wheel: $(BIN)/python  ## build the installable wheel into dist/ (pip install dist/ilrs_kg-*.whl)
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist .

install-bench: $(BIN)/python  ## install the project with its test and benchmark dependencies
	$(BIN)/pip install --quiet -e '.[test,bench]'

bench: install-bench  ## SPARQL benchmark against Oxigraph server and rdflib-endpoint; writes bench/RESULTS.md
	$(BIN)/python -m bench.run --scales 1 10 --budget 30

bench-load: install-test  ## measure loading and validating the graph
	$(BIN)/python -m bench.load --runs 7

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info build dist
