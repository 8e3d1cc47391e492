PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOK_STAMP := $(VENV)/.notebook
CHROMIUM := /usr/bin/chromium

.PHONY: setup demo test lint bench samples docs notebook screenshots clean chromium

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
# (root, as in a container, needs --allow-root); JUPYTER_ARGS=--no-browser etc. pass through
notebook: $(NOTEBOOK_STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(JUPYTER_ARGS)

# docs/img/*.png from the executed notebooks, exported with nbconvert, shot by headless Chromium
screenshots: $(NOTEBOOK_STAMP) chromium
	$(BIN)/python docs/screenshots.py --chromium $(CHROMIUM)

demo: $(STAMP)
	$(BIN)/provlytics demo --out report/

# The report's browser test needs Debian's chromium: installed here when missing, if we are root
# (.ci/run is); otherwise the test skips, or fails under CI=true.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else \
	    echo "$(CHROMIUM) is missing and we are not root: the browser test will not run"; \
	  fi; \
	fi

test: $(STAMP) chromium
	$(BIN)/ruff check provlytics tests bench
	$(BIN)/pytest -q --nbval-lax --nbval-current-env tests notebooks

lint: $(STAMP)
	$(BIN)/ruff check provlytics tests bench
	$(BIN)/ruff format --check provlytics tests bench

bench: $(STAMP)
	$(BIN)/python -m bench.normalize
	$(BIN)/python -m bench.decode
	$(BIN)/python -m bench.store
	$(BIN)/python -m bench.fetch
	$(BIN)/python -m bench.analysis
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.deadline

samples: $(STAMP)
	$(BIN)/python -m provlytics.synthetic data/samples

docs: $(STAMP)
	$(BIN)/python -c "import sys, provlytics.schema as s; sys.stdout.write(s.render_markdown())" > docs/schema.md

clean:
	rm -rf $(VENV) report/ .pytest_cache
