# geoapp — the two commands:  `make run` (demo town at http://127.0.0.1:5000)  and  `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 5000
export GEOAPP_DATABASE_URL ?= sqlite:///$(CURDIR)/instance/geoapp.sqlite

.PHONY: run install install-test test lint format bench i18n

$(PY):
	python3 -m venv $(VENV)

install: $(PY)
	scripts/install-system-deps.sh run
	$(PY) -m pip install -q --disable-pip-version-check -e .
	npm ci --no-audit --no-fund --loglevel=error
	$(PY) scripts/i18n.py compile

run: export GEOAPP_BASEMAP ?= mbtiles:instance/demo-tiles.mbtiles
run: install
	$(VENV)/bin/geoapp demo --if-empty
	$(VENV)/bin/geoapp serve --host $(HOST) --port $(PORT)

install-test: install
	scripts/install-system-deps.sh test
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'

test: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) scripts/i18n.py check
	$(VENV)/bin/pytest

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

i18n:
	$(PY) scripts/i18n.py update

bench: install-test
	$(PY) bench/bench_foundation.py
	$(PY) bench/bench_collect.py
	$(PY) bench/bench_concurrency.py
	$(PY) bench/bench_login_timing.py
	$(PY) bench/bench_coverage.py --postgis
	$(PY) bench/bench_leaders.py --write docs/benchmarks-coverage.md
	$(PY) bench/load_test.py --write docs/benchmarks-county.md
	$(PY) bench/crash_submit.py
