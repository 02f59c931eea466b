# The two set-up commands: `make run` (portal + worker + beat, embedded) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format messages bench seed-city screenshots clean

$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements/constraints.txt ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Portal: http://127.0.0.1:8000   admin: http://127.0.0.1:8000/admin/   (Ctrl-C stops all three)"
	$(VENV)/bin/honcho -f Procfile.dev start

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
	LINLI_GUIDE_SCREENSHOTS=1 scripts/test tests/services/test_browser.py -q

clean:
	rm -rf $(VENV) var
