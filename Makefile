# Two commands set up a fresh machine:  `make serve`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test install install-test lint typecheck bench clean docs release wheel

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python  ## install the project and its runtime dependencies
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python  ## install the project with its test dependencies
	$(BIN)/pip install --quiet -e '.[test]'

serve: install  ## run the server on the embedded store with the graph loaded
	$(BIN)/ilrs serve --host $(HOST) --port $(PORT)

test: install-test  ## run lint, type checks and the whole test suite
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

docs: install  ## regenerate docs/ontology/ from the ontology and data (needs Graphviz: apt-get install graphviz)
	$(BIN)/ilrs docs

release: install  ## write release/<version>/ and its CHANGELOG entry (after ilrs check and validate pass)
	$(BIN)/ilrs release

wheel: $(BIN)/python  ## build the installable wheel into dist/ (pip install dist/ilrs_kg-*.whl)
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist .

bench: install-test  ## measure loading and validating the graph
	$(BIN)/python -m bench.load --runs 7

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info build dist
