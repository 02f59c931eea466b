"""portal.bulk.insert_rows: the sweep's event writer."""

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.bulk import insert_rows
from services.models import CaseCounter, CaseEvent

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
