PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOK_STAMP := $(VENV)/.notebook

.PHONY: setup demo test lint bench samples docs notebook screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

$(NOTEBOOK_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,notebook]'
	touch $(NOTEBOOK_STAMP)

# JupyterLab from the `notebook` extra, on notebooks/; its python3 kernel is this .venv's
notebook: $(NOTEBOOK_STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

# docs/img/*.png from the executed notebooks, exported with nbconvert, shot by headless Chromium
screenshots: $(NOTEBOOK_STAMP)
	$(BIN)/python docs/screenshots.py --chromium $${CHROMIUM:-/usr/bin/chromium}

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

samples: $(STAMP)
	$(BIN)/python -m provlytics.synthetic data/samples

docs: $(STAMP)
	$(BIN)/python -c "import sys, provlytics.schema as s; sys.stdout.write(s.render_markdown())" > docs/schema.md

clean:
	rm -rf $(VENV) report/ .pytest_cache
