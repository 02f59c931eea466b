"""End to end: the portal's Open311 client (the city-12345 link in Open311 mode, here) talks to
the portal's own Open311 server running in another process (`manage.py runserver` on the test
database, with no city link of its own, so what it files is not sent on again)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
import requests

from open311 import actions as key_actions
from open311.models import Submission
from services import city
from services.models import Case, CityLink, CityOutbox, CityStatus
from tests.conftest import ROOT, _database_url, wait_until
from tests.services.conftest import build_desk


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(transactional_db, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CITY_12345_URL": "",
        "DJANGO_DEBUG": "true",
    }
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/open311/v2"

    def up():
        try:
            return requests.get(f"{base}/discovery.json", timeout=2).status_code == 200
        except requests.RequestException:
            return proc.poll() is not None

    try:
        wait_until(up, timeout=60)
        assert proc.poll() is None, (tmp_path / "server.log").read_text()
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_the_client_files_with_the_server_and_reads_it_back(
    server, transactional_territory, settings
):
    desk = build_desk(transactional_territory)
    building = desk.t.a.buildings[1]
    building.lat, building.lng = 24.95, 118.61
    building.save(update_fields=["lat", "lng"])
    key, plain = key_actions.issue_key(name="City link", actor=desk.user("superuser"))
    settings.LINLI = {
        **settings.LINLI,
        "CITY_12345_URL": server,
        "CITY_12345_KEY": plain,
        "CITY_12345_MODE": "open311",
        "CITY_12345_JURISDICTION": "linli",
    }
    ours = desk.file(lat=24.95, lng=118.61, address="东门口", description="井盖缺失")
    result = city.drain(city.client(), budget=30, limit=float("inf"))
    assert (result.delivered, result.failed) == (1, 0)
    assert CityOutbox.objects.get(case=ours).status == CityStatus.SENT

    # The server filed it as a case of its own, for the key's account, at the nearest building.
    reference = CityLink.objects.get(case=ours).reference
    theirs = Case.objects.get(number=reference)
    assert theirs.pk != ours.pk and theirs.reporter_id == key.account_id
    assert (theirs.place, theirs.description) == (building, "井盖缺失")
    assert Submission.objects.get(case=theirs).key == key

    # And the client reads it back, whole (it filed it), in both formats.
    row = requests.get(f"{server}/requests/{reference}.json", {"api_key": plain}, timeout=10)
    record = json.loads(row.content)[0]
    assert (record["service_code"], record["description"], record["status"]) == (
        "potholes",
        "井盖缺失",
        "open",
    )
    xml = requests.get(f"{server}/requests/{reference}.xml", timeout=10)
    assert b"<service_request_id>" + reference.encode() in xml.content
