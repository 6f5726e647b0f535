# kubelab: `make lab` opens the course, `make test` runs every test (unit, doctests, notebooks).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NBVAL  := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:python

.PHONY: lab test unit notebooks lint format exercises benchmark clean

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "kubelab needs Python 3.11 or newer (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-test.txt
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/00_start.ipynb

test: $(STAMP) lint unit notebooks

lint: $(STAMP)
	$(BIN)/ruff check kubelab tests tools benchmarks
	$(BIN)/python tools/make_exercises.py --check

unit: $(STAMP)
	$(BIN)/pytest -q -n 2 tests kubelab

notebooks: $(STAMP)
	MPLBACKEND=Agg $(BIN)/pytest -q -n 2 --dist loadscope $(NBVAL) notebooks

format: $(STAMP)
	$(BIN)/ruff check --fix kubelab tests tools benchmarks
	$(BIN)/ruff format kubelab tests tools benchmarks

exercises: $(STAMP)
	$(BIN)/python tools/make_exercises.py

benchmark: $(STAMP)
	$(BIN)/python benchmarks/pods_to_running.py --pods 10000 --nodes 500

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
