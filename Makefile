# The two set-up commands: `make run` (portal + worker + beat on an embedded PostgreSQL) and
# `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format messages bench seed-city screenshots clean cluster cluster-stop cluster-status drills load

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements/constraints.txt ".[test]"
	touch $(STAMP)

# The embedded PostgreSQL server under var/postgres (unless DATABASE_URL is set), migrate, seed,
# then web + worker + beat; Ctrl-C stops them and the server (portal/embedded/__main__.py).
run: $(STAMP)
	$(PY) -m portal.embedded run

# The production-shaped stack on loopback (portal/cluster): PostgreSQL primary + replica,
# pgbouncer, Redis, 2 web, 2 workers, 1 beat, data under var/cluster. Idempotent.
cluster: $(STAMP)
	scripts/ensure-pgbouncer
	$(PY) -m portal.cluster start

cluster-stop: $(STAMP)
	$(PY) -m portal.cluster stop

cluster-status: $(STAMP)
	$(PY) -m portal.cluster status

# Kill -9 drills and the backup/restore drill against the running cluster (bench/drills.py).
drills: $(STAMP)
	$(PY) -m bench.drills all

# The load mix (locust, bench/load) against the running cluster: `make load ARGS="--users 40"`.
load: $(STAMP)
	$(PY) -c "import locust" 2>/dev/null || $(PY) -m pip install -q -c requirements/constraints.txt ".[bench]"
	$(PY) -m bench.load.run $(ARGS)

test: $(STAMP)
	scripts/test

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

messages: $(STAMP)
	scripts/messages

bench: $(STAMP)
	$(PY) -m bench

seed-city: $(STAMP)
	$(PY) manage.py seed_demo --scale city

screenshots: $(STAMP)  ## retake the guides' screenshots (docs/guides/img) with the browser tests
	LINLI_GUIDE_SCREENSHOTS=1 scripts/test tests/services/test_browser.py tests/notifications/test_browser.py tests/services/test_offline_browser.py tests/volunteers/test_browser.py tests/services/test_desk_browser.py tests/services/test_desk_intake_browser.py tests/services/test_desk_roles_browser.py -q

clean:
	rm -rf $(VENV) var
