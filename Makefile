# Two commands for a newcomer: `make run` and `make test` (and `make check` while editing).
# Needs only python3 (3.11+) and the package registries: uv is installed with pip
# when missing, and uv is never allowed to download a Python of its own.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# Compile bytecode at install: where PYTHONDONTWRITEBYTECODE is set, every start would
# otherwise recompile aiogram, FastAPI and SQLAlchemy (seconds per process).
export UV_COMPILE_BYTECODE := 1
# Our own modules and the tests (pytest's rewritten asserts) are cached as bytecode too,
# in __pycache__ beside them (ignored by git), even where the environment sets
# PYTHONDONTWRITEBYTECODE: otherwise every test process, and every media worker and CLI
# process the tests start, compiles them again (about 10 s of CPU per test process).
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test check lint format bench locales messages migrate clean env

run: env locales
	$(BIN)/holos migrate
	$(BIN)/holos run

# The whole suite, as CI runs it, in three groups (README Tests):
# - everything not marked `serial` or `alone`, on both cores (pytest-xdist; each worker
#   has its own PostgreSQL database and Redis keyspace), at the lowest CPU priority;
# - meanwhile the `serial` group in one process at normal priority: the tests that kill
#   processes, cut connections or bring a crowd. They are fragile next to workers that
#   compete for the cores, so the workers yield them the CPU (nice 19: the scheduler gives
#   a nice-0 process about 98 % of a core against one). They leave a core idle a third of
#   the time or more (people and bots waiting on each other), which the workers use;
#   their output is shown after the parallel part's;
# - then the `alone` group, with nothing else on the machine (a test that reads the whole
#   PostgreSQL server's log), while `make lint` runs beside it.
# Everything always runs; exit code 5 ("nothing selected", e.g. PYTEST_ARGS naming one
# file) is not a failure.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest
# The groups collect only the files that hold their tests (collecting the whole suite
# again takes seconds), unless PYTEST_ARGS says what to run.
SERIAL_FILES = $(shell grep -rl --include='test_*.py' 'pytest.mark.serial' tests)
ALONE_FILES = $(shell grep -rl --include='test_*.py' 'pytest.mark.alone' tests)

test: env locales
	@status=0; serial_log=$$(mktemp); lint_log=$$(mktemp); \
	nice -n 19 $(PYTEST) -n $(TEST_WORKERS) --dist worksteal -m "not serial and not alone" \
		$(PYTEST_ARGS) & parallel=$$!; \
	$(PYTEST) -m serial $(or $(PYTEST_ARGS),$(SERIAL_FILES)) >"$$serial_log" 2>&1 \
		|| [ $$? -eq 5 ] || status=1; \
	wait $$parallel || [ $$? -eq 5 ] || status=1; \
	echo "== the serial group (ran beside the parallel part)"; cat "$$serial_log"; \
	( $(LINT) ) >"$$lint_log" 2>&1 & lint=$$!; \
	$(PYTEST) -m alone $(or $(PYTEST_ARGS),$(ALONE_FILES)) || [ $$? -eq 5 ] || status=1; \
	wait $$lint || status=1; \
	echo "== make lint (beside the alone group)"; cat "$$lint_log"; \
	rm -f "$$serial_log" "$$lint_log"; \
	exit $$status

# The edit loop: ruff, mypy and the fast tests on both cores: every test on SQLite, but not
# the `slow` ones (Chromium, fuzzing, whole processes) nor the `serial` and `alone` groups, nor the
# PostgreSQL variants (`postgresql`, set in tests/conftest.py). `make test` runs them all.
CHECK_MARKS ?= not serial and not alone and not slow and not postgresql

check: lint locales
	$(PYTEST) -n $(TEST_WORKERS) --dist worksteal -m "$(CHECK_MARKS)" $(PYTEST_ARGS)

# mypy checks the packages listed under [tool.mypy] files in pyproject.toml, in two
# worker processes (mypy 2's --num-workers; with no cache, as on a clean clone: 16.0 s
# in one process, 9.6 s in two, same findings).
LINT = $(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy --num-workers 2

lint: env
	$(LINT)

format: env
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: env locales
	$(BIN)/python -m bench

migrate: env
	$(BIN)/holos migrate

env: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --user uv
	$(UV) sync --frozen
	@touch $@

# Compiled catalogs (.mo) are built from the .po sources, never committed.
locales: env
	$(BIN)/python -m locales.build

# After changing texts: extract the msgids and merge them into every catalog. Each file
# keeps its header (language, plural forms, charset), so GNU msgfmt, Poedit and Weblate
# accept it; no date in it changes from one run to the next (locales/template.py).
KEYWORDS := -k __ -k lazy_gettext -k ngettext:1,2 \
	-k pgettext:1c,2 -k lazy_pgettext:1c,2 -k npgettext:1c,2,3
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
messages: env
	$(BIN)/pybabel extract -F locales/babel.cfg $(KEYWORDS) --no-location --sort-output \
		--project Holos --version $(VERSION) --msgid-bugs-address "" \
		--header-comment "# Translations template for Holos (make messages)." \
		-o locales/messages.pot .
	$(BIN)/python -m locales.template locales/messages.pot
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
	find locales -name '*.mo' -delete
