# Two commands: `make demo` runs the main job, `make test` runs the checks. Both bootstrap what they need.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.bootstrapped
SERVE  ?= 0
CALLS  ?=

.PHONY: demo test lint typecheck pytest bench setup clean

$(STAMP): pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $@

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/wildchat demo $(if $(filter 1,$(SERVE)),--serve,) $(if $(CALLS),--calls $(CALLS),)

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(VENV)/bin/pytest

bench: $(STAMP)
	bash scripts/bench.sh

clean:
	rm -rf $(VENV) .venv-bench wildchat-data .pytest_cache .mypy_cache .ruff_cache
