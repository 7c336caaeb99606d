# talentflow: `make run` and `make test` set everything up on a fresh clone.
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

#: docs/results.md runs on the scenario its sweep files name (configs/calibrated.toml); RESULTS_CONFIG=FILE runs
#: the sweeps of overrides on another scenario instead.
RESULTS_CONFIG ?=
RESULTS_WORKERS ?= 2
#: RESULTS_SCHEDULER=tcp://HOST:8786 runs the same experiments on a Dask cluster (the same seeds, the same results).
RESULTS_SCHEDULER ?=

.PHONY: run test bench lint clean results

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python >= 3.12 (pyenv: the repo's .python-version selects 3.12)" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,experiments,viz]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/talentflow compare configs/calibrated.toml configs/combined.toml --out out/compare

#: The test files run on one worker process per CPU, at most TEST_WORKERS (a file's tests stay on one worker, so
#: its fixtures are built once); TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 4

test: $(STAMP)
	$(BIN)/python -m pytest -q $(if $(filter 0,$(TEST_WORKERS)),,-n auto --maxprocesses $(TEST_WORKERS) --dist loadfile)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Every named experiment from scratch (results/ is rebuilt), then docs/results.md and docs/img/results/.
results: $(STAMP)
	rm -rf results
	$(BIN)/python -m experiments.named all $(if $(RESULTS_CONFIG),--base $(RESULTS_CONFIG) )$(if $(RESULTS_SCHEDULER),--scheduler $(RESULTS_SCHEDULER),--workers $(RESULTS_WORKERS)) \
		--out results --doc docs/results.md --quiet

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) out
