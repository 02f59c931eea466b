"""A change of the holiday table moves the deadlines of open cases whose running clocks cross
the changed days, with a timeline event, batch by batch, never twice, and never a deadline
that has already passed (nor into the past).

The issue's example: a complaint (15 working days) dispatched on 28 December 2026 was due on
18 January 2027 while 2027 had no data (元旦 counted as a working day); once 2027 is imported
it is due on 19 January, and the case says so."""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime, timedelta

import pytest

from services import actions, calendar, holiday_files, tasks
from services.calendar import TZ
from services.choices import Action
from services.demo import HOLIDAY_FILES
from services.models import CaseEvent, Holiday, HolidayChange

pytestmark = pytest.mark.django_db


def end(y, m, d):
    return datetime(y, m, d, 23, 59, 59, tzinfo=TZ)


@contextlib.contextmanager
def clock_at(moment: datetime):
    """Every case operation sees `moment` as now (they read services.actions.core._now)."""
    modules = [m for name, m in sys.modules.items() if name.startswith("services.actions.")]
    saved = [(m, m._now) for m in modules if hasattr(m, "_now")]
    for module, _real in saved:
        module._now = lambda: moment
    try:
        yield
    finally:
        for module, real in saved:
            module._now = real


def dispatched_at(desk, moment: datetime, **kwargs):
    with clock_at(moment):
        return actions.dispatch(desk.file(**kwargs), actor=None)


def import_2027(provisional=True):
    arrangement = holiday_files.read(
        "2027-statutory.ics", (HOLIDAY_FILES / "2027-statutory.ics").read_bytes()
    )
    change = actions.import_holidays(arrangement, actor=None, provisional=provisional)
    calendar.clear_cache()
    return change


@pytest.fixture(autouse=True)
def _fresh_calendar():
    calendar.clear_cache()
    yield
    calendar.clear_cache()


def test_the_issues_complaint_moves_to_19_january_with_a_timeline_event(desk):
    case = dispatched_at(desk, datetime(2026, 12, 28, 10, tzinfo=TZ), case_type="complaint")
    assert case.resolve_due == end(2027, 1, 18)  # 2027 unknown: 1 January counted as work
    sign, contact, warn, version = (
        case.sign_due,
        case.contact_due,
        case.resolve_warn_at,
        case.version,
    )
    change = import_2027()
    assert change.days["2027-01-01"] == [True, False]
    taken, moved, _last = actions.recompute_batch(
        change.pk, now=datetime(2026, 12, 28, 12, tzinfo=TZ)
    )
    assert (taken, moved) == (1, 1)
    case.refresh_from_db()
    assert case.resolve_due == end(2027, 1, 19)
    assert (case.sign_due, case.contact_due) == (sign, contact)  # they end before 1 January
    assert case.resolve_warn_at > warn and case.version == version + 1
    event = CaseEvent.objects.get(case=case, action=Action.DEADLINES_MOVED)
    assert event.note == ("The holiday calendar changed: resolve deadline 2027-01-18 → 2027-01-19.")
    assert event.payload["change"] == change.pk and event.from_state == event.to_state
    assert HolidayChange.objects.get().cases_moved == 1


def test_sign_and_contact_clocks_across_new_year_move_too(desk):
    case = dispatched_at(desk, datetime(2026, 12, 31, 10, tzinfo=TZ))  # a Thursday
    assert (case.sign_due, case.contact_due) == (end(2027, 1, 1), end(2027, 1, 4))
    change = import_2027()
    actions.recompute_batch(change.pk, now=datetime(2026, 12, 31, 11, tzinfo=TZ))
    case.refresh_from_db()
    assert (case.sign_due, case.contact_due) == (end(2027, 1, 4), end(2027, 1, 5))
    assert case.next_check_at == case.sign_warn_at  # the sweep looks at the new yellow point
    assert calendar.local(case.sign_warn_at).date().isoformat() == "2027-01-04"


def test_a_deadline_already_passed_is_never_moved(desk):
    case = dispatched_at(desk, datetime(2026, 12, 28, 10, tzinfo=TZ), case_type="complaint")
    change = import_2027()
    after_it = end(2027, 1, 18) + timedelta(seconds=1)
    assert actions.recompute_batch(change.pk, now=after_it)[1] == 0
    case.refresh_from_db()
    assert case.resolve_due == end(2027, 1, 18)
    assert not CaseEvent.objects.filter(action=Action.DEADLINES_MOVED).exists()


def test_a_deadline_is_never_moved_into_the_past(desk):
    import_2027()
    case = dispatched_at(desk, datetime(2026, 12, 28, 10, tzinfo=TZ), case_type="complaint")
    assert case.resolve_due == end(2027, 1, 19)
    # 1 January deleted again: the deadline would be 18 January, which has passed by now.
    change = actions.delete_holidays(Holiday.objects.filter(date="2027-01-01"), actor=None)
    assert change == 1
    change = HolidayChange.objects.order_by("-pk").first()
    calendar.clear_cache()
    now = datetime(2027, 1, 19, 0, 30, tzinfo=TZ)
    assert actions.recompute_batch(change.pk, now=now)[1] == 0
    case.refresh_from_db()
    assert case.resolve_due == end(2027, 1, 19)


def test_clocks_started_under_the_new_table_and_round_the_clock_ones_stay(desk):
    before = dispatched_at(desk, datetime(2026, 12, 28, 10, tzinfo=TZ), case_type="complaint")
    emergency = dispatched_at(
        desk,
        datetime(2026, 12, 31, 20, tzinfo=TZ),
        case_type="emergency",
        actor=desk.user("community_a"),
        channel="hotline",
        reporter_phone="13912345678",
    )
    change = import_2027()
    after = dispatched_at(desk, datetime(2026, 12, 28, 11, tzinfo=TZ), case_type="complaint")
    assert after.resolve_due == end(2027, 1, 19)
    dues = {c.pk: (c.sign_due, c.contact_due, c.resolve_due) for c in (after, emergency)}
    assert actions.recompute_batch(change.pk, now=datetime(2026, 12, 28, 12, tzinfo=TZ))[1] == 1
    for case in (after, emergency):
        case.refresh_from_db()
        assert (case.sign_due, case.contact_due, case.resolve_due) == dues[case.pk]
    before.refresh_from_db()
    assert before.resolve_due == end(2027, 1, 19)


def test_an_approved_extension_keeps_its_days(desk):
    start = datetime(2026, 12, 28, 10, tzinfo=TZ)
    case = dispatched_at(desk, start, case_type="complaint")
    grid, dispatcher = desk.user("grid_a"), desk.user("superuser")
    with clock_at(start + timedelta(hours=1)):
        actions.sign_for(case, actor=grid)
        actions.request_extension(case, actor=grid, working_days=3, reason="等待配件")
        actions.decide_extension(case, actor=dispatcher, approve=True)
    case.refresh_from_db()
    assert case.resolve_due == end(2027, 1, 21)  # 18 January + 3 working days
    change = import_2027()
    actions.recompute_batch(change.pk, now=start + timedelta(hours=2))
    case.refresh_from_db()
    assert case.resolve_due == end(2027, 1, 22)  # 15 + 3 working days with 1 January off


def test_a_callback_wait_across_new_year_is_rescheduled(desk):
    start = datetime(2026, 12, 29, 10, tzinfo=TZ)
    case = dispatched_at(desk, start)
    with clock_at(start + timedelta(days=1)):
        actions.sign_for(case, actor=desk.user("grid_a"))
        case = actions.resolve(case, actor=desk.user("grid_a"), result="已修复")
    assert case.next_check_at == end(2027, 1, 4)  # 3 working days: 31 Dec, 1 and 4 Jan
    change = import_2027()
    assert actions.recompute_batch(change.pk, now=start + timedelta(days=1, hours=1))[1] == 0
    case.refresh_from_db()
    assert case.next_check_at == end(2027, 1, 5)  # no deadline moved: no event, new check


def test_batches_are_idempotent_and_the_task_goes_through_them(desk, monkeypatch):
    start = datetime(2026, 12, 28, 10, tzinfo=TZ)
    cases = [dispatched_at(desk, start, case_type="complaint") for _ in range(5)]
    change = import_2027()
    sent = []
    monkeypatch.setattr(tasks.recompute_deadlines, "apply_async", lambda *a, **k: sent.append(a))
    monkeypatch.setattr(actions.calendar, "RECOMPUTE_BATCH", 2)
    monkeypatch.setattr(actions.calendar, "_now", lambda: start + timedelta(hours=1))
    assert tasks.recompute_deadlines(change.pk) == 5
    assert sent == [((change.pk, 0, True),)]  # the second pass, once every process reloaded
    assert tasks.recompute_deadlines(change.pk, 0, True) == 0  # it moves nothing twice
    for case in cases:
        case.refresh_from_db()
        assert case.resolve_due == end(2027, 1, 19)
    assert CaseEvent.objects.filter(action=Action.DEADLINES_MOVED).count() == 5
    change.refresh_from_db()
    assert change.cases_moved == 5 and change.finished_at is not None


def test_a_batch_costs_the_same_queries_for_many_cases(desk, django_assert_max_num_queries):
    start = datetime(2026, 12, 28, 10, tzinfo=TZ)
    for _ in range(12):
        dispatched_at(desk, start, case_type="complaint")
    change = import_2027()
    actions.clear_limits_cache()
    # Savepoint and release, the change, its flips, the locked cases, their clocks' starts and
    # extensions, the limits (3), the table and years, one UPDATE, one INSERT of events, the
    # counter: the same for 12 cases as for 500.
    with django_assert_max_num_queries(15):
        assert actions.recompute_batch(change.pk, now=start + timedelta(hours=1))[1] == 12


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_moves_the_deadlines_after_the_import_commits(transactional_desk, tmp_path):
    import uuid

    from portal.celery import app
    from tests.conftest import start_worker, wait_until

    with clock_at(datetime(2026, 12, 28, 10, tzinfo=TZ)):
        case = actions.dispatch(transactional_desk.file(case_type="complaint"), actor=None)
    assert case.resolve_due == end(2027, 1, 18)
    # The worker starts after the dispatch: it must not dispatch the case itself first.
    queue = f"test-{uuid.uuid4().hex[:8]}"
    previous, app.conf.task_default_queue = app.conf.task_default_queue, queue
    worker = start_worker(tmp_path, queue)
    try:
        import_2027()  # commits: the task is sent on commit, and the worker takes it
        wait_until(
            lambda: CaseEvent.objects.filter(case=case, action=Action.DEADLINES_MOVED).exists(),
            timeout=30,
        )
    finally:
        worker.proc.terminate()
        worker.proc.wait(15)
        app.conf.task_default_queue = previous
    case.refresh_from_db()
    assert case.resolve_due == end(2027, 1, 19)


def test_a_change_whose_message_was_lost_is_sent_again(desk, monkeypatch):
    change = import_2027()
    sent = []
    monkeypatch.setattr(tasks.recompute_deadlines, "delay", lambda pk: sent.append(pk))
    assert tasks.recompute_unfinished_changes() == 0  # young: its own message may be on the way
    HolidayChange.objects.filter(pk=change.pk).update(
        created_at=change.created_at - timedelta(hours=1)
    )
    assert tasks.recompute_unfinished_changes() == 1 and sent == [change.pk]
    actions.finish_change(change.pk)
    assert tasks.recompute_unfinished_changes() == 0  # finished: not sent again
    assert sent == [change.pk]
