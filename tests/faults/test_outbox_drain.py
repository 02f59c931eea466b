"""A notification backlog after an outage drains at the rate the channels take it (issue 17,
item 7), with real worker processes and a local SMS gateway.

The review: after a database outage 7,321 notices waited for `flush_outbox`, which took 2,000
every 2 minutes (four beat ticks, ~8 minutes). Now one beat tick starts a chain of runs that
hand over to each other at once while rows are pending; a second tick, on a second worker,
finds the chain running and returns. Every row reaches the gateway exactly once."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import ThreadingHTTPServer

import pytest
from django.utils import timezone

from notifications import tasks
from notifications.models import NotificationOutbox
from tests.conftest import start_worker, wait_until
from tests.notifications.conftest import Gateway

pytestmark = pytest.mark.django_db(transaction=True)

BACKLOG = 7321
BUDGET = 3.0  # seconds per run here (45 by default): several hand-overs in one drain


@pytest.fixture
def sms_gateway():
    Gateway.received = []
    Gateway.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)  # as a real gateway, many at once
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _backlog(n: int) -> None:
    """`n` SMS rows whose delivery messages were lost, queued ten minutes ago."""
    NotificationOutbox.objects.bulk_create(
        [
            NotificationOutbox(
                channel="sms", address=f"139{i:08d}", kind="resolved", title=f"通知{i}"
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    NotificationOutbox.objects.update(created_at=timezone.now() - timedelta(minutes=10))


def _pending() -> int:
    return NotificationOutbox.objects.filter(status="pending").count()


def test_a_backlog_of_7321_notices_drains_in_one_chain_each_sent_once(
    transactional_db, tmp_path, private_queue, sms_gateway, settings
):
    _backlog(BACKLOG)
    env = {
        "LINLI_NOTIFY_CHANNELS": "inbox,sms",
        "SMS_URL": f"{sms_gateway}/sms",
        "LINLI_NOTIFY_QUIET_HOURS": "",
        "LINLI_NOTIFY_FLUSH_BUDGET": str(BUDGET),
    }
    workers = []
    for n in (1, 2):  # two worker processes on the queue; each its own log
        (tmp_path / f"w{n}").mkdir()
        workers.append(start_worker(tmp_path / f"w{n}", private_queue, extra_env=env))
    try:
        started = time.monotonic()
        tasks.flush_outbox.delay()  # beat's tick
        wait_until(lambda: len(Gateway.received) > 0, timeout=30, interval=0.05)
        tasks.flush_outbox.delay()  # the next tick, while the chain runs: taken by the other worker
        tasks.flush_outbox.delay()
        wait_until(lambda: _pending() == 0, timeout=240, interval=0.2)
        drained = time.monotonic() - started
        time.sleep(1.5)  # a duplicate would arrive now
    finally:
        for worker in workers:
            worker.proc.terminate()
            try:
                worker.proc.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
    logs = "".join(worker.output() for worker in workers)
    sent = Counter(body["to"] for _path, _auth, body in Gateway.received)
    assert len(sent) == BACKLOG and set(sent.values()) == {1}
    assert NotificationOutbox.objects.filter(status="sent", attempts=1).count() == BACKLOG
    # A chain of runs handing over at once, not one run per tick.
    handovers = logs.count("outbox flush handed over")
    assert handovers >= 2, logs[-3000:]
    runs = [
        (int(n), float(s)) for n, s in re.findall(r"outbox flush sent (\d+) in ([\d.]+) s", logs)
    ]
    assert sum(n for n, _ in runs) == BACKLOG
    busy = sum(s for _, s in runs)
    rate = BACKLOG / drained
    print(f"\ndrained {BACKLOG} in {drained:.1f} s ({rate:.0f}/s), {len(runs)} runs, "
          f"{busy:.1f} s sending")  # fmt: skip
    # No fixed wait between runs: the drain took about the sending time (plus the queueing
    # of each hand-over), far from the ~8 minutes of 2,000 per 2-minute tick.
    assert drained < busy + 2 * len(runs) + 10, (drained, busy, runs)
    # The ticks that came while the chain ran found it running and returned at once.
    assert logs.count("] succeeded in") - len(runs) >= 2
