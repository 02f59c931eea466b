"""Space bookings (the overlap rule at the database and in the action), check-in by code,
affairs appointments and co-building orders."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from centres import actions
from centres.models import (
    AffairItem,
    Appointment,
    AppointmentSlot,
    Blackout,
    Booking,
    Closure,
    ListItem,
    Order,
    SignUp,
)
from grids.models import CoBuildingUnit
from tests.centres.conftest import at


def _error(exc, field: str) -> str:
    return " ".join(exc.value.message_dict[field])


def book(w, start, end, user=None, space=None, **extra):
    return actions.book_space(
        space or w.space_a,
        actor=user or w.user("resident_a"),
        starts_at=start,
        ends_at=end,
        purpose=extra.pop("purpose", "合唱排练"),
        **extra,
    )


@pytest.mark.django_db
class TestBooking:
    def test_overlap_fails_naming_the_conflicting_slot(self, world):
        book(world, at(3, 9), at(3, 11))
        with pytest.raises(ValidationError) as exc:
            book(world, at(3, 10), at(3, 12), user=world.user("resident_b"))
        message = _error(exc, "starts_at")
        assert "多功能厅 is already booked" in message
        assert f"{at(3, 9):%Y-%m-%d} 09:00–11:00" in message
        # Back to back is fine ([) ranges), and another space is independent.
        book(world, at(3, 11), at(3, 12))
        book(world, at(3, 9), at(3, 11), space=world.space_b, user=world.user("resident_b"))

    def test_cancelled_bookings_free_the_slot(self, world):
        first = book(world, at(3, 9), at(3, 11))
        actions.cancel_booking(first, actor=world.user("resident_a"))
        assert book(world, at(3, 9), at(3, 11)).status == "confirmed"

    def test_the_exclusion_constraint_refuses_overlap_at_the_database(self, world):
        user = world.user("resident_a")
        Booking.objects.create(
            space=world.space_a, starts_at=at(4, 9), ends_at=at(4, 11), booked_by=user, purpose="a"
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Booking.objects.create(
                space=world.space_a,
                starts_at=at(4, 10),
                ends_at=at(4, 10, 30),
                booked_by=user,
                purpose="b",
            )
        # Declared in Booking.Meta (ExclusionConstraint), so model validation knows it too.
        clash = Booking(
            space=world.space_a, starts_at=at(4, 10), ends_at=at(4, 11), booked_by=user, purpose="c"
        )
        with pytest.raises(ValidationError, match="already booked then"):
            clash.validate_constraints()
        # Not for cancelled rows, and not across spaces.
        Booking.objects.create(
            space=world.space_a,
            starts_at=at(4, 10),
            ends_at=at(4, 12),
            booked_by=user,
            purpose="c",
            status="cancelled",
        )
        Booking.objects.create(
            space=world.space_b, starts_at=at(4, 9), ends_at=at(4, 11), booked_by=user, purpose="d"
        )

    @pytest.mark.parametrize(
        "start, end, field, text",
        [
            (at(3, 7), at(3, 9), "starts_at", "between 08:00 and 21:00"),
            (at(3, 20), at(3, 22), "starts_at", "between 08:00 and 21:00"),
            (at(3, 11), at(3, 10), "ends_at", "after the start"),
            (at(-1, 10), at(-1, 11), "starts_at", "passed"),
        ],
        ids=["early", "late", "backwards", "past"],
    )
    def test_bad_times(self, world, start, end, field, text):
        with pytest.raises(ValidationError) as exc:
            book(world, start, end)
        assert text in _error(exc, field)

    def test_blackouts_closures_capacity_and_purpose(self, world):
        Blackout.objects.create(
            centre=world.a, starts_at=at(5, 8), ends_at=at(5, 21), reason="主题党日"
        )
        with pytest.raises(ValidationError) as exc:
            book(world, at(5, 9), at(5, 10))
        assert "主题党日" in _error(exc, "starts_at")
        Closure.objects.create(centre=world.a, date=at(6).date(), reason="国庆节")
        with pytest.raises(ValidationError) as exc:
            book(world, at(6, 9), at(6, 10))
        assert "国庆节" in _error(exc, "starts_at")
        with pytest.raises(ValidationError) as exc:
            book(world, at(3, 9), at(3, 10), attendees=51)
        assert "up to 50" in _error(exc, "attendees")
        with pytest.raises(ValidationError) as exc:
            book(world, at(3, 9), at(3, 10), purpose="  ")
        assert "purpose" in exc.value.message_dict

    def test_approval_and_recurring_series_all_or_nothing(self, world):
        world.space_a.needs_approval = True
        world.space_a.save()
        unit = CoBuildingUnit.objects.get(name="共建单位a")
        series = actions.book_recurring(
            world.space_a,
            actor=world.user("unit_a"),
            unit=unit,
            starts_at=at(2, 19),
            ends_at=at(2, 20),
            weeks=4,
            purpose="合唱团",
        )
        assert [b.status for b in series] == ["pending"] * 4
        assert len({b.series for b in series}) == 1
        decided = actions.decide_booking(series[0], actor=world.user("operator_a"), approve=True)
        assert decided.status == "confirmed"
        with pytest.raises(ValidationError):
            actions.decide_booking(series[1], actor=world.user("operator_b"), approve=True)
        # A series that hits a booked week books nothing at all.
        with pytest.raises(ValidationError):
            actions.book_recurring(
                world.space_a,
                actor=world.user("resident_a"),
                starts_at=at(2, 19) - timedelta(weeks=1)
                if False
                else at(2, 19, 30) - timedelta(weeks=1),
                ends_at=at(2, 20, 30) - timedelta(weeks=1),
                weeks=3,
                purpose="冲突",
            )
        assert Booking.objects.filter(purpose="冲突").count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_people_booking_one_slot_at_once_one_wins(transactional_world):
    w = transactional_world
    users = [w.user("resident_a"), w.user("resident_b"), w.user("unit_a"), w.user("unit_b")]
    barrier = threading.Barrier(len(users))
    outcomes = []

    def run(user):
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            book(w, at(3, 14), at(3, 16), user=user)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("ok") == 1
    assert Booking.objects.filter(space=w.space_a).count() == 1


@pytest.mark.django_db
class TestCheckIn:
    def _started(self, activity):
        type(activity).objects.filter(pk=activity.pk).update(
            starts_at=timezone.now() - timedelta(minutes=10),
            ends_at=timezone.now() + timedelta(hours=1),
        )

    def test_a_code_checks_in_once(self, world):
        activity = world.activity(capacity=1)
        signup = actions.sign_up(activity, actor=world.resident_user("r1"))
        self._started(activity)
        done = actions.check_in(signup.code.lower(), actor=world.user("operator_a"))
        assert done.checked_in_at and done.checked_in_by == world.user("operator_a")
        with pytest.raises(ValidationError) as exc:
            actions.check_in(signup.code, actor=world.user("community_a"))
        assert "Already checked in" in _error(exc, "code")

    def test_codes_of_another_centre_are_unknown(self, world):
        activity = world.activity(capacity=1)
        signup = actions.sign_up(activity, actor=world.resident_user("r1"))
        self._started(activity)
        for outsider in ("operator_b", "community_b", "resident_a"):
            with pytest.raises(ValidationError) as exc:
                actions.check_in(signup.code, actor=world.user(outsider))
            assert "No sign-up or booking" in _error(exc, "code")
        assert SignUp.objects.get(pk=signup.pk).checked_in_at is None

    def test_waitlisted_and_wrong_day_are_refused(self, world):
        activity = world.activity(capacity=1)
        actions.sign_up(activity, actor=world.resident_user("r1"))
        waiting = actions.sign_up(activity, actor=world.resident_user("r2"))
        with pytest.raises(ValidationError) as exc:
            actions.check_in(waiting.code, actor=world.user("operator_a"))
        assert "not confirmed" in _error(exc, "code")
        confirmed = SignUp.objects.get(activity=activity, status="confirmed")
        with pytest.raises(ValidationError) as exc:
            actions.check_in(confirmed.code, actor=world.user("operator_a"))
        assert "Check-in for this activity is on" in _error(exc, "code")
        with pytest.raises(ValidationError):
            actions.check_in("", actor=world.user("operator_a"))

    def test_a_booking_code_marks_the_space_used(self, world):
        world.space_a.opens, world.space_a.closes = "00:00", "23:59"
        world.space_a.save()
        start = timezone.now() + timedelta(minutes=1)
        booking = book(world, start, min(start + timedelta(minutes=30), at(0, 23, 59)))
        used = actions.check_in(booking.code, actor=world.user("operator_a"))
        assert used.status == "used"
        with pytest.raises(ValidationError):
            actions.check_in(booking.code, actor=world.user("operator_a"))


@pytest.mark.django_db
class TestAppointments:
    def _item(self, world, **extra):
        return AffairItem.objects.create(
            area=world.t.city, name="高龄津贴申领", department="区民政局", proxy=True, **extra
        )

    def test_a_slot_takes_its_capacity_then_says_full(self, world):
        item = self._item(world)
        slot = AppointmentSlot.objects.create(
            centre=world.a, starts_at=at(1, 18, 30), ends_at=at(1, 20), capacity=1, off_hours=True
        )
        first = actions.book_appointment(slot, actor=world.user("resident_a"), item=item)
        assert first.status == "booked"
        with pytest.raises(ValidationError) as exc:
            actions.book_appointment(slot, actor=world.user("resident_b"), item=item)
        assert "is full" in _error(exc, "slot")
        actions.cancel_appointment(first, actor=world.user("resident_a"))
        actions.book_appointment(slot, actor=world.user("resident_b"), item=item)
        slot.refresh_from_db()
        assert slot.booked_count == 1

    def test_channels_eligibility_and_proxy_consent(self, world):
        item = self._item(world, min_age=80)
        slot = AppointmentSlot.objects.create(
            centre=world.a, starts_at=at(1, 9), ends_at=at(1, 10), capacity=3
        )
        with pytest.raises(ValidationError) as exc:
            actions.book_appointment(slot, actor=world.user("resident_a"), item=item)
        assert "date of birth" in _error(exc, "item")
        old = world.resident_user("old", birth_date=at(0).date().replace(year=1938))
        with pytest.raises(ValidationError) as exc:
            actions.book_appointment(slot, actor=old, item=item, channel="home_visit")
        assert "channel" in exc.value.message_dict
        appointment = actions.book_appointment(slot, actor=old, item=item, channel="proxy")
        staff = world.user("operator_a")
        with pytest.raises(ValidationError) as exc:
            actions.record_appointment(
                appointment, actor=staff, status="done", outcome="已代办", acting_for="old"
            )
        assert "consent" in exc.value.message_dict
        done = actions.record_appointment(
            appointment,
            actor=staff,
            status="done",
            outcome="已代办，材料已提交区民政局",
            acting_for="old",
            consent="本人签署委托书",
        )
        assert done.handled_by == staff and done.consent
        with pytest.raises(ValidationError):
            actions.record_appointment(appointment, actor=staff, status="done", outcome="x")
        # The database keeps the consent rule too.
        with pytest.raises(IntegrityError), transaction.atomic():
            Appointment.objects.filter(pk=appointment.pk).update(consent="")


@pytest.mark.django_db
def test_order_flow_respects_the_units_quota(world):
    unit = CoBuildingUnit.objects.get(name="共建单位a")
    item = ListItem.objects.create(
        kind="service", centre=world.a, unit=unit, title="上门检修电路", quota=1
    )
    first = actions.request_order(item, actor=world.user("resident_a"), note="厨房插座冒火花")
    second = actions.request_order(item, actor=world.user("resident_a"), note="楼道灯")
    for order in (first, second):
        actions.place_order(order, actor=world.user("community_a"))
    with pytest.raises(ValidationError):
        actions.accept_order(first, actor=world.user("unit_b"))
    actions.accept_order(first, actor=world.user("unit_a"))
    with pytest.raises(ValidationError) as exc:
        actions.accept_order(second, actor=world.user("unit_a"))
    assert "quota of 1" in _error(exc, "item")
    done = actions.complete_order(
        first, actor=world.user("community_a"), promise_kept=True, satisfaction=5
    )
    assert done.status == "completed"
    with pytest.raises(ValidationError):
        actions.place_order(Order.objects.get(pk=second.pk), actor=world.user("community_b"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ListItem.objects.filter(pk=item.pk).update(claimed=2)
