# Two commands do everything on a fresh clone: `make plan` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STACK  ?= dev
FORMAT ?= text

.PHONY: plan diff policy readme-graph docs test bench mutation venv clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Azurite (Microsoft's Azure Storage emulator, from npm, pinned by its lock file): DiskUpload's tests and
# `make bench` upload to it. `make plan` does not need it (nor node).
AZURITE := tests/azurite/node_modules/.installed
$(AZURITE): tests/azurite/package.json tests/azurite/package-lock.json
	npm ci --prefix tests/azurite --no-audit --no-fund --loglevel=error
	touch $@

venv: $(VENV)/.installed $(AZURITE)

## The offline plan of a stack (STACK=dev|prod|..., FORMAT=text|json|mermaid|dot): no Azure, no Pulumi CLI.
plan: $(VENV)/.installed
	@$(PY) -m offline --stack $(STACK) --format $(FORMAT)

## What changes from a git ref to this working tree (BASE=HEAD~1|origin/main|..., STACK, FORMAT=text|json):
## both revisions planned offline, the base in a temporary git worktree. Exits 1 when the diff has an error
## (a fleet down at once or a protected resource replaced, unless acknowledged: docs/diff.md).
diff: $(VENV)/.installed
	@test -n "$(BASE)" || { echo "usage: make diff BASE=<git ref> [STACK=dev] [FORMAT=text|json]"; exit 2; }
	@$(PY) -m offline.diff_cli --base $(BASE) --stack $(STACK) --format $(FORMAT)

## The policy pack (policy/) over the offline plan of a stack (STACK=dev|prod|...|all): no Pulumi CLI.
policy: $(VENV)/.installed
	@$(PY) -m policy.offline --stack $(STACK) --format $(FORMAT)

## Regenerate the README's architecture picture from the dev stack's plan (a test fails when stale).
readme-graph: $(VENV)/.installed
	@$(PY) -m offline.readme_graph --write

## Regenerate docs/config.md, docs/stack-config.schema.json and Pulumi.yaml's config block from the config model
## (components/config): a test fails when any of them is stale.
docs: $(VENV)/.installed
	@$(PY) -m offline.config_docs --write

## The whole test suite, including conformance to Azure's published ARM types (../shared/azure-schema).
test: $(VENV)/.installed $(AZURITE)
	$(PY) -m pytest

## Offline-plan timings as ratios (cold `make plan` per stack; scale set and VM fleets of growing size).
bench: $(VENV)/.installed $(AZURITE)
	@$(PY) -m offline.bench

## Mutation testing (mutmut) of one module, or all: MODULE=naming|azure_rules|cross_checks|... (pyproject.toml),
## JOBS mutants at once (default 1: the machine is shared). Prints the score per module. Not part of `make test`.
MODULE ?= all
JOBS   ?= 1
mutation: $(VENV)/.installed
	@$(PY) tests/mutation/run.py $(MODULE) --jobs $(JOBS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mutation
