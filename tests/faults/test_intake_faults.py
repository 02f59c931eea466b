"""The intake under faults, with real processes (issue 17, items 6 and 7): the portal under
gunicorn on a private PostgreSQL or beside a private Redis broker, a real Celery worker.

- PostgreSQL restarted while cases are filed: every request is answered 201 or a clear 503
  (JSON for the API, a small page for the phone page, never Django's 500 page); afterwards
  nothing is half-saved, and a retry with the same Idempotency-Key files the case once.
- The broker flushed (FLUSHALL) and restarted while cases are filed: every case is stored and
  answered 201 (the phone page: sent to its tracking link), none lost, none doubled; the cases whose dispatch message was lost are
  dispatched by the deadline sweep, each exactly once."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest
from django.db import connection

from services.models import Case, CaseEvent
from tests.conftest import start_worker, wait_until
from tests.portal.test_redis_down import Browser, Portal, PrivateRedis
from tests.services.conftest import build_desk
from tests.territory import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# Filing as fast as one client can: no throttle in the way of the count.
UNTHROTTLED = {"LINLI_THROTTLE_INTAKE": "100000/min", "LINLI_THROTTLE_WRITE": "100000/min"}


@pytest.fixture
def redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.proc is not None:
        server.stop()


def _body(desk, text: str) -> str:
    return json.dumps(
        {
            "case_type": "help",
            "category": desk.potholes.pk,
            "description": text,
            "place": desk.t.a.buildings[0].pk,
            "channel": "grid_worker",
        }
    )


def _token(portal) -> dict:
    status, text, _ = Browser(portal).request(
        "POST", "/api/auth/token/", json.dumps({"username": "grid_a", "password": PASSWORD})
    )
    assert status == 200, text
    return {"Authorization": f"Token {json.loads(text)['token']}"}


class Filer(threading.Thread):
    """Files cases through the API, one after another, each with its own key, until stopped;
    keeps every answer (a refused connection counts as no answer: status 0)."""

    def __init__(self, portal, desk, token: dict, prefix: str):
        super().__init__(daemon=True)
        self.api = Browser(portal)
        self.desk, self.token, self.prefix = desk, token, prefix
        self.answers: list[tuple[str, str, int, str, dict]] = []  # key, text, status, body, headers
        self.stop = threading.Event()

    def file(self, key: str, text: str) -> tuple[int, str, dict]:
        headers = {"Idempotency-Key": key, **self.token}
        try:
            return self.api.request("POST", "/api/services/cases/", _body(self.desk, text), headers)
        except OSError as exc:  # the connection itself failed
            return 0, str(exc), {}

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            key, text = uuid.uuid4().hex, f"{self.prefix}{n:04d}号楼道灯坏了"
            status, body, headers = self.file(key, text)
            self.answers.append((key, text, status, body, headers))
            n += 1
            time.sleep(0.02)


# --- PostgreSQL restarted during intake ------------------------------------------------------------


def _private_rows(server, database: str, sql: str) -> list[tuple]:
    conn = server.connect(database)
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        conn.close()


def test_postgresql_restarted_during_intake(
    transactional_territory, tmp_path, redis, private_pg, private_queue
):
    desk = build_desk(transactional_territory)
    database = f"faults_{private_queue.replace('-', '_')}"
    private_pg.copy_database(connection.settings_dict, database)
    # Production's persistent connections (health-checked at each request), not one a request.
    env = {**UNTHROTTLED, "DATABASE_URL": private_pg.url(database), "DATABASE_CONN_MAX_AGE": "60"}
    portal = Portal(tmp_path, redis, extra_env=env)
    try:
        filer = Filer(portal, desk, _token(portal), "甲")
        phone = Browser(portal)
        assert phone.request("GET", "/cases/new/")[0] == 200  # the form and its CSRF cookie
        page = {
            "case_type": "help",
            "category": desk.potholes.pk,
            "description": "路灯不亮（网页）",
            "place": desk.t.a.buildings[0].pk,
            "reporter_phone": "13912340000",
            "csrfmiddlewaretoken": phone.csrf(),
            "idempotency_key": uuid.uuid4().hex,
        }
        filer.start()
        wait_until(lambda: sum(a[2] == 201 for a in filer.answers) >= 5, timeout=30)
        private_pg.stop("fast")  # every session cut off, open transactions rolled back
        down = len(filer.answers)
        status, text, headers = phone.request("POST", "/cases/new/", page)
        time.sleep(2.0)
        private_pg.start()
        wait_until(lambda: sum(a[2] == 201 for a in filer.answers[down:]) >= 5, timeout=30)
        filer.stop.set()
        filer.join(30)
        # The phone page during the outage: a page that says what to do, 503.
        assert status == 503, (status, text[:500])
        assert headers["Content-Type"].startswith("text/html") and "try again" in text
        assert "Retry-After" in headers and "Traceback" not in text
        # Every API answer: 201, or a 503 in JSON saying to try again.
        statuses = Counter(a[2] for a in filer.answers)
        assert set(statuses) <= {201, 503}, statuses
        assert statuses[503] >= 1, statuses  # the outage was met
        for _key, _text, status, body, headers in filer.answers:
            if status == 503:
                assert headers["Content-Type"] == "application/json", body
                assert "try again" in json.loads(body)["detail"]
        # Retries with the same keys: each case filed once; a 201 retried is replayed.
        for key, text, status, _, _ in filer.answers:
            again, body, headers = filer.file(key, text)
            assert again == 201, body
            if status == 201:
                assert headers.get("Idempotent-Replay") == "true"
        assert phone.request("POST", "/cases/new/", page)[0] == 302
        log = portal.log.read_text()
    finally:
        portal.stop()
    texts = [a[1] for a in filer.answers] + [page["description"]]
    stored = Counter(
        text
        for (text,) in _private_rows(private_pg, database, "SELECT description FROM services_case")
    )
    assert stored == Counter(texts)  # nothing lost, nothing doubled
    # Nothing half-saved: each case has its intake step on the timeline and its key row.
    half = _private_rows(
        private_pg,
        database,
        "SELECT count(*) FROM services_case c WHERE NOT EXISTS (SELECT 1 FROM "
        "services_caseevent e WHERE e.case_id = c.id)",
    )
    assert half == [(0,)]
    keys = _private_rows(private_pg, database, "SELECT count(*) FROM portal_idempotencykey")
    assert keys[0][0] >= len(texts)
    assert "Internal Server Error" not in log, log[-3000:]
    print(f"\nduring the restart: {dict(statuses)}")


# --- the broker flushed and restarted during intake -------------------------------------------


def _dispatch_counts(ids) -> Counter:
    return Counter(
        CaseEvent.objects.filter(case_id__in=ids, action="dispatch").values_list(
            "case_id", flat=True
        )
    )


def test_the_broker_flushed_and_restarted_during_intake(
    transactional_territory, tmp_path, private_queue
):
    desk = build_desk(transactional_territory)
    broker = PrivateRedis(tmp_path)
    broker.start()
    url = f"redis://127.0.0.1:{broker.port}/0"
    # Cases filed while the broker is gone wait 3 s (60 in production) for a message that
    # never comes; then the sweep dispatches them.
    env = {
        **UNTHROTTLED,
        "LINLI_CELERY_QUEUE": private_queue,
        "LINLI_DISPATCH_GRACE_SECONDS": "3",
    }
    portal = Portal(tmp_path, broker, extra_env=env)
    worker = start_worker(tmp_path, private_queue, extra_env={"CELERY_BROKER_URL": url, **env})
    try:
        filer = Filer(portal, desk, _token(portal), "乙")
        filer.start()
        wait_until(lambda: _dispatch_counts(Case.objects.values_list("pk", flat=True)), timeout=30)
        # FLUSHALL: every queued and unacknowledged message gone, the worker's included.
        flushed = subprocess.run(
            ["redis-cli", "-p", str(broker.port), "FLUSHALL"], capture_output=True, text=True
        )
        assert flushed.stdout.strip() == "OK", flushed
        time.sleep(0.5)
        broker.stop()  # and down
        at_stop = len(filer.answers)
        # A resident on the phone page meanwhile: stored, and sent to its tracking link.
        phone = Browser(portal)
        status, _, headers = phone.form(
            "/cases/new/",
            {
                "case_type": "help",
                "category": desk.potholes.pk,
                "description": "乙网页路灯不亮",
                "place": desk.t.a.buildings[0].pk,
                "reporter_phone": "13912340000",
            },
        )
        assert status == 302 and "/cases/t/" in headers["Location"], (status, headers)
        wait_until(lambda: len(filer.answers) >= at_stop + 10, timeout=60)
        filer.stop.set()
        filer.join(30)
        broker.start()  # back, empty, on the same port: the worker reconnects
        # Celery retries its broker with a growing wait (up to 30 s apart). A worker that held
        # an unacknowledged message when the broker went can die instead ("Unrecoverable
        # error" in kombu's restore of unacked messages on a closed connection): its
        # supervisor starts it again (deploy/systemd: Restart=always), as here.
        wait_until(
            lambda: (
                worker.output().count("Connected to redis") >= 2 or worker.proc.poll() is not None
            ),
            timeout=180,
        )
        if worker.proc.poll() is not None:
            assert "Unrecoverable error" in worker.output(), worker.output()[-3000:]
            worker = start_worker(
                tmp_path, private_queue, extra_env={"CELERY_BROKER_URL": url, **env}
            )
        statuses = Counter(a[2] for a in filer.answers)
        assert statuses == Counter({201: len(filer.answers)}), statuses
        texts = [a[1] for a in filer.answers] + ["乙网页路灯不亮"]
        # Nothing lost, nothing doubled.
        stored = Counter(Case.objects.values_list("description", flat=True))
        assert stored == Counter(texts)
        # What was filed while the broker was down waits: no message announced it.
        waiting = set(Case.objects.filter(state="submitted").values_list("pk", flat=True))
        assert waiting, "every case was dispatched: the lost messages were not tested"
        # Beat's next sweep (sent here to the worker, as beat would) dispatches them.
        from services.tasks import sweep_deadlines

        time.sleep(3.5)  # past the grace
        from portal.celery import app

        with app.connection_for_write(url) as conn:
            sweep_deadlines.apply_async(connection=conn)
        wait_until(lambda: not Case.objects.filter(state="submitted").exists(), timeout=60)
        # Filing goes on as before, dispatched by its message.
        late = Filer(portal, desk, filer.token, "丙")
        status, _, _ = late.file(uuid.uuid4().hex, "丙0000号楼道灯坏了")
        assert status == 201
        wait_until(lambda: not Case.objects.filter(state="submitted").exists(), timeout=30)
        time.sleep(1)  # a doubled dispatch would be written now
    finally:
        filer.stop.set()
        worker.proc.terminate()
        try:
            worker.proc.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
        portal.stop()
        if broker.proc is not None:
            broker.stop()
    ids = list(Case.objects.values_list("pk", flat=True))
    assert set(_dispatch_counts(ids).values()) == {1} and len(_dispatch_counts(ids)) == len(ids)
    assert "Internal Server Error" not in portal.log.read_text()
    print(f"\nfiled {len(ids)}, {len(waiting)} dispatched by the sweep")
