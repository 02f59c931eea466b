"""deploy/ holds files an operator copies: they must parse, and name what the portal has (the
metrics the dashboard draws exist at /metrics; the units start the processes docs describe)."""

from __future__ import annotations

import configparser
import json
import re

import yaml

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_the_grafana_dashboard_draws_only_metrics_the_portal_exports():
    dashboard = json.loads((DEPLOY / "grafana" / "linli.json").read_text())
    exported = (ROOT / "portal" / "observability.py").read_text() + (
        ROOT / "portal" / "request_id.py"
    ).read_text()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for name in re.findall(r"linli_[a-z_]+", target["expr"]):
                base = re.sub(r"_(bucket|count|sum)$", "", name)
                assert f'"{base}"' in exported, (panel["title"], name)


def test_compose_and_pgbouncer_parse_and_run_one_beat():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    beats = [s for s in compose["services"].values() if "beat" in s.get("command", [])]
    assert len(beats) == 1
    pgbouncer = configparser.ConfigParser()
    pgbouncer.read(DEPLOY / "pgbouncer.ini")
    assert pgbouncer["pgbouncer"]["pool_mode"] == "transaction"
    env = (DEPLOY / "linli.env.example").read_text()
    assert "DATABASE_POOLER=transaction" in env and "LINLI_BEAT_LOCK_DATABASE_URL=" in env


def test_systemd_units_start_the_documented_commands():
    web = (DEPLOY / "systemd" / "linli-web.service").read_text()
    worker = (DEPLOY / "systemd" / "linli-worker@.service").read_text()
    beat = (DEPLOY / "systemd" / "linli-beat.service").read_text()
    assert "gunicorn portal.wsgi:application" in web
    assert "celery -A portal worker -Q %i" in worker
    assert "celery -A portal beat" in beat
