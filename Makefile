PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: setup demo test lint bench samples docs clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

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
	$(BIN)/python -m bench.fetch
	$(BIN)/python -m bench.analysis

samples: $(STAMP)
	$(BIN)/python -m provlytics.synthetic data/samples

docs: $(STAMP)
	$(BIN)/python -c "import sys, provlytics.schema as s; sys.stdout.write(s.render_markdown())" > docs/schema.md

clean:
	rm -rf $(VENV) report/ .pytest_cache
