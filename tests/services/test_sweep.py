"""The deadline sweep: the ladder (yellow → red + escalation → 催办 → 督办), callback
no-answer, idempotence, two sweeps at once, and a sweep killed mid-batch."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notifications.models import Notification
from portal.celery import app
from services import actions, calendar, tasks
from services.choices import Level, Stage, State
from services.models import Callback, Case, CaseEvent
from tests.conftest import ROOT, _database_url

S = timedelta(seconds=1)


def sweep(now) -> int:
    return tasks.sweep_once(now)


def test_sign_clock_yellow_then_red_escalates_once(desk):
    case = desk.dispatched()
    warn, due = case.sign_warn_at, case.sign_due
    assert sweep(warn - S) == 0  # nothing due yet
    assert sweep(warn + S) == 1
    case.refresh_from_db()
    assert case.sign_stage == Stage.YELLOW and case.card_level == 1 and case.level == Level.GRID
    assert sweep(warn + 2 * S) == 0  # its next check is the red point
    assert sweep(due + S) == 1
    case.refresh_from_db()
    assert case.level == Level.COMMUNITY and case.handling_area == desk.t.a.community
    assert case.escalation_level == 1 and case.card_level == 2 and case.state == State.DISPATCHED
    assert case.sign_due > due + S and case.sign_stage == Stage.NONE  # the community's own clock
    assert sweep(due + S) == 0
    assert list(
        case.events.filter(action__in=["yellow", "red", "escalate"]).values_list(
            "action", flat=True
        )
    ) == [
        "yellow",
        "red",
        "escalate",
    ]
    titles = set(Notification.objects.filter(case=case).values_list("kind", flat=True))
    assert {"yellow", "red", "assigned"} <= titles


def test_resolve_clock_ladder_remind_and_supervise(desk):
    case = desk.dispatched()
    grid = desk.user("grid_a")
    actions.sign_for(case, actor=grid)
    actions.record_contact(case, actor=grid)
    case.refresh_from_db()
    due = case.resolve_due
    remind_at = calendar.workday_start_after(due, 1)
    supervise_at = calendar.workday_start_after(due, 6)
    sweep(case.resolve_warn_at + S)
    sweep(due + S)
    case.refresh_from_db()
    assert case.resolve_stage == Stage.RED and case.level == Level.COMMUNITY
    sweep(remind_at - S)
    assert Case.objects.get(pk=case.pk).resolve_stage == Stage.RED
    sweep(remind_at + S)
    assert Case.objects.get(pk=case.pk).resolve_stage == Stage.REMINDED
    sweep(supervise_at + S)
    case.refresh_from_db()
    assert case.resolve_stage == Stage.SUPERVISED
    assert sweep(supervise_at + timedelta(days=30)) >= 0
    resolve_steps = list(
        case.events.filter(payload__clock="resolve").values_list("action", flat=True)
    )
    assert resolve_steps == ["yellow", "red", "remind", "supervise"]
    # The red card on the resolve clock escalated the case once.
    assert case.events.filter(action="escalate", payload__level="community").count() == 1
    # Supervision is also sent to the level above (the street).
    assert Notification.objects.filter(
        case=case, kind="supervise", recipient=desk.user("street")
    ).exists()


def test_a_late_sweep_takes_every_missed_step_once(desk):
    case = desk.dispatched()
    # The worker was down for a week: one sweep does yellow, red and escalation together.
    sweep(case.sign_due + timedelta(days=1))
    case.refresh_from_db()
    sign = case.events.filter(payload__clock="sign")
    counts = {a: sign.filter(action=a).count() for a in ("yellow", "red")}
    assert counts == {"yellow": 1, "red": 1}
    assert case.events.filter(action="escalate").count() == 1
    # The yellow card is on the timeline, but nobody is told the case is near a deadline it
    # has already missed: the red notice and the new unit's assignment go out.
    kinds = set(Notification.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == {"assigned", "red"}


def test_extension_resets_the_ladder(desk):
    case = desk.dispatched()
    grid = desk.user("grid_a")
    actions.sign_for(case, actor=grid)
    actions.record_contact(case, actor=grid)
    case.refresh_from_db()
    sweep(case.resolve_warn_at + S)
    assert Case.objects.get(pk=case.pk).card_level == 1
    actions.request_extension(case, actor=grid, working_days=5, reason="等配件")
    actions.decide_extension(case, actor=desk.user("community_a"), approve=True)
    case.refresh_from_db()
    assert case.card_level == 0 and case.resolve_stage == Stage.NONE
    assert case.next_check_at == case.resolve_warn_at


def test_no_answer_to_the_callback_is_recorded(desk):
    from services.models import KpiConfig

    KpiConfig.objects.create(callback_wait_days=2)
    case = desk.dispatched()
    grid = desk.user("grid_a")
    actions.sign_for(case, actor=grid)
    case = actions.resolve(case, actor=grid, result="已处理")
    wait = calendar.add_working_days(case.resolved_at, 2)
    assert case.next_check_at == wait
    sweep(wait - S)
    assert Case.objects.get(pk=case.pk).state == State.RESOLVED
    sweep(wait + S)
    case.refresh_from_db()
    assert case.state == State.CALLED_BACK and case.rating is None
    assert Callback.objects.get(case=case).method == "no_answer"
    assert case.next_check_at is None


def test_nothing_due_costs_one_query(desk, django_assert_num_queries):
    case = desk.dispatched()
    with django_assert_num_queries(3):  # savepoint, SELECT … FOR UPDATE, release
        assert sweep(case.created_at) == 0


# --- concurrency (real PostgreSQL connections) ------------------------------------------------


def _due_cases(desk, n: int) -> list[int]:
    ids = [desk.dispatched().pk for _ in range(n)]
    return ids


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_each_case_once(transactional_desk):
    desk = transactional_desk
    ids = _due_cases(desk, 24)
    now = max(Case.objects.filter(pk__in=ids).values_list("sign_due", flat=True)) + S
    barrier = threading.Barrier(2)
    taken: list[int] = []

    def run():
        try:
            barrier.wait()
            while True:
                n = tasks.sweep_once(now, batch_size=5)
                taken.append(n)
                if n == 0:
                    break
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(taken) == 24  # every case taken exactly once between the two
    for case in Case.objects.filter(pk__in=ids):
        assert case.escalation_level == 1 and case.level == Level.COMMUNITY
    assert CaseEvent.objects.filter(case_id__in=ids, action="escalate").count() == 24


@pytest.mark.django_db(transaction=True)
def test_a_sweep_skips_rows_another_sweep_holds(transactional_desk):
    desk = transactional_desk
    ids = _due_cases(desk, 6)
    now = max(Case.objects.filter(pk__in=ids).values_list("sign_due", flat=True)) + S
    held: list[int] = []
    other_done = threading.Event()

    def other_sweep():
        try:
            tasks.sweep_once(now, batch_size=100)
        finally:
            connection.close()
            other_done.set()

    with transaction.atomic():
        locked = actions.lock_due(now, 3)
        held = [c.pk for c in locked]
        thread = threading.Thread(target=other_sweep)
        thread.start()
        assert other_done.wait(30), "the second sweep must not wait for the first"
        batch = actions.TimerBatch()
        for case in locked:
            actions.advance_timers(case, now, batch)
        actions.write_timers(locked)
        batch.flush()
    thread.join()
    assert tasks.sweep_once(now) == 0
    for case in Case.objects.filter(pk__in=ids):
        assert case.escalation_level == 1, case.pk in held
    assert CaseEvent.objects.filter(case_id__in=ids, action="escalate").count() == 6


KILLED_SWEEP = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()
from datetime import datetime
from django.db import transaction
from services import actions
now = datetime.fromisoformat(sys.argv[1])
with transaction.atomic():
    cases = actions.lock_due(now, 100)
    batch = actions.TimerBatch()
    for case in cases[: len(cases) // 2]:
        actions.advance_timers(case, now, batch)
    actions.write_timers(cases)
    batch.flush()
    print("half done", len(cases), flush=True)
    sys.stdin.read()  # hold the transaction open until killed
"""


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_sweep_loses_nothing(transactional_desk):
    import os

    desk = transactional_desk
    ids = _due_cases(desk, 8)
    now = max(Case.objects.filter(pk__in=ids).values_list("sign_due", flat=True)) + S
    env = {**os.environ, "DATABASE_URL": _database_url()}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_SWEEP, now.isoformat()],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("half done 8"), proc.stderr.read()
        proc.kill()  # SIGKILL mid-batch: its transaction is rolled back
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert CaseEvent.objects.filter(case_id__in=ids, action="escalate").count() == 0
    # The next sweep (at a moment past every clock) finishes the job, once per case.
    tasks.sweep_once(now)
    for case in Case.objects.filter(pk__in=ids):
        assert case.escalation_level == 1, case.number
    assert CaseEvent.objects.filter(case_id__in=ids, action="escalate").count() == 8


def _waiting(channel, queue: str) -> int:
    try:
        return channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:  # the Redis transport has no queue until a message arrives
        return 0


def test_a_burst_of_due_cases_brings_helper_sweeps(desk):
    cases = [desk.dispatched() for _ in range(3)]
    ids = [c.pk for c in cases]
    past = timezone.now() - timedelta(hours=1)  # their sign-for clocks ran out an hour ago

    def make_due():
        Case.objects.filter(pk__in=ids).update(
            level="grid",
            sign_warn_at=past - timedelta(hours=1),
            sign_due=past,
            sign_stage=0,
            next_check_at=past,
        )

    queue = "test-sweep-helpers"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            channel.queue_purge(queue)
            make_due()
            # Fewer due than a batch: no help asked.
            assert tasks.sweep_deadlines(batch_size=10, helpers=2) == 3
            assert _waiting(channel, queue) == 0
            # A full first batch: two helpers are sent; they would share what is left.
            make_due()
            assert tasks.sweep_deadlines(batch_size=2, helpers=2) == 3
            assert _waiting(channel, queue) == 2
            channel.queue_purge(queue)
    finally:
        app.conf.task_default_queue = previous


@pytest.mark.django_db(transaction=True)
def test_a_burst_is_swept_in_two_threads_each_case_once(transactional_desk, monkeypatch):
    desk = transactional_desk
    ids = _due_cases(desk, 30)
    past = timezone.now() - timedelta(hours=1)
    Case.objects.filter(pk__in=ids).update(
        sign_warn_at=past - timedelta(hours=1), sign_due=past, next_check_at=past
    )
    callers: list[str] = []
    real = tasks.sweep_once

    def recording(*args, **kwargs):
        callers.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "sweep_once", recording)
    assert tasks.sweep_deadlines(batch_size=4, helpers=0, threads=2) == 30
    assert any(name.startswith("sweep") for name in callers)  # the second thread swept too
    escalated = Case.objects.filter(pk__in=ids, level=Level.COMMUNITY, escalation_level=1)
    assert escalated.count() == 30
    assert CaseEvent.objects.filter(case_id__in=ids, action="escalate").count() == 30
    assert CaseEvent.objects.filter(case_id__in=ids, action="red").count() == 30


def test_inside_a_transaction_the_sweep_stays_in_one_thread(desk, monkeypatch):
    # Another connection would not see this transaction's rows (nor its locks).
    ids = [desk.dispatched().pk for _ in range(5)]
    past = timezone.now() - timedelta(hours=1)
    Case.objects.filter(pk__in=ids).update(sign_due=past, next_check_at=past)
    callers: list[str] = []
    real = tasks.sweep_once
    monkeypatch.setattr(
        tasks,
        "sweep_once",
        lambda *a, **k: callers.append(threading.current_thread().name) or real(*a, **k),
    )
    assert tasks.sweep_deadlines(batch_size=2, helpers=0, threads=2) == 5
    assert set(callers) == {threading.main_thread().name}


def test_a_department_held_case_escalates_by_the_sweep_with_its_name(desk):
    case = desk.dispatched(category=desk.water)  # routed straight to a department
    assert case.handling_department == desk.t.other_department
    due = case.sign_due
    assert sweep(due + S) == 1
    case.refresh_from_db()
    assert case.level == Level.CITY and case.escalation_level == 1
    event = case.events.get(action="escalate")
    assert event.payload["from_unit"] == desk.t.other_department.name


def test_steps_worked_out_for_now_give_the_same_next_check(desk):
    # timer_steps(case, now) leaves out reminder and supervision while red is ahead; the next
    # check and the steps due must be what the full list gives.
    grid = desk.user("grid_a")
    case = desk.dispatched()
    actions.sign_for(case, actor=grid)
    case.refresh_from_db()
    due = case.resolve_due
    for now in (case.resolve_warn_at - S, due - S, due + S, due + timedelta(days=20)):
        for stage in (Stage.NONE, Stage.YELLOW, Stage.RED, Stage.REMINDED):
            case.resolve_stage = stage
            full = [s for s in actions.timer_steps(case) if s[0] <= now]
            lean = actions.timer_steps(case, now)
            assert [s for s in lean if s[0] <= now] == full
            assert lean[0] == actions.timer_steps(case)[0]
