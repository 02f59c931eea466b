"""What an intake writes: the day's next number, the case with the columns as filed, and its
first timeline event, with one read of the place and three writes (and nothing on refusal)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.actions import intake
from services.models import Case, CaseCounter, CaseEvent


def test_the_case_and_its_first_event_are_stored_as_filed(desk):
    staff = desk.user("community_a")
    place = desk.t.a.buildings[0]
    case = desk.file(
        actor=staff,
        place=place,
        channel="hotline",
        lat=24.9,
        lng=118.6,
        address="  东街 5 号 ",
        reporter_name=" 王阿姨 ",
        reporter_phone="13800000000",
        urgency="urgent",
        description="  路灯不亮  ",
    )
    stored = Case.objects.get(pk=case.pk)
    assert stored.number == case.number and stored.created_at == case.created_at
    assert (stored.channel, stored.case_type, stored.category_id) == (
        "hotline",
        "help",
        desk.potholes.pk,
    )
    assert (stored.place_id, stored.place_path) == (place.pk, place.path)
    assert stored.grid_id == desk.t.a.grids[0].pk  # the deepest grid above the building
    assert (stored.lat, stored.lng, stored.address) == (24.9, 118.6, "东街 5 号")
    assert (stored.reporter_name, stored.reporter_phone) == ("王阿姨", "13800000000")
    assert stored.reporter_id is None  # a hotline call: staff key it in, the caller is named
    assert stored.received_by_id == staff.pk and stored.description == "路灯不亮"
    # A hotline call is somebody's complaint: never 未诉先办 (test_desk_intake pins the refusal).
    assert (stored.urgency, stored.raised_before_complaint) == ("urgent", False)
    assert stored.state == "submitted" and stored.version == case.version
    assert len(stored.tracking_token) == 22
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.from_state, event.to_state) == ("submit", "", "submitted")
    assert event.actor_id == staff.pk
    assert stored.next_check_at == event.at + timedelta(seconds=60)  # waits for dispatch
    assert timedelta(0) <= stored.created_at - event.at < timedelta(seconds=5)
    assert event.payload == {"channel": "hotline"}


def test_a_resident_is_the_reporter(desk):
    resident = desk.user("resident_a")
    case = Case.objects.get(pk=desk.file(actor=resident).pk)
    assert case.reporter_id == resident.pk and case.channel == "resident_web"


def test_numbers_follow_each_other_and_keep_at_least_five_digits_past_99999(desk):
    first = desk.file()
    second = desk.file()
    assert int(second.number) == int(first.number) + 1
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


def test_an_intake_is_one_read_and_three_writes(desk, django_assert_num_queries):
    """As the API files it (the place by id): the place is read, then the day's number, the
    case and its event are written. The SAVEPOINT pair is the test's own transaction (a
    request has BEGIN … COMMIT there instead)."""
    desk.file()  # the category and grid lookups' memos warm
    user = desk.user("resident_a")
    from grids.scope import scope_for

    scope_for(user)
    with django_assert_num_queries(6) as captured:
        case = desk.file(actor=user, place=desk.t.a.buildings[0].pk)
    sqls = [q["sql"] for q in captured.captured_queries]
    assert sqls[1].startswith("SELECT") and '"grids_area"' in sqls[1]
    assert sqls[2].startswith("INSERT INTO services_casecounter") and "ON CONFLICT" in sqls[2]
    assert sqls[3].startswith('INSERT INTO "services_case"')
    assert sqls[4].startswith('INSERT INTO "services_caseevent"')
    assert CaseEvent.objects.filter(case=case, action="submit").count() == 1
