# Two commands for students: `make lab` and `make test`. Only Python 3 and make are needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Notebook runs: one kernel per notebook file, spread over the cores.
NB_WORKERS ?= 2
# One native thread per process: the test workers already use every core, and the course's small
# dense loops run faster single-threaded. `make notebooks` uses the same setting, so stored outputs
# are produced exactly as nbval re-computes them.
RUN_ENV := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TUTORIAL_LIB_PROGRESS=0 \
           MPLBACKEND=module://matplotlib_inline.backend_inline
NBVAL_OPTS := -p no:cacheprovider --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
              -n $(NB_WORKERS) --dist loadfile --nbval-cell-timeout 300

.PHONY: lab test unit-tests nbval notebooks exercises benchmarks venv clean browser-test

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Containers often run as root, which JupyterLab refuses without --allow-root.
LAB_OPTS ?= $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_OPTS) notebooks/00_start_here.ipynb

test: $(STAMP) unit-tests nbval

unit-tests: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m pytest -p no:cacheprovider -n $(NB_WORKERS) tests

nbval: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m pytest $(NBVAL_OPTS) --nbval notebooks solutions
	$(RUN_ENV) $(BIN)/python -m pytest $(NBVAL_OPTS) --nbval-lax exercises

# Re-execute the stored notebooks so their outputs are current (then commit them).
notebooks: $(STAMP) exercises
	$(RUN_ENV) $(BIN)/python -m tutorial_lib.authoring execute notebooks/*.ipynb solutions/*.ipynb

# Regenerate the exercise sheets from the solution notebooks (one source).
exercises: $(STAMP)
	$(BIN)/python -m tutorial_lib.authoring exercises

# Every lesson in headless Chromium (Debian's `chromium` package) driven by Playwright: runs all cells,
# moves one control of each widget; screenshots and timings in browser-artifacts/. Not part of `make test`.
BROWSER_STAMP := $(VENV)/.browser-installed
$(BROWSER_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[browser]'
	touch $(BROWSER_STAMP)

browser-test: $(BROWSER_STAMP)
	@test -x /usr/bin/chromium || { echo "browser-test needs Chromium: apt-get install -y chromium"; exit 1; }
	BROWSER_TEST=1 $(BIN)/python -m pytest -p no:cacheprovider tests/browser

benchmarks: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
