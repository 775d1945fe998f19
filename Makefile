# Two commands for students: `make lab` and `make test`. Only Python 3.11-3.13 and make are needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Exact versions of every installed package: the set that produced the stored outputs.
LOCK   := constraints.txt
# The install stamp depends on the lock: a changed pin reinstalls.
STAMP  := $(VENV)/.installed
# Students' own copies of the exercise sheets (git-ignored; created when missing, never overwritten).
MY_WORK ?= my_work
# Notebook runs: one kernel per notebook file, spread over the cores.
NB_WORKERS ?= 2
# One native thread per process: the test workers already use every core, and the course's small
# dense loops run faster single-threaded. `make notebooks` uses the same setting, so stored outputs
# are produced exactly as nbval re-computes them.
RUN_ENV := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TUTORIAL_LIB_PROGRESS=0 \
           MPLBACKEND=module://matplotlib_inline.backend_inline
NBVAL_OPTS := -p no:cacheprovider --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
              -n $(NB_WORKERS) --dist loadfile --nbval-cell-timeout 300
SUPPORTED_PYTHON := 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 11) <= v <= (3, 13) else \
    "The course is tested on Python 3.11-3.13; this is %d.%d. Run e.g. make PYTHON=python3.12 ..." % v)'

.PHONY: lab my-work test unit-tests nbval nbval-strict nbval-lax notebooks exercises benchmarks venv lock clean browser-test lint

venv: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c $(SUPPORTED_PYTHON)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c $(SUPPORTED_PYTHON)
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[test]'
	touch $(STAMP)

# Refresh the lock from the newest releases allowed by pyproject.toml, in a throw-away venv.
# Then: `make notebooks`, `make test`, and commit constraints.txt with the re-executed notebooks.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[test,browser]'
	{ echo "# Exact versions of every package the course installs (the set that produced the stored notebook outputs)."; \
	  echo "# Python 3.11-3.13. Refresh with \`make lock\`, then \`make notebooks\` and commit both. Do not edit by hand."; \
	  .venv-lock/bin/python -m pip freeze --all --exclude-editable | grep -v -i '^setuptools=='; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .venv-lock
	@echo "$(LOCK) refreshed. Now raise the floors in pyproject.toml if needed, run 'make notebooks' and 'make test', and commit."

# Containers often run as root, which JupyterLab refuses without --allow-root.
LAB_OPTS ?= $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

# The server's root is the repository (lessons, exercises and your copies all reachable);
# the browser opens the first lesson.
lab: $(STAMP) my-work
	$(BIN)/jupyter lab $(LAB_OPTS) --ServerApp.root_dir="$(CURDIR)" $(LAB_EXTRA) notebooks/00_start_here.ipynb

# Copy each exercise sheet to my_work/ if it is not there yet. Existing copies are never touched.
my-work:
	@mkdir -p "$(MY_WORK)"
	@for f in exercises/*.ipynb; do \
	  t="$(MY_WORK)/$${f##*/}"; \
	  if [ ! -e "$$t" ]; then cp "$$f" "$$t" && echo "created $$t (your copy: work in it)"; fi; \
	done

test: $(STAMP) unit-tests nbval

unit-tests: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m pytest -p no:cacheprovider -n $(NB_WORKERS) tests

nbval: nbval-strict nbval-lax

# Lint (configuration: [tool.ruff] in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check tutorial_lib tests benchmarks

# Stored outputs of lessons and solution sheets must be reproduced exactly (strict).
nbval-strict: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m pytest $(NBVAL_OPTS) --nbval notebooks solutions

# Exercise sheets are stored without outputs: they must run top to bottom.
nbval-lax: $(STAMP)
	$(RUN_ENV) $(BIN)/python -m pytest $(NBVAL_OPTS) --nbval-lax exercises

# Re-execute the stored notebooks so their outputs are current (then commit them).
notebooks: $(STAMP) exercises
	$(RUN_ENV) $(BIN)/python -m tutorial_lib.authoring execute notebooks/*.ipynb solutions/*.ipynb

# Regenerate the exercise sheets from the solution notebooks (one source). Refuses to overwrite a
# sheet that was edited since it was generated (e.g. holds answers); FORCE=1 overwrites anyway.
exercises: $(STAMP)
	$(BIN)/python -m tutorial_lib.authoring exercises $(if $(filter 1,$(FORCE)),--force,)

# Every lesson in headless Chromium (Debian's `chromium` package) driven by Playwright: runs all cells,
# moves one control of each widget; screenshots and timings in browser-artifacts/. Not part of `make test`.
BROWSER_STAMP := $(VENV)/.browser-installed
$(BROWSER_STAMP): $(STAMP) pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[browser]'
	touch $(BROWSER_STAMP)

browser-test: $(BROWSER_STAMP)
	@test -x /usr/bin/chromium || { echo "browser-test needs Chromium: apt-get install -y chromium"; exit 1; }
	BROWSER_TEST=1 $(BIN)/python -m pytest -p no:cacheprovider tests/browser

benchmarks: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
