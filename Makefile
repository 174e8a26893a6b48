# microcred — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench demo clean translations

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The whole suite on SQLite; then, when MICROCRED_TEST_POSTGRES names a PostgreSQL database
# (.ci/run sets it when 127.0.0.1:5432 answers), every database test again on PostgreSQL.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	env -u DATABASE_URL $(PY) -m pytest -q
	@if [ -n "$$MICROCRED_TEST_POSTGRES" ]; then \
	  echo "== database tests on PostgreSQL ($$MICROCRED_TEST_POSTGRES)"; \
	  DATABASE_URL="$$MICROCRED_TEST_POSTGRES" $(PY) -m pytest -q -m postgres; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# `make run`: the issuer at http://127.0.0.1:$(RUN_PORT) (gunicorn, 2 workers) over a SQLite
# database in instance/, with the demo partnership and a fresh issuer API token (printed as
# `token: …`); Ctrl-C stops it. issuer/run.py does what `microcred issuer demo` does, resumes
# bulk jobs a stopped server left running, then starts gunicorn and waits until it answers.
# RUN_PASSPHRASE is a DEMO-ONLY default for MICROCRED_KEY_PASSPHRASE (it seals the signing keys
# in the database): set MICROCRED_KEY_PASSPHRASE to your own secret for anything real.
RUN_PORT         ?= 5000
RUN_DATABASE_URL ?= sqlite:///$(CURDIR)/instance/issuer.sqlite3
RUN_PASSPHRASE   ?= demo-passphrase-change-me
run: export DATABASE_URL = $(RUN_DATABASE_URL)
run: export MICROCRED_KEY_PASSPHRASE ?= $(RUN_PASSPHRASE)
run: $(STAMP)
	$(PY) -m issuer.run --host 127.0.0.1 --port $(RUN_PORT) --workers 2

bench: $(STAMP)
	$(PY) bench/run.py

# Re-extract the translatable strings and merge them into the Danish catalogue, then compile it.
translations: $(STAMP)
	$(VENV)/bin/pybabel extract -q -F babel.cfg -k lazy_gettext -k _ -o .messages.pot . 2>/dev/null || \
	  $(VENV)/bin/pybabel extract -F babel.cfg -k lazy_gettext -k _ -o .messages.pot .
	$(VENV)/bin/pybabel update -i .messages.pot -d verifier/translations -l da
	$(VENV)/bin/pybabel compile -d verifier/translations -l da
	rm -f .messages.pot

clean:
	rm -rf $(VENV) instance .pytest_cache
