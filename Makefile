# Two commands on a fresh machine: `make demo` serves the demo, `make test` runs every test.
PYTHON ?= python3
PORT ?= 8000
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml)
LOCAL := $(foreach p,$(PLUGINS),-e $(dir $(p)))
# The SDK on a plain path entry, not an import hook, so that type checkers find it too
# (mypy --strict on a plugin written next to the service).
SDK := --config-settings editable_mode=compat -e sdk
UV_VERSION := 0.13.9
UV := $(BIN)/uv
LOCAL_NAMES := sanquan sanquan-sdk sanquan-plugin-beijing sanquan-plugin-ideology sanquan-plugin-qiangguo
DEMO_STAMP := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed
JS := tests/js
JS_STAMP := $(JS)/node_modules/.installed
TEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc 2>/dev/null || echo 1) )))

.PHONY: install demo serve test lint schema bench lock clean mutants

# Third-party packages come from the lock files in requirements/ (exact versions, checked by
# hash), installed by uv; then the project's own packages, editable, without dependencies.
$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)

$(DEMO_STAMP): $(UV) requirements/demo.txt pyproject.toml sdk/pyproject.toml $(PLUGINS)
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes -r requirements/demo.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation $(SDK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation $(LOCAL) -e .
	touch $@

$(STAMP): $(DEMO_STAMP) requirements/test.txt
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes -r requirements/test.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation $(LOCAL) -e '.[test]'
	touch $@

install: $(STAMP)

# Rewrite the lock files from pyproject.toml (add --upgrade to move to newer releases).
lock: $(UV)
	for set in demo test; do \
		$(UV) pip compile requirements/$$set.in --quiet --universal --python-version 3.11 \
			--generate-hashes --no-header $(foreach n,$(LOCAL_NAMES),--no-emit-package $(n)) \
			-o requirements/$$set.txt; \
	done

demo: $(DEMO_STAMP)  ## fresh demo database, tokens printed, served on 127.0.0.1:$(PORT); refused while the port is taken
	$(BIN)/sanquan demo --host 127.0.0.1 --port $(PORT)
	SANQUAN_GRAPHIQL=on SANQUAN_INTROSPECTION=on $(BIN)/sanquan serve --host 127.0.0.1 --port $(PORT)

serve: $(DEMO_STAMP)
	$(BIN)/sanquan serve

# The JavaScript clients the tests drive, where npm is installed (.ci/run installs it).
$(JS_STAMP): $(JS)/package.json $(JS)/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix $(JS) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the JavaScript client tests will be skipped"; fi

# The suite starts a few hundred Python processes (pytest's workers, `sanquan serve` and
# commands, nested pytest and mypy runs). Each imports the same modules, which costs 1 s of CPU
# from bytecode and 2.6 s from source: where PYTHONDONTWRITEBYTECODE is set (as in many
# container images) every one of them compiled its imports again, and pytest rewrote every
# test module in each worker, about a quarter of the suite's CPU. Emptied for the run, the
# first process to import a module writes its bytecode and the others read it.
test: export PYTHONDONTWRITEBYTECODE =
test: $(STAMP) $(JS_STAMP)  ## every test, on SQLite and (where installed) PostgreSQL
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# mypy beside pytest: without a cache, as on a clean clone, it needs a core for a
	@# quarter of a minute. Its report comes last. Two pytest workers a core, each with its
	@# own PostgreSQL server: a worker spends much of its time waiting on servers starting,
	@# browsers and fsync, and on 2 cores four workers took 7 min where two took 9.
	$(BIN)/mypy > $(VENV)/mypy.log 2>&1 & mypy=$$!; \
	$(BIN)/pytest -n $(TEST_WORKERS); tests=$$?; \
	wait $$mypy; typed=$$?; cat $(VENV)/mypy.log; \
	test $$tests -eq 0 && test $$typed -eq 0

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Mutation testing of the modules holding the rules (tests/MUTATION.md): a periodic check, not
# part of CI; an hour and more on two cores. MODULES="visibility conclusion" for a few;
# ARGS=--fresh starts them anew, ARGS=--wide tries the survivors on wider tests.
mutants: $(STAMP)
	nice $(BIN)/python mutation/run.py $(ARGS) $(MODULES)

schema: $(STAMP)
	$(BIN)/sanquan export-schema --output schema.graphql

bench: $(STAMP)
	$(BIN)/python bench/scoreboard.py
	$(BIN)/python bench/floor.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/rotation.py
	$(BIN)/python bench/panels.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/stall.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var .pytest_cache
