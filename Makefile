# Two commands do everything on a fresh machine:
#   make figures   create .venv, install, run the default workflow end to end
#   make test      create .venv if missing, install, run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CORES ?= all
SNAKEMAKE_ARGS ?=

.PHONY: figures test report lint dry-run clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,slurm]'
	touch $(STAMP)

figures: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --workflow-profile workflow/profiles/default $(SNAKEMAKE_ARGS)

report: figures
	$(BIN)/snakemake --cores 1 --workflow-profile workflow/profiles/default --report results/report.html

dry-run: $(STAMP)
	$(BIN)/snakemake -n --workflow-profile workflow/profiles/default $(SNAKEMAKE_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow benchmarks

clean:
	rm -rf results/sims results/theory results/random_mode results/trained results/finite_size_study results/*.nc results/figures results/report.html logs .snakemake
