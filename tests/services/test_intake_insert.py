"""Intake on PostgreSQL writes the number, the case and its first event in one statement;
it must write exactly what the ORM's save would, and answer with the receipt's fields."""

from __future__ import annotations

import json

import pytest
from django.forms.models import model_to_dict

from services.actions import intake
from services.api.serializers import CaseReceiptSerializer, receipt
from services.models import Case, CaseCounter, CaseEvent

# Differ between any two cases by design.
_OWN = {"id", "number", "tracking_token", "created_at", "updated_at", "next_check_at"}


def _row(case: Case) -> dict:
    fresh = Case.objects.get(pk=case.pk)
    values = {f.attname: getattr(fresh, f.attname) for f in Case._meta.concrete_fields}
    return {k: v for k, v in values.items() if k not in _OWN}


def _event_row(case: Case) -> dict:
    event = CaseEvent.objects.get(case=case)
    return {k: v for k, v in model_to_dict(event).items() if k not in {"id", "case", "at"}}


@pytest.mark.parametrize("kind", ["resident", "staff_with_coordinates"])
def test_one_statement_writes_what_save_writes(desk, monkeypatch, kind):
    if kind == "resident":
        extra = {}
        actor = desk.user("resident_a")
    else:
        extra = {
            "channel": "hotline",
            "lat": 24.9,
            "lng": 118.6,
            "address": "  东街 5 号 ",
            "reporter_name": "王阿姨",
            "reporter_phone": "13800000000",
            "urgency": "urgent",
            "raised_before_complaint": True,
        }
        actor = desk.user("community_a")
    fast = desk.file(actor=actor, **extra)
    monkeypatch.setattr(intake, "ONE_STATEMENT", False)
    slow = desk.file(actor=actor, **extra)
    assert _row(fast) == _row(slow)
    assert _event_row(fast) == _event_row(slow)
    stored = Case.objects.get(pk=fast.pk)
    assert stored.number == fast.number and stored.created_at == fast.created_at
    assert int(slow.number) == int(fast.number) + 1  # one counter for both paths


def test_numbers_keep_at_least_five_digits_past_99999(desk):
    first = desk.file()
    CaseCounter.objects.filter(day=first.created_at.astimezone(intake.calendar.TZ).date()).update(
        last=99998
    )
    a, b = desk.file(), desk.file()
    assert a.number == first.number[:8] + "99999"
    assert b.number == first.number[:8] + "100000"


def test_a_refused_intake_writes_nothing(desk):
    before = (Case.objects.count(), CaseEvent.objects.count(), CaseCounter.objects.count())
    with pytest.raises(intake.ValidationError):
        desk.file(description="   ")
    assert (Case.objects.count(), CaseEvent.objects.count(), CaseCounter.objects.count()) == before


def test_the_receipt_is_what_its_serializer_gives(desk):
    case = desk.file()
    assert json.dumps(receipt(case)) == json.dumps(CaseReceiptSerializer(case).data)


def test_an_intake_is_one_read_and_one_write(desk, django_assert_num_queries):
    """As the API files it (the place by id): the place is read, then one statement writes
    the number, the case and its event. The SAVEPOINT pair is the test's own transaction
    (a request has BEGIN … COMMIT there instead)."""
    desk.file()  # the category and grid lookups' caches warm
    user = desk.user("resident_a")
    from grids.scope import scope_for

    scope_for(user)
    with django_assert_num_queries(4) as captured:
        case = desk.file(actor=user, place=desk.t.a.buildings[0].pk)
    sqls = [q["sql"] for q in captured.captured_queries]
    assert sqls[1].startswith("SELECT") and '"grids_area"' in sqls[1]
    assert sqls[2].startswith("WITH n AS (INSERT INTO")
    assert CaseEvent.objects.filter(case=case, action="submit").count() == 1
