"""Which database a read goes to (portal/readdb.py): the replica for the KPI API, the export and
Open311 GETs and the dashboard — unless it lags or the browser has just written — and the
primary for every write. The lag query runs on real PostgreSQL here; the replica of these tests
is the primary's own connection under the alias "replica" (as Django's test mirror does). The
same decisions against a real streaming replica: tests/ops/test_cluster.py."""

from __future__ import annotations

import math
import threading
import time

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client

from portal import readdb
from services.models import Case


@pytest.fixture
def replica(settings, monkeypatch, db):
    """An alias "replica" (the default connection, as a test mirror), named by the settings."""
    monkeypatch.setitem(settings.DATABASES, "replica", dict(connection.settings_dict))
    settings.LINLI = {
        **settings.LINLI,
        "DASHBOARD_DB": "replica",
        "REPLICA_MAX_LAG": 5.0,
        "REPLICA_CHECK_TIMEOUT": 0,  # measured inline, on the test's own connection
    }
    connections["replica"] = connections["default"]
    readdb.forget_lag()
    yield "replica"
    readdb.forget_lag()
    del connections["replica"]


def _lag(monkeypatch, seconds: float) -> list[str]:
    asked: list[str] = []

    def fake(alias):
        asked.append(alias)
        return seconds

    monkeypatch.setattr(readdb, "replica_lag", fake)
    return asked


def test_the_lag_query_runs_on_postgresql_and_a_primary_is_not_behind(replica):
    assert readdb.replica_lag("replica") == 0.0


def test_the_lag_is_measured_once_per_cache_period(replica, settings, django_assert_num_queries):
    settings.LINLI = {**settings.LINLI, "REPLICA_LAG_CACHE": 60}
    with django_assert_num_queries(1):
        readdb.replica_lag("replica")
    with django_assert_num_queries(0):
        assert readdb.replica_lag("replica") == 0.0
    settings.LINLI = {**settings.LINLI, "REPLICA_LAG_CACHE": 0}
    with django_assert_num_queries(1):
        readdb.replica_lag("replica")


class _Refusing:
    def cursor(self):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    def close(self):
        pass


def test_a_replica_that_does_not_answer_is_infinitely_behind(replica):
    connections["replica"] = _Refusing()
    assert readdb.replica_lag("replica") == math.inf
    assert readdb.replica_alias() is None


def test_a_replica_that_hangs_counts_as_down_after_the_check_timeout(
    replica, settings, monkeypatch
):
    settings.LINLI = {**settings.LINLI, "REPLICA_CHECK_TIMEOUT": 0.3}
    release = threading.Event()

    def hanging(alias):  # pgbouncer holding the query while the dead server is retried
        release.wait(10)
        return 0.0

    monkeypatch.setattr(readdb, "_measure", hanging)
    started = time.monotonic()
    assert readdb.replica_lag("replica") == math.inf
    assert readdb.replica_alias() is None  # cached: no second wait
    assert time.monotonic() - started < 2
    release.set()


@pytest.mark.parametrize(("lag", "alias"), [(0.0, "replica"), (5.0, "replica"), (5.1, None)])
def test_the_lag_guard_sends_reads_to_the_primary_past_the_limit(replica, monkeypatch, lag, alias):
    _lag(monkeypatch, lag)
    assert readdb.replica_alias() == alias


def test_no_replica_configured_means_the_primary_without_measuring(settings, monkeypatch, db):
    settings.LINLI = {**settings.LINLI, "DASHBOARD_DB": "default"}
    asked = _lag(monkeypatch, 0.0)
    assert readdb.replica_alias() is None and asked == []


def test_the_router_reads_where_it_is_told_and_writes_to_the_primary_always(replica, territory):
    router = readdb.ReadRouter()
    with readdb.reading_from("replica"):
        assert router.db_for_read(Case) == "replica"
        area = type(territory.city).objects.get(pk=territory.city.pk)
    assert area._state.db == "replica"
    # An object read from the replica is saved on the primary, not where it was read.
    assert router.db_for_write(type(area), instance=area) == "default"
    assert router.db_for_read(Case) is None


def test_open311_reads_come_from_the_replica_and_say_so(replica, monkeypatch):
    _lag(monkeypatch, 0.0)
    r = Client().get("/open311/v2/services.json")
    assert r.status_code == 200 and r[readdb.HEADER] == "replica"


def test_a_lagging_replica_leaves_open311_on_the_primary(replica, monkeypatch):
    _lag(monkeypatch, 30.0)
    r = Client().get("/open311/v2/services.json")
    assert r.status_code == 200 and r[readdb.HEADER] == "default"


def test_a_write_sets_the_cookie_and_the_next_reads_come_from_the_primary(
    replica, monkeypatch, settings
):
    _lag(monkeypatch, 0.0)
    c = Client()
    r = c.post("/elder-mode/", {"on": "1"})
    assert r.status_code == 302
    wrote = float(r.cookies[readdb.WROTE_COOKIE].value)
    assert abs(wrote - time.time()) < 5
    assert r.cookies[readdb.WROTE_COOKIE]["max-age"] == settings.LINLI["READ_YOUR_WRITES"]
    assert c.get("/open311/v2/services.json")[readdb.HEADER] == "default"
    assert readdb.replica_alias() == "replica"  # outside that browser's request: the replica
    # The window over (the cookie, were it still sent, is too old): the replica again.
    c.cookies[readdb.WROTE_COOKIE] = str(time.time() - settings.LINLI["READ_YOUR_WRITES"] - 1)
    assert c.get("/open311/v2/services.json")[readdb.HEADER] == "replica"


def test_a_refused_write_does_not_pin_the_browser_to_the_primary(replica):
    r = Client().post("/open311/v2/services.json")
    assert r.status_code == 405 and readdb.WROTE_COOKIE not in r.cookies


def test_a_replica_lost_mid_request_is_read_again_from_the_primary(replica, monkeypatch):
    from open311 import records

    _lag(monkeypatch, 0.0)
    real = records.services_list
    used = []

    def flaky():
        used.append(readdb.current_alias())
        if readdb.current_alias() == "replica":
            raise OperationalError("server closed the connection unexpectedly")
        return real()

    monkeypatch.setattr(records, "services_list", flaky)
    # (Marking it down closes its connection: here that is the test's own.)
    monkeypatch.setattr(readdb, "_close_quietly", lambda alias: None)
    r = Client().get("/open311/v2/services.json")
    assert r.status_code == 200 and r[readdb.HEADER] == "default"
    assert used == ["replica", None]
    monkeypatch.undo()  # the real lag measure: the replica is marked down for the cache period
    assert readdb._lag_cache["replica"][1] == math.inf
