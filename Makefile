# Ledgerlink: the two set-up commands are `make run` and `make test` (see README.md).
PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
VENV        := .venv
PY          := $(VENV)/bin/python
PIP         := $(PY) -m pip --disable-pip-version-check -q
HOST        ?= 127.0.0.1
PORT        ?= 8000
PYTEST_ARGS ?=

.PHONY: run test bench install install-dev lock check clean

$(PY):
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=24"

# Stamps re-install only when the dependency declaration or the pinned set changes.
$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(PIP) install -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(PY)
	$(PIP) install -c constraints.txt -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Webhook and OAuth callback URLs follow the address served (unless set explicitly).
run: export LEDGERLINK_PUBLIC_URL ?= http://$(HOST):$(PORT)

## make run: first run creates .env, migrates, creates the admin login, loads the sandbox demo, then serves.
run: install
	$(PY) -m config.envfile
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ledgerlink_setup
	$(PY) manage.py ledgerlink_serve --host $(HOST) --port $(PORT)

# The browser test drives Debian's chromium (never a downloaded browser build).
CHROMIUM    ?= /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

## make test: the whole suite against DATABASE_URL (SQLite when unset).
test: install-dev | $(CHROMIUM)
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench: benchmarks; results are appended to BENCHMARKS.md.
bench: install-dev
	$(PY) -m tests.bench

## make lock: refresh the pinned set from the ranges in pyproject.toml (needs the package registry).
lock:
	rm -rf .lock-venv && $(PYTHON_BOOT) -m venv .lock-venv
	.lock-venv/bin/pip install -q --upgrade pip && .lock-venv/bin/pip install -q -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | sort -f > constraints.txt
	rm -rf .lock-venv

check: install-dev
	$(PY) manage.py check

clean:
	rm -rf $(VENV) staticfiles
