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
            # Only the head of the case was tried: its later events wait behind it.
            assert {r["action"] for r in fake.requests} == {"submit"}
            # Nothing is due before the retry time: a drain now sends nothing.
            assert tasks.drain_city_outbox() == 0
            # The retry time comes (moved instead of waited for).
            CityOutbox.objects.update(next_attempt_at=timezone.now())
        assert delays == [5, 10, 20]  # exponential backoff, this case only
        assert tasks.drain_city_outbox() == 3
        assert tasks.drain_city_outbox() == 0
    assert Counter(e["event_id"] for e in fake.delivered) == dict.fromkeys(ids, 1)
    assert [e["action"] for e in fake.delivered] == ["submit", "dispatch", "sign_for"]
    assert len(fake.requests) == 6  # three refused, three accepted
    assert set(CityOutbox.objects.values_list("status", flat=True)) == {"sent"}
    # What the city de-duplicates and orders on: the id in the body and two headers, and seq.
    for body, headers in zip(fake.delivered, fake.headers, strict=True):
        assert headers["x-linli-event-id"] == headers["idempotency-key"] == body["event_id"]
    seqs = [e["seq"] for e in fake.delivered]
    assert seqs == sorted(seqs)


def test_backoff_is_capped_so_a_backlog_goes_soon_after_the_city_returns(settings):
    assert city.backoff(1).total_seconds() == 5
    assert city.backoff(4).total_seconds() == 40
    assert city.backoff(30).total_seconds() == 60  # not the hour the old queue waited
    settings.LINLI = {**settings.LINLI, "CITY_12345_BACKOFF_CAP": 2.0}
    assert city.backoff(30).total_seconds() == 2


def test_one_failing_case_never_holds_the_others(desk, settings):
    with FakeCity() as fake:
        _link(settings, fake.url)
        stuck = desk.dispatched()  # older: its events are first in the queue
        fine = desk.dispatched(description="楼道灯坏了")
        fake.fail_cases.add(stuck.number)
        assert tasks.drain_city_outbox() == 2
        assert fake.actions_of(fine.number) == ["submit", "dispatch"]
        assert fake.actions_of(stuck.number) == []
        head = CityOutbox.objects.filter(case=stuck).order_by("id").first()
        assert head.attempts == 1 and head.next_attempt_at > timezone.now()
        # The stuck case's second event was never tried: it waits behind its head.
        assert [r["action"] for r in fake.requests if r["case"] == stuck.number] == ["submit"]
        fake.fail_cases.clear()
        CityOutbox.objects.filter(case=stuck).update(next_attempt_at=timezone.now())
        assert tasks.drain_city_outbox() == 2
        assert fake.actions_of(stuck.number) == ["submit", "dispatch"]


def test_a_refused_event_stops_its_case_only_until_staff_requeue_it(desk, settings):
    with FakeCity() as fake:
        _link(settings, fake.url)
        refused = desk.dispatched()
        other = desk.dispatched(description="楼道灯坏了")
        fake.refuse_cases.add(refused.number)
        assert tasks.drain_city_outbox() == 2  # the other case's two events
        rows = list(CityOutbox.objects.filter(case=refused).order_by("id"))
        assert [r.status for r in rows] == ["failed", "pending"]  # the dispatch waits, in order
        assert tasks.drain_city_outbox() == 0
        fake.refuse_cases.clear()
        actions.requeue_city_events([rows[0].pk], actor=desk.user("superuser"))
        assert tasks.drain_city_outbox() == 2
        assert fake.actions_of(refused.number) == ["submit", "dispatch"]
        assert fake.actions_of(other.number) == ["submit", "dispatch"]


class _Interrupted(Exception):
    """Stands for the soft time limit (SoftTimeLimitExceeded) landing mid-drain."""


def test_each_sent_mark_stands_on_its_own(desk, settings, monkeypatch):
    """The old drain marked a batch sent in one transaction: a drain cut off mid-batch rolled
    back the marks of events the city already had, and they went again (38 duplicates)."""
    with FakeCity() as fake:
        _link(settings, fake.url)
        for i in range(3):
            desk.dispatched(description=f"第{i}件")
        sender = city.client()
        real_send, calls = sender.send, []

        def send(event):
            calls.append(event)
            if len(calls) == 4:
                raise _Interrupted
            real_send(event)

        sender.send = send
        monkeypatch.setattr(city, "client", lambda: sender)
        with pytest.raises(_Interrupted):
            tasks.drain_city_outbox()
        assert CityOutbox.objects.filter(status="sent").count() == 3
        monkeypatch.undo()
        assert tasks.drain_city_outbox() == 3  # the rest, and nothing twice
    assert len(fake.delivered) == len(fake.unique) == 6


def test_the_time_left_is_checked_before_each_post(desk, settings):
    with FakeCity() as fake:
        _link(settings, fake.url)
        for i in range(3):
            desk.dispatched(description=f"第{i}件")
        ticks = iter(range(0, 1000, 8))  # each look at the clock: 8 s later
        result = city.drain(city.client(), limit=40, clock=lambda: next(ticks))
        # Started at 0 s; at 8, 16 and 24 s there is room for a post and its 10 s timeout
        # before the 40 s limit, at 32 s there is not: it stops before posting, holding nothing.
        assert (result.delivered, result.stopped) == (3, "budget")
        assert len(fake.requests) == 3
        assert city.drain(city.client()).delivered == 3


def test_when_the_city_is_down_a_drain_stops_after_a_few_tries(desk, settings):
    with FakeCity() as fake:
        _link(settings, fake.url)
        cases = [desk.dispatched(description=f"第{i}件") for i in range(5)]
        fake.down = True
        result = city.drain(city.client())
        assert (result.failed, result.stopped) == (city.CITY_DOWN_AFTER, "city_down")
        assert len(fake.requests) == city.CITY_DOWN_AFTER  # not one request per pending event
        fake.down = False
        # The city is back; the cases that were tried wait at most the cap.
        later = timezone.now() + city.backoff(99)
        assert not CityOutbox.objects.filter(next_attempt_at__gt=later).exists()
        CityOutbox.objects.update(next_attempt_at=timezone.now())
        assert tasks.drain_city_outbox() == 10
        for case in cases:
            assert fake.actions_of(case.number) == ["submit", "dispatch"]


@pytest.mark.django_db(transaction=True)
def test_two_drains_at_once_keep_each_case_in_order_and_send_each_event_once(
    transactional_territory, settings
):
    """The old drains locked batches of 50 with SKIP LOCKED: the second took the rows after the
    first's batch, later events of the same cases, and sent them first (a case's dispatch
    before its collected); two of them deadlocked on the backoff update."""
    import threading

    from django.db import connection

    from tests.services.conftest import build_desk

    desk = build_desk(transactional_territory)
    with FakeCity(delay=0.01) as fake:
        _link(settings, fake.url)
        grid = desk.user("grid_a")
        # Each case's events spread over the queue: all collected and dispatched, then all
        # signed for, then all started (80 events, more than one batch of the old drain).
        cases = [desk.dispatched(description=f"第{i}件") for i in range(20)]
        for step in (actions.sign_for, actions.start):
            for case in cases:
                step(case, actor=grid)
        fake.fail_cases.add(cases[2].number)  # one case failing throughout
        errors: list[BaseException] = []

        def drainer():
            try:
                for _ in range(3):
                    tasks.drain_city_outbox()
            except BaseException as exc:  # a deadlock would land here
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=drainer) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        fake.fail_cases.clear()
        CityOutbox.objects.update(next_attempt_at=timezone.now())
        tasks.drain_city_outbox()
    assert fake.order_errors == []
    assert len(fake.delivered) == len(fake.unique) == 20 * 4  # each event once
    for case in cases:
        assert fake.actions_of(case.number) == ["submit", "dispatch", "sign_for", "start"]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_after_an_outage(transactional_territory, tmp_path, settings):
    from django.core.cache import cache

    from portal.celery import app
    from tests.services.conftest import build_desk

    # The kick is debounced per time window in the shared cache: an earlier test's kick in the
    # same window would swallow this one (beat drains it in production; no beat runs here).
    cache.clear()
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
