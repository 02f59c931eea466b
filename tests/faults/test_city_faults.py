"""The city 12345 outbox under faults, with a real worker and a real HTTP platform (the fake
city, a server in this process): the platform down for "an hour" then back, and a platform
so slow that a drain would outlive its task's time limit. Each ends with every event at the
city exactly once, in order per case, and the backlog sent soon after the city returns.

An hour of outage is scaled down: what matters is how many backoff periods it spans. With
the real settings (5 s doubling to a 60 s cap) an hour is 60 caps; here the worker runs with
0.2 s doubling to a 1 s cap and the city stays down 12 s, 12 caps: every case has reached
the cap, as after the hour."""

from __future__ import annotations

import time

import pytest

from services import actions, city
from services.models import CityOutbox
from tests.conftest import start_worker, wait_until
from tests.services.city_fake import FakeCity

pytestmark = pytest.mark.django_db(transaction=True)

BASE, CAP, OUTAGE = 0.2, 1.0, 12.0


def _dispatched(cases) -> bool:
    from services.models import Case

    return not Case.objects.filter(pk__in=[c.pk for c in cases], state="submitted").exists()


def _link(settings, fake) -> dict:
    settings.LINLI = {
        **settings.LINLI,
        "CITY_12345_URL": fake.url,
        "CITY_12345_KEY": fake.key,
        "CITY_12345_BACKOFF_BASE": BASE,
        "CITY_12345_BACKOFF_CAP": CAP,
    }
    return {
        "CITY_12345_URL": fake.url,
        "CITY_12345_KEY": fake.key,
        "CITY_12345_BACKOFF_BASE": str(BASE),
        "CITY_12345_BACKOFF_CAP": str(CAP),
    }


def test_the_city_down_for_an_hour_then_back(transactional_desk, tmp_path, private_queue, settings):
    desk = transactional_desk
    with FakeCity() as fake:
        fake.down = True
        worker = start_worker(tmp_path, private_queue, extra_env=_link(settings, fake))
        try:
            # Collected, dispatched (by the worker, as in production), signed for: 24 events.
            cases = [desk.file(description=f"第{i}件") for i in range(8)]
            wait_until(lambda: _dispatched(cases), timeout=20)
            for case in cases:
                actions.sign_for(case, actor=desk.user("grid_a"))
            time.sleep(OUTAGE)
            tried = len(fake.requests)
            assert not fake.unique and tried > 0
            fake.down = False
            back = time.monotonic()
            wait_until(lambda: len(fake.unique) == 24, timeout=30, interval=0.1)
            recovery = time.monotonic() - back
            wait_until(lambda: not CityOutbox.objects.exclude(status="sent").exists(), timeout=10)
            time.sleep(1)  # a repeat would arrive now
        finally:
            worker.proc.terminate()
            worker.proc.wait(15)
    # The backlog went within one cap (and a retry's second) of the city's return.
    assert recovery <= CAP + 3, recovery
    # During the outage a few requests a second, not one per pending event per drain.
    assert tried <= city.CITY_DOWN_AFTER * 2 * OUTAGE, tried
    assert len(fake.delivered) == 24 and fake.order_errors == []
    for case in cases:
        assert fake.actions_of(case.number) == ["submit", "dispatch", "sign_for"]


def test_a_slow_city_never_makes_a_drain_outlive_its_time_limit(
    transactional_desk, tmp_path, private_queue, settings
):
    """The old drain posted a batch of 50 in one transaction: past the soft time limit the
    batch's sent marks rolled back and the city got those events again. Here 30 events at
    0.6 s each take 18 s, more than the worker's 15 s soft limit."""
    desk = transactional_desk
    with FakeCity(delay=0.6) as fake:
        env = {
            **_link(settings, fake),
            "CELERY_TASK_SOFT_TIME_LIMIT": "15",
            "CELERY_TASK_TIME_LIMIT": "20",
        }
        worker = start_worker(tmp_path, private_queue, extra_env=env)
        try:
            for i in range(15):
                desk.file(description=f"第{i}件")  # the worker dispatches them
            wait_until(lambda: len(fake.unique) == 30, timeout=45, interval=0.2)
            time.sleep(1)
        finally:
            worker.proc.terminate()
            worker.proc.wait(15)
        log = worker.output()
    assert "SoftTimeLimitExceeded" not in log
    assert "handed over" in log  # drains stopped before the limit and passed the rest on
    assert len(fake.delivered) == 30 and fake.order_errors == []
    assert not CityOutbox.objects.exclude(status="sent").exists()
