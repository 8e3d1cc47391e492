PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench samples docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/provlytics demo --out report/

test: $(STAMP)
	$(BIN)/ruff check provlytics tests bench
	$(BIN)/pytest -q --nbval-lax --nbval-current-env tests notebooks

lint: $(STAMP)
	$(BIN)/ruff check provlytics tests bench
	$(BIN)/ruff format --check provlytics tests bench

bench: $(STAMP)
	$(BIN)/python -m bench.normalize
	$(BIN)/python -m bench.fetch
	$(BIN)/python -m bench.analysis

samples: $(STAMP)
	$(BIN)/python -m provlytics.synthetic data/samples

docs: $(STAMP)
	$(BIN)/python -c "import sys, provlytics.schema as s; sys.stdout.write(s.render_markdown())" > docs/schema.md

clean:
	rm -rf $(VENV) report/ .pytest_cache
