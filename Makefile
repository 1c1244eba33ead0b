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

UNIT_PATHS := tests/unit tests/sandbox/tests
E2E_PATHS := tests/e2e
# pytest-xdist workers for `make e2e`, each with its own sandbox; a file's tests stay on one worker.
E2E_WORKERS ?= 2

# $(call run_pytest,paths,environment): run pytest from the venv on these paths; the last line says how long it took.
define run_pytest
	TIMEFORMAT='== $@: pytest took %0R s'; time env $(2) "$(VENV_BIN)/python" -m pytest $(1)
endef

# $(call shell_quote,text): text in single quotes for a POSIX shell.
shell_quote = '$(subst ','\'',$(1))'

.PHONY: help venv link install-collection build demo env-file shell sandbox bench unit e2e e2e-oldest sanity lint changelog-lint ee-context test clean distclean

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

demo: venv install-collection env-file ## Start the CXone sandbox and run the modules against it
	PATH="$(VENV_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" PYTHONPATH="$(ROOT)/tests/sandbox" \
	  "$(VENV_BIN)/python" tests/demo/run_demo.py

# The one way into the tools after `make demo`: .build/env (to `source`) puts .venv first on PATH and
# points ANSIBLE_COLLECTIONS_PATH at the installed collection; `make shell` opens a shell with it.
ENV_FILE := $(BUILD)/env
SHELL_RC := $(BUILD)/shellrc
SANDBOX_PORT ?= 8765

env-file: ## Write .build/env: `source .build/env` for ansible-playbook, ansible-doc and the installed collection
	@mkdir -p "$(BUILD)"
	@{ echo "# Written by make env-file: source it to use this checkout's tools and installed collection."; \
	  echo "export VIRTUAL_ENV=$(call shell_quote,$(VENV))"; \
	  echo 'export PATH="$$VIRTUAL_ENV/bin:$$PATH"'; \
	  echo "export ANSIBLE_COLLECTIONS_PATH=$(call shell_quote,$(COLLECTIONS))"; } > "$(ENV_FILE)"
	@{ echo '[ -f ~/.bashrc ] && . ~/.bashrc'; echo ". $(call shell_quote,$(ENV_FILE))"; \
	  echo 'PS1="(cxone.recording) $${PS1-\$$ }"'; } > "$(SHELL_RC)"

shell: venv env-file ## A shell with .venv active and ANSIBLE_COLLECTIONS_PATH set (prompt marked; exit to leave)
	@[ -f "$(COLLECTIONS)/ansible_collections/cxone/recording/MANIFEST.json" ] || $(MAKE) --no-print-directory install-collection
	@echo "ansible-playbook, ansible-doc: $(VENV_BIN); collections: $(COLLECTIONS). Type exit to leave."
	@bash --rcfile "$(SHELL_RC)" -i

sandbox: venv install-collection env-file ## Run the CXone sandbox (demo tenant) in the foreground for your playbooks; writes .build/sandbox/ inventories; Ctrl-C stops
	PYTHONPATH="$(ROOT)/tests/sandbox" "$(VENV_BIN)/python" tests/demo/run_sandbox.py --port $(SANDBOX_PORT)

bench: venv install-collection ## The batch benchmark against the sandbox; the table goes to bench/results/latest.md
	PATH="$(VENV_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" PYTHONPATH="$(ROOT)/tests/sandbox" \
	  "$(VENV_BIN)/python" bench/run_bench.py $(BENCH_ARGS)

unit: venv link ## pytest tests/unit and tests/sandbox/tests (collection imported through the dev link)
	$(call run_pytest,$(UNIT_PATHS),PYTHONPATH="$(DEV_COLLECTIONS):$(ROOT)/tests/sandbox" ANSIBLE_COLLECTIONS_PATH="$(DEV_COLLECTIONS)")

e2e: venv install-collection ## pytest tests/e2e: ansible-playbook with the installed tarball
	$(call run_pytest,-n $(E2E_WORKERS) --dist loadfile $(E2E_PATHS),PATH="$(VENV_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" PYTHONPATH="$(ROOT)/tests/sandbox")

# ---- The supported ansible-core range ------------------------------------------------------------
# meta/runtime.yml claims ansible-core >= 2.16. Three controllers are tested, each with
# `ansible-test sanity` (RANGE_SANITY_TESTS on the oldest and newest) and the end-to-end tests of RANGE_E2E_PATHS:
#   oldest  ansible-core 2.16, Python 3.11  (.venv-oldest, tests/requirements-oldest.txt)
#   default ansible-core 2.19, Python 3.11  (.venv, tests/requirements.txt; also runs every other test)
#   newest  ansible-core 2.21, Python 3.13  (.venv-newest, tests/requirements-newest.txt)
# README.md's support matrix says the same.

# End-to-end tests run on every ansible-core of the range (the whole of tests/e2e runs on the default one).
RANGE_E2E_PATHS := tests/e2e/test_modules.py tests/e2e/test_connection_plugin.py tests/e2e/test_role_record_on_demand.py \
  tests/e2e/test_role_desired_state.py

# Python 3.13 for the newest ansible-core (2.20+ needs >= 3.12): pyenv's, else one on PATH that runs.
PYENV_ROOT_DIR := $(or $(shell pyenv root 2>/dev/null),$(HOME)/.pyenv)
PYTHON_NEWEST ?= $(or $(lastword $(sort $(wildcard $(PYENV_ROOT_DIR)/versions/3.13.*/bin/python3.13))),$(shell python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null))
SANITY_PYTHON_OLDEST ?= 3.11
SANITY_PYTHON_NEWEST ?= 3.13
# The sanity tests whose verdict depends on the ansible-core version (its ansible-doc, module loader,
# argument-spec validator, runtime.yml schema and pinned pylint); the default core runs them all.
# RANGE_SANITY_TESTS= (empty) runs every test on the oldest and newest too.
RANGE_SANITY_TESTS ?= ansible-doc action-plugin-docs compile import pylint runtime-metadata validate-modules

OLDEST_VENV := $(ROOT)/.venv-oldest
OLDEST_STAMP := $(OLDEST_VENV)/.requirements-installed
NEWEST_VENV := $(ROOT)/.venv-newest
NEWEST_STAMP := $(NEWEST_VENV)/.requirements-installed

# $(call make_venv,venv,python,requirements): create the venv once, install the file again only when it changes.
define make_venv
	@if [ -z "$(2)" ]; then echo "ERROR: no Python interpreter for $(notdir $(1)) (see PYTHON_NEWEST in the Makefile)"; exit 1; fi
	@if [ ! -x "$(1)/bin/python" ]; then echo "+ $(2) -m venv $(notdir $(1))"; "$(2)" -m venv "$(1)"; fi
	@start=$$SECONDS; "$(1)/bin/python" -m pip install --quiet --disable-pip-version-check -r $(3); \
	  echo "installed $(3) into $(notdir $(1)) in $$((SECONDS - start)) s"
	@touch "$@"
endef

$(OLDEST_STAMP): tests/requirements-oldest.txt
	$(call make_venv,$(OLDEST_VENV),$(PYTHON),tests/requirements-oldest.txt)

$(NEWEST_STAMP): tests/requirements-newest.txt
	$(call make_venv,$(NEWEST_VENV),$(PYTHON_NEWEST),tests/requirements-newest.txt)

# $(call range_e2e,venv,collections): install the tarball `build` made with that venv's ansible-galaxy
# and run RANGE_E2E_PATHS with its ansible-playbook, on E2E_WORKERS pytest-xdist workers (a file's
# tests stay on one worker, as in `make e2e`).
define range_e2e
	@rm -rf "$(2)" && mkdir -p "$(2)"
	ANSIBLE_COLLECTIONS_PATH="$(2)" "$(1)/bin/ansible-galaxy" collection install --offline --force \
	  -p "$(2)" "$(DIST)"/cxone-recording-*.tar.gz
	@"$(1)/bin/ansible" --version | sed -n 1p; "$(1)/bin/python" --version
	TIMEFORMAT='== $@: pytest took %0R s'; time PATH="$(1)/bin:$$PATH" ANSIBLE_COLLECTIONS_PATH="$(2)" \
	  PYTHONPATH="$(ROOT)/tests/sandbox" "$(1)/bin/python" -m pytest -n $(E2E_WORKERS) --dist loadfile $(RANGE_E2E_PATHS)
endef

e2e-oldest: build $(OLDEST_STAMP) ## End-to-end tests of the modules, the connection and the role on ansible-core 2.16 (oldest)
	$(call range_e2e,$(OLDEST_VENV),$(BUILD)/collections-oldest)

e2e-newest: build $(NEWEST_STAMP) ## End-to-end tests of the modules, the connection and the role on ansible-core 2.21 (newest)
	$(call range_e2e,$(NEWEST_VENV),$(BUILD)/collections-newest)

# $(call copy_checkout,dest): the files git tracks plus untracked, non-ignored ones (deleted tracked
# files are skipped) copied to dest, made a git repository of its own for the tools that ask git.
define copy_checkout
	@mkdir -p "$(1)"
	@git ls-files -z --cached --others --exclude-standard \
	  | tar --null --ignore-failed-read --files-from=- -cf - 2>/dev/null | tar -xf - -C "$(1)"
	@git -C "$(1)" -c init.defaultBranch=scratch init -q
endef

# $(call run_sanity,venv,python version,name[,tests]): ansible-test sanity of that venv (only these tests
# when given) on a copy of the checkout in .build/<name>, with a summary per test. ansible-test
# bootstraps pip offline from the cache that seed_ansible_test_pip.py fills for that core's pip.
define run_sanity
	@if ls tests/sanity/ignore-*.txt >/dev/null 2>&1; then echo "ERROR: sanity ignore files are not allowed:" tests/sanity/ignore-*.txt; exit 1; fi
	"$(1)/bin/python" tests/utils/seed_ansible_test_pip.py --python "$(2)"
	@rm -rf "$(BUILD)/$(3)"
	@# A git repository of its own, or ansible-test would ask the enclosing checkout's git (which ignores .build/).
	$(call copy_checkout,$(BUILD)/$(3)/ansible_collections/cxone/recording)
	@echo "copied $$(find "$(BUILD)/$(3)/ansible_collections/cxone/recording" -path '*/.git' -prune -o -type f -print | wc -l) files to $(BUILD)/$(3)"
	@root="$(BUILD)/$(3)/ansible_collections/cxone/recording"; log="$(BUILD)/$(3).log"; \
	start=$$SECONDS; rc=0; (cd "$$root" && PATH="$(1)/bin:$$PATH" "$(1)/bin/ansible-test" sanity $(addprefix --test ,$(4)) \
	  --venv --requirements --python "$(2)" --color no --junit 2>&1) | tee "$$log" || rc=$$?; \
	echo "== ansible-test sanity ($$("$(1)/bin/ansible" --version | sed -n 1p), Python $(2)), per test (junit: $$root/tests/output/junit):"; \
	count=0; for f in "$$root"/tests/output/junit/ansible-test-sanity-*.xml; do \
	  [ -e "$$f" ] || continue; count=$$((count + 1)); \
	  name=$$(basename "$$f" .xml); name=$${name#ansible-test-sanity-}; \
	  if grep -q '<failure' "$$f"; then status=FAILED; \
	  elif grep -q '<skipped>No tests applicable' "$$f"; then status="passed (no files of its kind)"; \
	  elif grep -q '<skipped' "$$f"; then status="SKIPPED: $$(sed -n 's/.*<skipped>\(.*\)<\/skipped>.*/\1/p' "$$f")"; \
	  else status=passed; fi; \
	  printf '  %-32s %s\n' "$$name" "$$status"; \
	done; \
	echo "  ($$count tests; log: $$log)"; \
	broken=$$(grep -E 'Skipping sanity test .*(missing virtual environment|could not be found|missing libyaml)' "$$log" || true); \
	if [ -n "$$broken" ]; then echo "ERROR: sanity tests could not run:"; echo "$$broken"; [ $$rc -ne 0 ] || rc=1; fi; \
	if [ $$count -eq 0 ]; then echo "ERROR: ansible-test ran no sanity test"; [ $$rc -ne 0 ] || rc=1; fi; \
	if [ $$rc -ne 0 ]; then echo "== sanity FAILED (exit $$rc)"; else echo "== sanity passed"; fi; \
	echo "== $@: ansible-test sanity took $$((SECONDS - start)) s"; \
	exit $$rc
endef

sanity: venv ## ansible-test sanity (no ignore files) on ansible-core 2.19, on a copy in .build/sanity
	$(call run_sanity,$(VENV),$(SANITY_PYTHON),sanity)

sanity-oldest: $(OLDEST_STAMP) ## ansible-test sanity's version-dependent tests on ansible-core 2.16 (oldest)
	$(call run_sanity,$(OLDEST_VENV),$(SANITY_PYTHON_OLDEST),sanity-oldest,$(RANGE_SANITY_TESTS))

sanity-newest: $(NEWEST_STAMP) ## ansible-test sanity's version-dependent tests on ansible-core 2.21 (newest)
	$(call run_sanity,$(NEWEST_VENV),$(SANITY_PYTHON_NEWEST),sanity-newest,$(RANGE_SANITY_TESTS))

.PHONY: e2e-newest sanity-oldest sanity-newest

# ---- end of the supported ansible-core range ------------------------------------------------------

# ---- Release readiness: the tarball Galaxy would import, and the documentation site ---------------
# galaxy-importer, antsibull-docs and Sphinx live in .venv-release so that their dependencies do not
# move the test tools of .venv. Both targets use the tarball `build` made (once per make run).
RELEASE_VENV := $(ROOT)/.venv-release
RELEASE_BIN := $(RELEASE_VENV)/bin
RELEASE_STAMP := $(RELEASE_VENV)/.requirements-installed
DOCS := $(BUILD)/docs
DOCS_PAGES := $(DOCS)/rst/collections/cxone/recording

$(RELEASE_STAMP): tests/requirements-release.txt
	$(call make_venv,$(RELEASE_VENV),$(PYTHON),tests/requirements-release.txt)

release-venv: $(RELEASE_STAMP) ## Create .venv-release (galaxy-importer, antsibull-docs, Sphinx)

release-check: build $(RELEASE_STAMP) changelog-check changelog-lint ## The built tarball: no stray files, galaxy-importer clean, docs and changelog lint
	@echo "== contents of the tarball"
	"$(VENV_BIN)/python" tests/utils/check_tarball.py "$(DIST)"/cxone-recording-*.tar.gz
	@echo "== galaxy-importer (settings: tests/utils/galaxy-importer.cfg)"
	GALAXY_IMPORTER_CONFIG="$(ROOT)/tests/utils/galaxy-importer.cfg" "$(RELEASE_BIN)/python" tests/utils/galaxy_import_check.py \
	  --output-dir "$(BUILD)/importer" "$(DIST)"/cxone-recording-*.tar.gz
	@echo "== antsibull-docs lint-collection-docs"
	PATH="$(RELEASE_BIN):$$PATH" "$(RELEASE_BIN)/antsibull-docs" lint-collection-docs --plugin-docs .
	"$(VENV_BIN)/python" tests/utils/docs_check.py --extra-docs docs/docsite
	@echo "== the supported range: meta/runtime.yml, README.md's support matrix and the test venvs agree"
	"$(VENV_BIN)/python" tests/utils/check_support_matrix.py --oldest tests/requirements-oldest.txt:$(SANITY_PYTHON_OLDEST) \
	  --tested tests/requirements.txt:$(SANITY_PYTHON) --tested tests/requirements-newest.txt:$(SANITY_PYTHON_NEWEST)
	@echo "== release-check passed"

docs: install-collection $(RELEASE_STAMP) ## Build the documentation site into .build/docs/html (antsibull-docs + Sphinx, offline)
	@rm -rf "$(DOCS)" && mkdir -p "$(DOCS)/rst" && chmod 700 "$(DOCS)/rst"
	@cp -R docs/site/rst/. "$(DOCS)/rst/"
	PATH="$(RELEASE_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" "$(RELEASE_BIN)/antsibull-docs" \
	  --config-file docs/site/antsibull-docs.cfg collection --use-current --fail-on-error --dest-dir "$(DOCS)/rst" cxone.recording
	"$(RELEASE_BIN)/python" tests/utils/eda_docs.py --collection-root "$(COLLECTIONS)/ansible_collections/cxone/recording" \
	  --dest-dir "$(DOCS_PAGES)" --index-dir "$(DOCS)/rst/collections"
	@# No -W: the intersphinx inventories of docs.ansible.com and docs.python.org cannot be fetched offline.
	@rc=0; "$(RELEASE_BIN)/sphinx-build" -q -b html -c docs/site "$(DOCS)/rst" "$(DOCS)/html" > "$(DOCS)/sphinx.log" 2>&1 || rc=$$?; \
	  echo "sphinx-build: exit $$rc, $$(grep -c 'WARNING' "$(DOCS)/sphinx.log" || true) warnings (log: $(DOCS)/sphinx.log)"; \
	  if [ $$rc -ne 0 ]; then cat "$(DOCS)/sphinx.log"; exit $$rc; fi
	PATH="$(RELEASE_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" "$(RELEASE_BIN)/python" tests/utils/docs_check.py \
	  --site "$(DOCS)/html" --collection-root "$(COLLECTIONS)/ansible_collections/cxone/recording" --docsite docs/docsite
	@echo "== documentation site: $(DOCS)/html/index.html"

.PHONY: release-venv release-check docs

# CHANGELOG.rst describes the version in galaxy.yml as `antsibull-changelog release` would write it, from
# changelog.yaml and the fragments. It runs on a scratch copy (a git repository of its own, so that
# antsibull-changelog sees its files) and only CHANGELOG.rst comes back: changelog.yaml and the
# fragments stay as they are until the real release.
CHANGELOG_SCRATCH := $(BUILD)/changelog
GALAXY_VERSION = $(shell sed -n 's/^version: *//p' galaxy.yml)

# $(call preview_changelog,output file): write the generated CHANGELOG.rst to that file.
define preview_changelog
	@rm -rf "$(CHANGELOG_SCRATCH)"
	$(call copy_checkout,$(CHANGELOG_SCRATCH))
	@rm -f "$(CHANGELOG_SCRATCH)/CHANGELOG.rst"
	cd "$(CHANGELOG_SCRATCH)" && PATH="$(VENV_BIN):$$PATH" "$(VENV_BIN)/antsibull-changelog" release \
	  --version "$(GALAXY_VERSION)" --date 1970-01-01 > antsibull-changelog.log 2>&1 \
	  || { cat antsibull-changelog.log; exit 1; }
	@test -s "$(CHANGELOG_SCRATCH)/CHANGELOG.rst" || { echo "ERROR: antsibull-changelog wrote no CHANGELOG.rst"; exit 1; }
	@cp "$(CHANGELOG_SCRATCH)/CHANGELOG.rst" "$(1)"
endef

changelog: venv ## Regenerate CHANGELOG.rst for the version in galaxy.yml (fragments and changelog.yaml untouched)
	$(call preview_changelog,$(ROOT)/CHANGELOG.rst)
	@echo "wrote CHANGELOG.rst for $(GALAXY_VERSION)"

changelog-check: venv ## Fail when CHANGELOG.rst differs from what `make changelog` would write
	$(call preview_changelog,$(BUILD)/CHANGELOG.rst)
	@diff -u CHANGELOG.rst "$(BUILD)/CHANGELOG.rst" || { echo "ERROR: CHANGELOG.rst is out of date: run make changelog and commit it"; exit 1; }
	@echo "CHANGELOG.rst is up to date for $(GALAXY_VERSION)"

.PHONY: changelog changelog-check

# ---- end of release readiness ----------------------------------------------------------------------

lint: venv link ## ansible-lint --profile production (collection found through the dev link)
	TIMEFORMAT='== $@: ansible-lint took %0R s'; time PATH="$(VENV_BIN):$$PATH" ANSIBLE_COLLECTIONS_PATH="$(DEV_COLLECTIONS)" \
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

test: venv link install-collection ee-context unit e2e unit-eda e2e-eda e2e-oldest e2e-newest sanity sanity-oldest sanity-newest lint changelog-lint release-check docs ## Everything CI runs, in order; stops at the first failure
	@echo "== make test: all steps passed"

clean: ## Remove build and test output (keeps .venv)
	rm -rf "$(BUILD)" tests/output .pytest_cache .ansible importer_result.json
	find . -path './.venv*' -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv and the other .venv-* of the Makefile
	rm -rf "$(VENV)" "$(OLDEST_VENV)" "$(NEWEST_VENV)" "$(RELEASE_VENV)" "$(EDA_VENV)"

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
	$(call make_venv,$(EDA_VENV),$(PYTHON),tests/requirements-eda.txt)

eda-venv: $(EDA_STAMP) ## Create .venv-eda with ansible-rulebook (tests/requirements-eda.txt); checks Java 17

unit-eda: eda-venv ## The consent_events source's unit tests, in .venv-eda (aiohttp)
	TIMEFORMAT='== $@: pytest took %0R s'; time env PYTHONPATH="$(ROOT)/tests/sandbox" "$(EDA_VENV)/bin/python" -m pytest $(EDA_UNIT_PATHS)

e2e-eda: eda-venv install-collection ## ansible-rulebook with the installed consent_refused rulebook against the sandbox
	TIMEFORMAT='== $@: pytest took %0R s'; time env $(EDA_ENV) "$(EDA_VENV)/bin/python" -m pytest $(EDA_E2E_PATHS)

bench-consent: eda-venv install-collection ## Consent path: steady stream, restart mid-stream, flood; p50/p99, lost, twice, the run_module floor
	@mkdir -p bench/results
	env $(EDA_ENV) "$(EDA_VENV)/bin/python" bench/consent/run_bench.py --output-dir bench/results
