# Development and test entry points of the cxone.recording collection.
# Everything installs into .venv and .build/ inside the checkout: a fresh clone needs only
# python3.11, git, GNU make and tar. `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:
.DELETE_ON_ERROR:

# Python 3.11 makes the venv (ansible-core 2.19 needs >= 3.11): from PATH, else pyenv, else python3.
PYTHON ?= $(or $(shell command -v python3.11 2>/dev/null),$(lastword $(wildcard $(HOME)/.pyenv/versions/3.11.*/bin/python3.11)),python3)
# Python version ansible-test sanity runs with (it must be the venv's).
SANITY_PYTHON ?= 3.11

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
VENV_BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.requirements-installed
BUILD := $(ROOT)/.build
DIST := $(BUILD)/dist
# Where the built tarball is installed (what e2e tests and the demo use).
COLLECTIONS := $(BUILD)/collections
# Where a symlink exposes this checkout as ansible_collections.cxone.recording (unit tests, lint).
DEV_COLLECTIONS := $(BUILD)/dev-collections
DEV_LINK := $(DEV_COLLECTIONS)/ansible_collections/cxone/recording
# ansible-test must run from a real (not symlinked) ansible_collections/<ns>/<name> folder.
SANITY_TREE := $(BUILD)/sanity
SANITY_ROOT := $(SANITY_TREE)/ansible_collections/cxone/recording
SANITY_LOG := $(BUILD)/sanity.log

UNIT_PATHS := tests/unit tests/sandbox/tests
E2E_PATHS := tests/e2e

# $(call run_pytest,paths,environment): run pytest from the venv on these paths.
define run_pytest
	env $(2) "$(VENV_BIN)/python" -m pytest $(1)
endef

.PHONY: help venv link install-collection build demo bench unit e2e e2e-oldest sanity lint changelog-lint ee-context test clean distclean

help: ## Show this help
	@echo "Targets of cxone.recording (run from the repository root):"
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  %-20s %s\n", $$1, $$2 }'
	@echo "Variables: PYTHON=$(PYTHON)"

venv: $(VENV_STAMP) ## Create .venv (Python 3.11) with the pinned tools of tests/requirements.txt

$(VENV_STAMP): tests/requirements.txt requirements.txt
	@if [ ! -x "$(VENV_BIN)/python" ]; then echo "+ $(PYTHON) -m venv .venv"; "$(PYTHON)" -m venv "$(VENV)"; fi
	"$(VENV_BIN)/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt -r requirements.txt
	@"$(VENV_BIN)/python" -c 'import sys; assert sys.version_info >= (3, 11), "the venv needs Python >= 3.11, got " + sys.version'
	@touch "$@"

link: ## Symlink this checkout as .build/dev-collections/ansible_collections/cxone/recording
	@mkdir -p "$(dir $(DEV_LINK))"
	@ln -sfn "$(ROOT)" "$(DEV_LINK)"
	@echo "linked $(DEV_LINK) -> $(ROOT)"

build: venv ## Build the collection tarball into .build/dist
	@rm -rf "$(DIST)" && mkdir -p "$(DIST)"
	"$(VENV_BIN)/ansible-galaxy" collection build --force --output-path "$(DIST)" "$(ROOT)"

install-collection: build ## Build the tarball and install it into .build/collections (the real artefact)
	@rm -rf "$(COLLECTIONS)" && mkdir -p "$(COLLECTIONS)"
	ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" "$(VENV_BIN)/ansible-galaxy" collection install --offline --force \
	  -p "$(COLLECTIONS)" "$(DIST)"/cxone-recording-*.tar.gz

demo: venv install-collection ## Start the CXone sandbox and run the modules against it
	PATH="$(VENV_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" PYTHONPATH="$(ROOT)/tests/sandbox" \
	  "$(VENV_BIN)/python" tests/demo/run_demo.py

bench: venv install-collection ## The batch benchmark against the sandbox; the table goes to bench/results/latest.md
	PATH="$(VENV_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" PYTHONPATH="$(ROOT)/tests/sandbox" \
	  "$(VENV_BIN)/python" bench/run_bench.py $(BENCH_ARGS)

unit: venv link ## pytest tests/unit and tests/sandbox/tests (collection imported through the dev link)
	$(call run_pytest,$(UNIT_PATHS),PYTHONPATH="$(DEV_COLLECTIONS):$(ROOT)/tests/sandbox" ANSIBLE_COLLECTIONS_PATH="$(DEV_COLLECTIONS)")

e2e: venv install-collection ## pytest tests/e2e: ansible-playbook with the installed tarball
	$(call run_pytest,$(E2E_PATHS),PATH="$(VENV_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" PYTHONPATH="$(ROOT)/tests/sandbox")

# The oldest supported ansible-core, for the end-to-end tests of the modules and the connection.
OLDEST_VENV := $(ROOT)/.venv-oldest
OLDEST_STAMP := $(OLDEST_VENV)/.requirements-installed
OLDEST_COLLECTIONS := $(BUILD)/collections-oldest
OLDEST_E2E_PATHS := tests/e2e/test_modules.py tests/e2e/test_connection_plugin.py

$(OLDEST_STAMP): tests/requirements-oldest.txt
	@if [ ! -x "$(OLDEST_VENV)/bin/python" ]; then echo "+ $(PYTHON) -m venv .venv-oldest"; "$(PYTHON)" -m venv "$(OLDEST_VENV)"; fi
	"$(OLDEST_VENV)/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements-oldest.txt
	@touch "$@"

e2e-oldest: build $(OLDEST_STAMP) ## The modules' and connection's end-to-end tests on the oldest supported ansible-core
	@rm -rf "$(OLDEST_COLLECTIONS)" && mkdir -p "$(OLDEST_COLLECTIONS)"
	ANSIBLE_COLLECTIONS_PATH="$(OLDEST_COLLECTIONS)" "$(OLDEST_VENV)/bin/ansible-galaxy" collection install --offline --force \
	  -p "$(OLDEST_COLLECTIONS)" "$(DIST)"/cxone-recording-*.tar.gz
	"$(OLDEST_VENV)/bin/ansible" --version | head -1
	PATH="$(OLDEST_VENV)/bin:$$PATH" ANSIBLE_COLLECTIONS_PATH="$(OLDEST_COLLECTIONS)" PYTHONPATH="$(ROOT)/tests/sandbox" \
	  "$(OLDEST_VENV)/bin/python" -m pytest $(OLDEST_E2E_PATHS)

sanity: venv ## ansible-test sanity (no ignore files) on a copy in .build/sanity
	@if ls tests/sanity/ignore-*.txt >/dev/null 2>&1; then echo "ERROR: sanity ignore files are not allowed:" tests/sanity/ignore-*.txt; exit 1; fi
	"$(VENV_BIN)/python" tests/utils/seed_ansible_test_pip.py --python "$(SANITY_PYTHON)"
	@rm -rf "$(SANITY_TREE)" && mkdir -p "$(SANITY_ROOT)"
	@# Files git tracks plus untracked, non-ignored ones (deleted tracked files are skipped).
	@git ls-files -z --cached --others --exclude-standard \
	  | tar --null --ignore-failed-read --files-from=- -cf - 2>/dev/null | tar -xf - -C "$(SANITY_ROOT)"
	@# A git repository of its own, or ansible-test would ask the enclosing checkout's git (which ignores .build/).
	@git -C "$(SANITY_ROOT)" -c init.defaultBranch=sanity init -q
	@echo "copied $$(find "$(SANITY_ROOT)" -path '*/.git' -prune -o -type f -print | wc -l) files to $(SANITY_ROOT)"
	@rc=0; (cd "$(SANITY_ROOT)" && PATH="$(VENV_BIN):$$PATH" "$(VENV_BIN)/ansible-test" sanity \
	  --venv --requirements --python "$(SANITY_PYTHON)" --color no --junit 2>&1) | tee "$(SANITY_LOG)" || rc=$$?; \
	echo "== ansible-test sanity, per test (junit: $(SANITY_ROOT)/tests/output/junit):"; \
	count=0; for f in "$(SANITY_ROOT)"/tests/output/junit/ansible-test-sanity-*.xml; do \
	  [ -e "$$f" ] || continue; count=$$((count + 1)); \
	  name=$$(basename "$$f" .xml); name=$${name#ansible-test-sanity-}; \
	  if grep -q '<failure' "$$f"; then status=FAILED; \
	  elif grep -q '<skipped>No tests applicable' "$$f"; then status="passed (no files of its kind)"; \
	  elif grep -q '<skipped' "$$f"; then status="SKIPPED: $$(sed -n 's/.*<skipped>\(.*\)<\/skipped>.*/\1/p' "$$f")"; \
	  else status=passed; fi; \
	  printf '  %-32s %s\n' "$$name" "$$status"; \
	done; \
	echo "  ($$count tests; log: $(SANITY_LOG))"; \
	broken=$$(grep -E 'Skipping sanity test .*(missing virtual environment|could not be found|missing libyaml)' "$(SANITY_LOG)" || true); \
	if [ -n "$$broken" ]; then echo "ERROR: sanity tests could not run:"; echo "$$broken"; [ $$rc -ne 0 ] || rc=1; fi; \
	if [ $$count -eq 0 ]; then echo "ERROR: ansible-test ran no sanity test"; [ $$rc -ne 0 ] || rc=1; fi; \
	if [ $$rc -ne 0 ]; then echo "== sanity FAILED (exit $$rc)"; else echo "== sanity passed"; fi; \
	exit $$rc

lint: venv link ## ansible-lint --profile production (collection found through the dev link)
	PATH="$(VENV_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(DEV_COLLECTIONS)" \
	  "$(VENV_BIN)/ansible-lint" --profile production --offline

changelog-lint: venv ## antsibull-changelog lint (fragments and changelog.yaml)
	"$(VENV_BIN)/antsibull-changelog" lint
	"$(VENV_BIN)/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml

# The example execution environment for AWX and what ansible-builder reads from the installed collection.
EE_EXAMPLE := extensions/awx/execution-environment.yml
EE_CONTEXT := $(BUILD)/ee-context
ANSIBLE_BUILDER ?= $(VENV_BIN)/ansible-builder

ee-context: venv install-collection ## ansible-builder create on the example execution environment into .build/ee-context
	@rm -rf "$(EE_CONTEXT)"
	"$(ANSIBLE_BUILDER)" create --file "$(EE_EXAMPLE)" --context "$(EE_CONTEXT)" --output-filename Containerfile
	@test -s "$(EE_CONTEXT)/Containerfile"
	@# The collection-level metadata (meta/execution-environment.yml) must name its requirement files.
	"$(ANSIBLE_BUILDER)" introspect --sanitize "$(COLLECTIONS)" | tee "$(EE_CONTEXT)/introspect.txt"
	@grep -q "^- 'requests" "$(EE_CONTEXT)/introspect.txt" || { echo "ERROR: ansible-builder does not see the collection's requirement on requests"; exit 1; }

test: venv link install-collection ee-context unit e2e unit-eda e2e-eda e2e-oldest sanity lint changelog-lint ## Everything CI runs, in order; stops at the first failure
	@echo "== make test: all steps passed"

clean: ## Remove build and test output (keeps .venv)
	rm -rf "$(BUILD)" tests/output .pytest_cache .ansible importer_result.json
	find . -path ./.venv -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv and .venv-oldest
	rm -rf "$(VENV)" "$(OLDEST_VENV)"

# -- Event-Driven Ansible: the consent_events source and the consent_refused rulebook ----------
# ansible-rulebook (and its aiohttp) live in their own venv, .venv-eda, with the pinned
# tests/requirements-eda.txt; it needs a Java 17 runtime (Debian: openjdk-17-jre-headless).
EDA_VENV := $(ROOT)/.venv-eda
EDA_STAMP := $(EDA_VENV)/.requirements-installed
EDA_UNIT_PATHS := tests/unit/extensions
EDA_E2E_PATHS := tests/e2e/test_consent_events.py
# The listener's, the rulebook's and the sandbox's Python: the modules run with ansible-rulebook's.
EDA_ENV := PATH="$(EDA_VENV)/bin:$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" PYTHONPATH="$(ROOT)/tests/sandbox"

.PHONY: eda-venv unit-eda e2e-eda bench-consent

$(EDA_STAMP): tests/requirements-eda.txt
	@java_bin=$${JAVA_HOME:+$$JAVA_HOME/bin/}java; \
	if ! "$$java_bin" -version 2>&1 | grep -Eq 'version "(1[7-9]|2[0-9])'; then \
	  echo "ERROR: ansible-rulebook needs Java 17 or later ($$java_bin): apt-get install openjdk-17-jre-headless"; exit 1; fi
	@if [ ! -x "$(EDA_VENV)/bin/python" ]; then echo "+ $(PYTHON) -m venv .venv-eda"; "$(PYTHON)" -m venv "$(EDA_VENV)"; fi
	"$(EDA_VENV)/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements-eda.txt
	@touch "$@"

eda-venv: $(EDA_STAMP) ## Create .venv-eda with ansible-rulebook (tests/requirements-eda.txt); checks Java 17

unit-eda: eda-venv ## The consent_events source's unit tests, in .venv-eda (aiohttp)
	env PYTHONPATH="$(ROOT)/tests/sandbox" "$(EDA_VENV)/bin/python" -m pytest $(EDA_UNIT_PATHS)

e2e-eda: eda-venv install-collection ## ansible-rulebook with the installed consent_refused rulebook against the sandbox
	env $(EDA_ENV) "$(EDA_VENV)/bin/python" -m pytest $(EDA_E2E_PATHS)

bench-consent: eda-venv install-collection ## 10 refusals/s for 60 s through the rulebook: latency p50/p99, lost, twice
	@mkdir -p bench/results
	env $(EDA_ENV) "$(EDA_VENV)/bin/python" bench/consent/run_bench.py --output-dir bench/results
