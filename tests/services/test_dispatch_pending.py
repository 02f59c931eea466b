"""Batched dispatch: intake marks a case as waiting (next_check_at), one debounced message
dispatches every waiting case, and the sweep dispatches a case whose message was lost."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from grids.models import Area
from portal.celery import app
from services import tasks
from services.actions.core import limits_for
from services.actions.intake import DISPATCH_GRACE
from services.choices import State
from services.models import CaseEvent


def test_a_new_case_waits_for_dispatch_until_the_grace_time(desk):
    before = timezone.now()
    case = desk.file()
    assert case.state == State.SUBMITTED
    assert before + DISPATCH_GRACE <= case.next_check_at <= timezone.now() + DISPATCH_GRACE


def test_one_task_dispatches_every_waiting_case_once(desk):
    cases = [desk.file() for _ in range(3)]
    by_hand = desk.dispatched()  # not waiting any more: the task leaves it alone
    assert tasks.dispatch_pending(batch_size=2) == 3
    for case in cases:
        case.refresh_from_db()
        assert case.state == State.DISPATCHED and case.assignee == desk.user("grid_a")
        # Waiting is over: the next check is now the case's own sign-for clock.
        assert case.next_check_at == case.sign_warn_at
    assert tasks.dispatch_pending() == 0  # a second message finds nothing left
    assert CaseEvent.objects.filter(case__in=[*cases, by_hand], action="dispatch").count() == 4


def test_a_lost_message_is_made_good_by_the_sweep(desk):
    case = desk.file()
    # Nobody ran dispatch_pending (the broker lost the message): the sweep's turn comes.
    assert tasks.sweep_once(timezone.now()) == 0  # still inside the grace time
    assert tasks.sweep_once(case.next_check_at + timedelta(seconds=1)) == 1
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.level == "grid"
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


def test_a_case_no_unit_can_take_stops_waiting_and_stays_with_its_receiver(desk):
    # A building outside any city: no grid, community, street, department or city above it.
    stray = Area.objects.add_root({"name": "飞地楼", "kind": "building", "code": "STRAY"})
    case = desk.file(place=stray)
    assert tasks.dispatch_pending() == 0
    case.refresh_from_db()
    assert case.state == State.SUBMITTED and case.next_check_at is None
    assert tasks.sweep_once(timezone.now() + timedelta(days=1)) == 0  # never retried in a loop


def test_request_dispatch_sends_one_message_per_window(settings):
    queue = "test-debounce"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
            conn.default_channel.queue_purge(queue)
            tasks._window_ends = 0.0
            for _ in range(5):
                tasks.request_dispatch()
            waiting = conn.default_channel.queue_declare(queue=queue, passive=True).message_count
            # Celery keeps a countdown message with the worker, so the queue holds it now.
            assert waiting == 1
            tasks._window_ends = 0.0  # the window closed: the next case sends again
            tasks.request_dispatch()
            assert conn.default_channel.queue_declare(queue=queue, passive=True).message_count == 2
            conn.default_channel.queue_purge(queue)
    finally:
        app.conf.task_default_queue = previous


def test_a_batch_reads_routing_once(desk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        desk.file(place=desk.t.a.buildings[0])
    desk.file(place=desk.t.a.buildings[1])
    limits_for(desk.potholes.pk, "help")  # the time limits are kept per process; read them now
    with CaptureQueriesContext(connection) as ctx:
        assert tasks.dispatch_pending() == 6
    sql = [q["sql"] for q in ctx.captured_queries]
    # The rules, the category tree, the places' chains and the grid workers: once per batch.
    assert sum('FROM "services_routingrule"' in s for s in sql) == 1
    assert sum('"parent_id" AS "parent_id" FROM "services_category"' in s for s in sql) == 1
    assert sum('FROM "grids_gridteammember"' in s for s in sql) == 1
    assert sum('FROM "grids_area"' in s and '"path" IN' in s for s in sql) == 1
