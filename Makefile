# microcred — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test fuzz interop lint bench demo clean translations

# The compiled twins (pyproject.toml's tool.microcred.compiled-twins, built by setup.py) are
# rebuilt with the install when their source changes; an outdated twin is never used meanwhile.
TWIN_SOURCES := $(shell $(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["tool"]["microcred"]["compiled-twins"])')

$(STAMP): pyproject.toml setup.py $(TWIN_SOURCES)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Tests run on every core (pytest-xdist; each test has a fresh database: a SQLite file copied
# from a template, or the worker's own PostgreSQL database emptied and re-seeded, see
# tests/issuer/postgres_databases.py); `--dist worksteal` lets an idle worker take tests queued
# behind a long one. PYTEST_WORKERS= runs them in one process.
PYTEST_WORKERS ?= -n auto --dist worksteal

# The whole suite on SQLite; then, when MICROCRED_TEST_POSTGRES names a PostgreSQL database
# (.ci/run sets it when 127.0.0.1:5432 answers), every database test again on PostgreSQL.
test: $(STAMP) browser-deps
	$(VENV)/bin/ruff check .
	@$(PY) -c 'import sys; from schemas.compiled import not_in_use; [print(f"!! {line}; it runs as Python") for line in not_in_use(sys.argv[1:])]' $(TWIN_SOURCES)
	env -u DATABASE_URL $(PY) -m pytest -q $(PYTEST_WORKERS)
	@if [ -n "$$MICROCRED_TEST_POSTGRES" ]; then \
	  echo "== database tests on PostgreSQL ($$MICROCRED_TEST_POSTGRES)"; \
	  DATABASE_URL="$$MICROCRED_TEST_POSTGRES" $(PY) -m pytest -q -m postgres $(PYTEST_WORKERS); \
	fi

# The long fuzzing runs (tests marked `fuzz`: schemathesis over the issuer's and the verifier's
# OpenAPI with many more requests per operation; hypothesis over the verifier's JAdES and QR entry
# points and over canonicalization): on SQLite, then the issuer's (the ones with a database) again on
# PostgreSQL when MICROCRED_TEST_POSTGRES is set.
# `make test` runs only the short, bounded fuzzing; .ci/run calls `make fuzz` after it.
fuzz: $(STAMP)
	env -u DATABASE_URL $(PY) -m pytest -q -m fuzz $(PYTEST_WORKERS)
	@if [ -n "$$MICROCRED_TEST_POSTGRES" ]; then \
	  echo "== fuzzing on PostgreSQL ($$MICROCRED_TEST_POSTGRES)"; \
	  DATABASE_URL="$$MICROCRED_TEST_POSTGRES" $(PY) -m pytest -q -m fuzz $(PYTEST_WORKERS) tests/issuer; \
	fi

# The official W3C VC test suites (../shared/interop/w3c/run.sh: Node.js 20+, npm, the npm registry
# on the first run) against a throw-away issuer (https, three did:key organisations: Ed25519,
# P-256, P-384) and verifier on free ports (demo/interop.py); ends with the suites' line
# `w3c suites: N passed, M failed[, K skipped]` and their exit status. Not part of `make test`.
# INTEROP_SUITES=vc-di-eddsa-test-suite,… runs only those; INTEROP_ARGS=--keep keeps the instance.
INTEROP_SUITES ?=
INTEROP_ARGS   ?=
interop: $(STAMP)
	env -u DATABASE_URL $(PY) -m demo.interop $(if $(INTEROP_SUITES),--suites "$(INTEROP_SUITES)") $(INTEROP_ARGS)

# The browser tests (tests/browser) drive Debian's Chromium at /usr/bin/chromium. When it is
# missing and we are root on a machine with apt-get, install it; if that fails (or we cannot),
# say loudly that the browser tests will be skipped, and carry on.
.PHONY: browser-deps
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "== /usr/bin/chromium is missing: apt-get update -qq && apt-get install -y -qq chromium"; \
	  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; then \
	    echo "== installed $$(/usr/bin/chromium --version 2>/dev/null || echo chromium)"; \
	  else \
	    echo "!! could not install chromium with apt-get: the browser tests will be SKIPPED"; \
	  fi; \
	else \
	  echo "!! /usr/bin/chromium is missing (install it: apt-get install chromium): the browser tests will be SKIPPED"; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# `make run`: the issuer at http://127.0.0.1:$(RUN_PORT) and the verifier on the next port
# (the Procfile's services: gunicorn, 2 workers each, under honcho) over a SQLite database in
# instance/, with the demo partnership and an issuer API token (printed as `token: …`, kept in instance/demo_token);
# Ctrl-C stops it. demo/run.py does what `microcred demo setup` does, resumes bulk jobs a
# stopped server left running, writes the verifier's demo registry and instance/verifier.env,
# then runs the Procfile and waits until both services answer.
# RUN_PASSPHRASE is a DEMO-ONLY default for MICROCRED_KEY_PASSPHRASE (it seals the signing keys
# in the database): set MICROCRED_KEY_PASSPHRASE to your own secret for anything real.
# `make run` is a demo (MICROCRED_DEMO=1, said on start): the demo passphrase is accepted and
# both apps share a random secret key made once in instance/secret_key. Outside demo mode the
# servers refuse to start without MICROCRED_SECRET_KEY or with the demo passphrase.
RUN_PORT         ?= 5000
RUN_DATABASE_URL ?= sqlite:///$(CURDIR)/instance/issuer.sqlite3
RUN_PASSPHRASE   ?= demo-passphrase-change-me
run: export DATABASE_URL = $(RUN_DATABASE_URL)
run: export MICROCRED_KEY_PASSPHRASE ?= $(RUN_PASSPHRASE)
run: export MICROCRED_DEMO ?= 1
run: $(STAMP)
	$(PY) -m demo.run --host 127.0.0.1 --port $(RUN_PORT) --workers 2

bench: $(STAMP) bench-deps
	$(PY) bench/run.py

# The HTTP benchmarks load the services with wrk (Debian's package): installed when missing and
# we are root on a machine with apt-get; else said loudly (the verifier is then loaded by a
# Python client, and the issuer's API is not measured).
.PHONY: bench-deps
bench-deps:
	@if command -v wrk >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "== wrk is missing: apt-get install -y -qq wrk"; \
	  (apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk)) \
	    || echo "!! could not install wrk: the issuer API will NOT be measured"; \
	else \
	  echo "!! wrk is missing (apt-get install wrk): the issuer API will NOT be measured"; \
	fi

# Re-extract the translatable strings and merge them into the Danish catalogues, then compile:
# the verifier's with pybabel (babel.cfg), the issuer's from its JSON sources.
translations: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k lazy_gettext -k _ -o .messages.pot . >/dev/null
	$(VENV)/bin/pybabel update -i .messages.pot -d verifier/translations -l da
	$(VENV)/bin/pybabel compile -d verifier/translations -l da
	rm -f .messages.pot
	$(PY) -m issuer.i18n

clean:
	rm -rf $(VENV) instance .pytest_cache
