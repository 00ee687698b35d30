# The two commands: `make demo` runs the main job, `make test` runs the test suite.
# Both create .venv and install everything on first use (scripts/setup.sh).
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SETUP_INPUTS := scripts/setup.sh constraints.txt requirements-dev.txt \
	packages/frdeid/pyproject.toml packages/boneds/pyproject.toml packages/bonevlp/pyproject.toml

DEMO_OUT ?= demo-output
PYTEST_ARGS ?=

.PHONY: setup demo test test-all lint clean

$(STAMP): $(SETUP_INPUTS)
	bash scripts/setup.sh

setup: $(STAMP)

demo: $(STAMP)
	bash scripts/demo.sh $(DEMO_OUT)

test: $(STAMP)
	$(PY) -m pytest tests $(PYTEST_ARGS)

test-all: $(STAMP)
	$(PY) -m pytest tests --runslow $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check packages tests benchmarks

clean:
	rm -rf $(DEMO_OUT) .pytest_cache
