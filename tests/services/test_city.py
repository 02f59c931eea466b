"""The city 12345 link: outbox rows with the events, delivery with retries and backoff (one
delivery per event), a real worker draining it, and the signed, replay-protected webhook."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from services import actions, city, tasks
from services.models import CaseEvent, CityLink, CityOutbox, WebhookNonce
from tests.conftest import start_worker, wait_until
from tests.services.city_fake import FakeCity

SECRET = "shared-secret"


def _link(settings, url="http://127.0.0.1:9/none", key="city-key"):
    settings.LINLI = {
        **settings.LINLI,
        "CITY_12345_URL": url,
        "CITY_12345_KEY": key,
        "CITY_12345_WEBHOOK_SECRET": SECRET,
    }


def test_no_outbox_rows_without_a_city_url(desk, settings):
    settings.LINLI = {**settings.LINLI, "CITY_12345_URL": ""}
    desk.dispatched()
    assert not CityOutbox.objects.exists()


def test_collected_and_every_status_change_are_queued(desk, settings):
    _link(settings)
    case = desk.dispatched()
    actions.sign_for(case, actor=desk.user("grid_a"))
    actions.add_progress(case, actor=desk.user("grid_a"), note="在修")  # no status change
    rows = list(CityOutbox.objects.order_by("id"))
    assert [(r.kind, r.payload["action"]) for r in rows] == [
        ("collected", "submit"),
        ("status", "dispatch"),
        ("status", "sign_for"),
    ]
    assert rows[0].payload["description"] == case.description
    assert rows[2].payload["from_state"] == "dispatched" and rows[2].payload["state"] == "signed"


def test_a_refused_action_queues_nothing(desk, settings):
    _link(settings)
    case = desk.dispatched()
    before = CityOutbox.objects.count()
    with pytest.raises(ValidationError):
        actions.resolve(case, actor=desk.user("grid_a"), result="")
    assert CityOutbox.objects.count() == before


def test_endpoint_fails_three_times_then_one_delivery_per_event(desk, settings):
    with FakeCity(fail_times=3) as fake:
        _link(settings, fake.url)
        case = desk.dispatched()
        actions.sign_for(case, actor=desk.user("grid_a"))
        ids = {str(i) for i in CityOutbox.objects.values_list("event_id", flat=True)}
        assert len(ids) == 3
        delays = []
        for _attempt in range(3):
            before = timezone.now()
            assert tasks.drain_city_outbox() == 0
            head = CityOutbox.objects.order_by("id").first()
            delays.append(round((head.next_attempt_at - before).total_seconds()))
            # Every pending row waits for the retry time: the queue keeps its order.
            assert not CityOutbox.objects.filter(
                status="pending", next_attempt_at__lt=head.next_attempt_at
            ).exists()
            # Nothing is due before the retry time: a drain now sends nothing.
            assert tasks.drain_city_outbox() == 0
            # The retry time comes (moved instead of waited for).
            CityOutbox.objects.update(next_attempt_at=timezone.now())
        assert delays == [5, 10, 20]  # exponential backoff
        assert tasks.drain_city_outbox() == 3
        assert tasks.drain_city_outbox() == 0
    assert Counter(e["event_id"] for e in fake.delivered) == dict.fromkeys(ids, 1)
    assert [e["action"] for e in fake.delivered] == ["submit", "dispatch", "sign_for"]
    assert len(fake.requests) == 6  # three refused, three accepted
    assert set(CityOutbox.objects.values_list("status", flat=True)) == {"sent"}


def test_a_refused_payload_is_marked_failed_and_the_queue_moves_on(desk, settings):
    with FakeCity() as fake:
        _link(settings, fake.url, key="wrong")  # the fake answers 401
        desk.file()
        assert tasks.drain_city_outbox() == 0
        row = CityOutbox.objects.get()
        assert row.status == "failed" and "401" in row.last_error


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_after_an_outage(transactional_territory, tmp_path, settings):
    from portal.celery import app
    from tests.services.conftest import build_desk

    desk = build_desk(transactional_territory)
    with FakeCity(fail_times=1) as fake:
        _link(settings, fake.url)
        queue = f"test-{uuid.uuid4().hex[:8]}"
        previous = app.conf.task_default_queue
        app.conf.task_default_queue = queue
        worker = start_worker(
            tmp_path, queue, extra_env={"CITY_12345_URL": fake.url, "CITY_12345_KEY": "city-key"}
        )
        try:
            case = desk.file()
            wait_until(lambda: len(fake.delivered) >= 2, timeout=40)  # submit + dispatch
            wait_until(lambda: not CityOutbox.objects.filter(status="pending").exists(), timeout=20)
        finally:
            worker.proc.terminate()
            worker.proc.wait(15)
            app.conf.task_default_queue = previous
    got = Counter(e["event_id"] for e in fake.delivered)
    assert all(n == 1 for n in got.values())
    assert {e["action"] for e in fake.delivered} == {"submit", "dispatch"}
    assert fake.delivered[0]["case"] == case.number
    assert CityOutbox.objects.filter(status="sent").count() == 2


# --- webhook -----------------------------------------------------------------------------------


def _post(client, body: dict, *, nonce=None, ts=None, secret=SECRET, signature=None):
    raw = json.dumps(body).encode()
    ts = str(int(time.time())) if ts is None else ts
    nonce = nonce or uuid.uuid4().hex
    sig = signature or city.sign(secret, ts, nonce, raw)
    return client.post(
        "/api/services/city12345/webhook/",
        raw,
        content_type="application/json",
        headers={"X-City-Timestamp": ts, "X-City-Nonce": nonce, "X-City-Signature": sig},
    )


def test_webhook_updates_the_case(client, desk, settings):
    _link(settings)
    case = desk.dispatched()
    r = _post(client, {"case": case.number, "reference": "FZ-2026-001", "dispatch": "转区城管局"})
    assert r.status_code == 200, r.content
    link = CityLink.objects.get(case=case)
    assert link.reference == "FZ-2026-001" and link.dispatch == "转区城管局"
    assert case.events.filter(action="city_update").count() == 1
    r = _post(client, {"case": case.number, "result": "已办结"})
    link.refresh_from_db()
    assert link.result == "已办结" and link.reference == "FZ-2026-001"


def test_webhook_refuses_bad_signature_replay_and_stale_time(client, desk, settings):
    _link(settings)
    case = desk.dispatched()
    events = CaseEvent.objects.count()
    r = _post(client, {"case": case.number, "reference": "X"}, signature="0" * 64)
    assert r.status_code == 401 and "signature" in r.json()["errors"]
    r = _post(client, {"case": case.number, "reference": "X"}, secret="guess")
    assert r.status_code == 401
    r = _post(client, {"case": case.number, "reference": "X"}, ts=str(int(time.time()) - 3600))
    assert r.status_code == 400 and "timestamp" in r.json()["errors"]
    assert not CityLink.objects.exists() and CaseEvent.objects.count() == events
    # A replay: the same signed message twice.
    nonce = uuid.uuid4().hex
    ts = str(int(time.time()))
    assert (
        _post(client, {"case": case.number, "reference": "R1"}, nonce=nonce, ts=ts).status_code
        == 200
    )
    r = _post(client, {"case": case.number, "reference": "R1"}, nonce=nonce, ts=ts)
    assert r.status_code == 400 and "nonce" in r.json()["errors"]
    # A replayed nonce with a new body (signed again) is refused too, and changes nothing.
    r = _post(client, {"case": case.number, "reference": "R2"}, nonce=nonce)
    assert r.status_code == 400
    assert CityLink.objects.get(case=case).reference == "R1"


def test_webhook_bad_bodies_are_400_and_leave_no_nonce(client, desk, settings):
    _link(settings)
    r = _post(client, {"case": "nope", "reference": "X"})
    assert r.status_code == 400 and "case" in r.json()["errors"]
    assert not WebhookNonce.objects.exists()
    ts, nonce = str(int(time.time())), uuid.uuid4().hex
    raw = b"[not json"
    r = client.post(
        "/api/services/city12345/webhook/",
        raw,
        content_type="application/json",
        headers={
            "X-City-Timestamp": ts,
            "X-City-Nonce": nonce,
            "X-City-Signature": city.sign(SECRET, ts, nonce, raw),
        },
    )
    assert r.status_code == 400 and "body" in r.json()["errors"]


def test_the_sweep_queues_its_status_changes(desk, settings):
    """A callback with no answer (the sweep closes the case) reaches the city too."""
    from datetime import timedelta

    from services import calendar
    from services.models import KpiConfig

    _link(settings)
    KpiConfig.objects.create(callback_wait_days=2)
    case = desk.dispatched()
    grid = desk.user("grid_a")
    actions.sign_for(case, actor=grid)
    case = actions.resolve(case, actor=grid, result="已处理")
    wait = calendar.add_working_days(case.resolved_at, 2)
    tasks.sweep_once(wait + timedelta(seconds=1))
    case.refresh_from_db()
    assert case.state == "called_back"
    last = CityOutbox.objects.order_by("-id").first()
    assert last.payload["action"] == "callback" and last.payload["state"] == "called_back"
    # One row per status change: submit, dispatch, sign, resolve, callback.
    assert CityOutbox.objects.filter(case=case).count() == 5
