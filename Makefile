# microcred — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Until the issuer and verifier services exist, `make run` prepares demo keys (encrypted at rest)
# and issues, signs and verifies one demo micro-credential on the command line.
run: $(STAMP)
	$(PY) -m issuer.demo instance
	$(VENV)/bin/microcred verify instance/demo-credential.json

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache
