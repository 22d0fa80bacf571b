# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(BIN)/pip
PASSWORD ?=
HOST ?= 127.0.0.1
PORT ?= 8000

# A production-like environment for `check --deploy`.
DEPLOY_ENV := DJANGO_DEBUG=0 DJANGO_HTTPS=1 DJANGO_STATIC_MANIFEST=1 \
	DJANGO_SECRET_KEY=deploy-check-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n') \
	DJANGO_ALLOWED_HOSTS=integration.example.dk

.PHONY: run test install install-dev lint migrate seed serve messages bench clean backup restore

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml build-constraints.txt | $(BIN)/activate
	$(PIP) install --quiet --build-constraint build-constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml build-constraints.txt | $(BIN)/activate
	$(PIP) install --quiet --build-constraint build-constraints.txt -e '.[dev]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-bench: pyproject.toml build-constraints.txt | $(BIN)/activate
	$(PIP) install --quiet --build-constraint build-constraints.txt -e '.[dev,bench]'
	touch $(VENV)/.installed $(VENV)/.installed-dev $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo $(if $(PASSWORD),--password "$(PASSWORD)")

# The demo runs without Django's debug pages: a mistyped address shows the
# product's own 404, not the list of every URL. `make serve` is the developer's
# server, with them.
serve:
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The suite runs in one pytest-xdist worker per core (TEST_WORKERS=0: in this
# process). `--dist load` hands out tests in pytest-django's order, which puts
# the tests that empty the database (transaction=True) after those that need
# what the migrations wrote: each worker meets them in that order too (a
# worker that steals or takes whole files may not). The workers leave out the
# tests marked `alone`, which restart PostgreSQL; they run afterwards by
# themselves (pytest's status 5 is "none of them selected").
TEST_WORKERS ?= auto
test: install-dev lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(BIN)/pytest -n $(TEST_WORKERS) --dist load $(PYTEST_ARGS)
ifneq ($(TEST_WORKERS),0)
	TESTS_ALONE=1 $(BIN)/pytest $(PYTEST_ARGS) || [ $$? -eq 5 ]
endif

# PostgreSQL only. A backup needs the app installed, not reinstalled: an
# operator's backup must not wait for (or fail on) a package download.
backup: $(if $(wildcard $(VENV)/.installed),,install)
	$(PY) manage.py backup $(if $(BACKUP_FILE),--output "$(BACKUP_FILE)")

# Into an empty database only; see README "Backup and restore".
restore: $(if $(wildcard $(VENV)/.installed),,install)
	$(if $(BACKUP_FILE),,$(error Name the backup: make restore BACKUP_FILE=var/backup/....dump))
	$(PY) manage.py restore "$(BACKUP_FILE)"

# Seed synthetic municipalities on PostgreSQL and measure them (see
# fixtures/bench/); `make bench SIZES=S` runs one size. The databases
# bench_s, bench_m and bench_l are made on the server of BENCH_DATABASE_URL.
SIZES ?= S M L
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
bench: $(VENV)/.installed-bench
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py bench --sizes $(SIZES)

# Rebuild the translation catalogues (needs GNU gettext on the developer's
# machine only); the compiled .mo files are committed.
messages: install-dev
	$(PY) manage.py makemessages --locale da --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(PY) manage.py compilemessages --locale da --ignore '.venv/*'

clean:
	rm -rf $(VENV) var/static
