"""portal.bulk: insert_rows (the sweep's event writer) and update_rows (its case write-back)."""

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.bulk import insert_rows, update_rows
from services.actions import TIMER_FIELDS
from services.models import Case, CaseCounter, CaseEvent

pytestmark = pytest.mark.django_db


def test_rows_land_with_their_values_json_and_percent_signs(desk):
    case = desk.dispatched()
    before = CaseEvent.objects.filter(case=case).count()
    at = timezone.now() - timedelta(minutes=5)
    events = [
        CaseEvent(
            case=case,
            actor_id=None,
            at=at,
            action="remind",
            from_state="dispatched",
            to_state="dispatched",
            note="100% 超时 '引号' %(x)s",
            payload={"clock": "sign", "due": at.isoformat(), "n": i},
        )
        for i in range(3)
    ]
    insert_rows(
        CaseEvent,
        events,
        ("case", "actor", "at", "action", "from_state", "to_state", "note", "payload"),
    )
    rows = list(CaseEvent.objects.filter(case=case, action="remind").order_by("pk"))
    assert CaseEvent.objects.filter(case=case).count() == before + 3
    assert [r.payload["n"] for r in rows] == [0, 1, 2]
    assert rows[0].note == "100% 超时 '引号' %(x)s" and rows[0].at == at
    assert rows[0].actor_id is None and rows[0].to_state == "dispatched"


def test_a_field_it_cannot_write_plainly_is_refused(desk):
    # A date needs preparation (a datetime would be written as it is): refused, not guessed.
    row = CaseCounter(day=datetime.date(2026, 10, 1), last=1)
    with pytest.raises(TypeError, match="DateField"):
        insert_rows(CaseCounter, [row], ("day", "last"))


def test_nothing_to_write_is_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        insert_rows(CaseEvent, [], ("case",))


def test_update_rows_writes_each_rows_own_values(desk):
    # The sweep's write-back: every field it saves, foreign keys and nulls included, lands on
    # its own row and on no other.
    a, b, untouched = desk.dispatched(), desk.dispatched(), desk.dispatched()
    later = timezone.now() + timedelta(days=3)
    a.level, a.handling_area, a.assignee = "community", desk.t.a.community, None
    a.sign_stage, a.card_level, a.version, a.next_check_at = 2, 2, a.version + 1, later
    b.state, b.closed_at, b.next_check_at, b.card_level = "called_back", later, None, 1
    before = Case.objects.values().get(pk=untouched.pk)
    update_rows(Case, [a, b], TIMER_FIELDS)
    a2, b2 = Case.objects.get(pk=a.pk), Case.objects.get(pk=b.pk)
    assert (a2.level, a2.handling_area_id, a2.assignee_id) == (
        "community",
        a.handling_area.pk,
        None,
    )
    assert (a2.sign_stage, a2.card_level, a2.version, a2.next_check_at) == (2, 2, a.version, later)
    assert (b2.state, b2.closed_at, b2.next_check_at, b2.card_level) == (
        "called_back",
        later,
        None,
        1,
    )
    assert b2.level == b.level and b2.handling_area_id == b.handling_area_id
    assert Case.objects.values().get(pk=untouched.pk) == before


def test_nothing_to_update_is_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        update_rows(Case, [], TIMER_FIELDS)
