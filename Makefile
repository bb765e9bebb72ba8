# Ledgerlink: the two set-up commands are `make run` and `make test` (see README.md).
PYTHON_BOOT ?= $(shell command -v python3.11 || command -v python3)
VENV        ?= .venv
PY          := $(VENV)/bin/python
PIP         := $(PY) -m pip --disable-pip-version-check -q
HOST        ?= 127.0.0.1
PORT        ?= 8000
PYTEST_ARGS ?=

.PHONY: run test test-fast lint bench install install-dev lock check clean proto screenshots

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

# The per-record lock's pooler test runs a real PgBouncer in transaction mode (Debian's package).
PGBOUNCER   ?= /usr/sbin/pgbouncer
$(PGBOUNCER):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer

## make lint: the guard-rails: `ruff check` (lint rules only, no formatting) and `lint-imports` (the
## import contracts: what may import what), both configured in pyproject.toml, and `hadolint` on the
## Dockerfile (any finding fails; no container daemon needed). Any failing fails the target.
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/hadolint Dockerfile

## make test: `make lint`, then the whole suite against DATABASE_URL (SQLite when unset). CI runs this.
test: lint | $(CHROMIUM) $(PGBOUNCER)
	$(PY) -m pytest $(PYTEST_ARGS)

## make test-fast: `make lint`, then the suite without the tests marked `slow` (those that start real
## processes: qcluster, gunicorn, manage.py or python subprocesses, worker processes, the browser). For the
## inner loop; CI still runs everything through `make test`.
test-fast: lint
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

## make screenshots: re-shoot the README's "For finance" screenshots (docs/img/finance-*.png) as a Finance staff
## user in the `make run` set-up, served on SCREENSHOTS_ADDR, with Playwright and Debian's chromium.
SCREENSHOTS_ADDR ?= 127.0.0.1:8081
screenshots: install-dev | $(CHROMIUM)
	LEDGERLINK_SCREENSHOTS_TO_DOCS=1 $(PY) -m pytest tests/browser/test_finance_screenshots.py --liveserver $(SCREENSHOTS_ADDR) $(PYTEST_ARGS)

## make bench: benchmarks; results are appended to BENCHMARKS.md.
bench: install-dev
	$(PY) -m tests.bench

## make lock: refresh the pinned set from the ranges in pyproject.toml (needs the package registry).
lock:
	rm -rf .lock-venv && $(PYTHON_BOOT) -m venv .lock-venv
	.lock-venv/bin/pip install -q --upgrade pip && .lock-venv/bin/pip install -q -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | sort -f > constraints.txt
	rm -rf .lock-venv

## make proto: regenerate the Pub/Sub API stubs (pubsub_wire/*_pb2*.py) from pubsub_wire/pubsub_api.proto.
proto: install-dev
	$(PY) -m grpc_tools.protoc -I. --python_out=. --grpc_python_out=. pubsub_wire/pubsub_api.proto

check: install-dev
	$(PY) manage.py check

clean:
	rm -rf $(VENV) staticfiles
