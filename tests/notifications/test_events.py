"""Every app's events arrive in the one inbox, each linking to its object: the case engine's,
centres' (booking decisions, waitlist promotions, reminders) and the time bank's (an order
taken or assigned, points awarded, orders nobody took)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from centres import actions as centres
from centres import tasks as centre_tasks
from notifications.models import Notification
from services import actions as cases
from tests.centres.conftest import at
from tests.volunteers.conftest import make_volunteer, place, serve
from volunteers import actions as timebank
from volunteers.models import ServiceOrder


def _inbox(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("created_at", "id"))


def test_a_case_dispatched_reaches_the_grid_worker_and_its_resolution_the_resident(desk):
    case = desk.dispatched()
    worker, resident = desk.user("grid_a"), desk.user("resident_a")
    (assigned,) = _inbox(worker)
    assert assigned.kind == "assigned" and assigned.case_id == case.pk
    assert assigned.link == f"/desk/c/{case.number}/"
    cases.sign_for(case, actor=worker)
    cases.record_contact(case, actor=worker)
    cases.resolve(case, actor=worker, result="已修复路面")
    (resolved,) = [n for n in _inbox(resident) if n.kind == "resolved"]
    assert resolved.link == f"/cases/c/{case.number}/" and "已修复路面" in resolved.body


def test_a_booking_decision_reaches_the_resident(world):
    resident = world.user("resident_a")
    world.space_a.needs_approval = True
    world.space_a.save()
    booking = centres.book_space(
        world.space_a, actor=resident, starts_at=at(3, 9), ends_at=at(3, 10), purpose="合唱"
    )
    centres.decide_booking(booking, actor=world.user("operator_a"), approve=False)
    (note,) = _inbox(resident)
    assert note.kind == "booking" and "declined" in note.title
    assert note.link == "/centres/me/#my-bookings"


def test_a_waitlist_promotion_reaches_the_promoted_with_the_activity_page(world):
    activity = world.activity(capacity=1)
    first, second = world.resident_user("r1"), world.resident_user("r2")
    mine = centres.sign_up(activity, actor=first)
    waiting = centres.sign_up(activity, actor=second)
    centres.cancel_signup(mine, actor=first)
    (note,) = _inbox(second)
    waiting.refresh_from_db()
    assert note.kind == "promoted" and waiting.code in note.body
    assert note.link == f"/centres/activities/{activity.pk}/"
    assert not _inbox(first)


def _reminder_queries(world, prefix: str, n: int, days: int) -> int:
    activity = world.activity(capacity=30, starts_at=at(days, 9, 30))
    for i in range(n):
        centres.sign_up(activity, actor=world.resident_user(f"{prefix}{i}"))
    with CaptureQueriesContext(connection) as captured:
        assert centre_tasks.send_reminders(now=(at(days) - timedelta(days=1)).isoformat()) == n
    return len(captured)


def test_reminders_reach_everyone_once_and_cost_the_same_for_two_or_twelve(world):
    # Twelve reminders cost what two do: the recipients and the inbox in one go per batch.
    assert _reminder_queries(world, "p", 2, days=1) == _reminder_queries(world, "q", 12, days=2)
    assert centre_tasks.send_reminders() == 0
    activity = world.activity(capacity=30, starts_at=at(1, 9, 30))
    person = world.resident_user("m")
    centres.sign_up(activity, actor=person)
    assert centre_tasks.send_reminders() == 1
    (note,) = _inbox(person)
    assert note.kind == "reminder" and note.link == f"/centres/activities/{activity.pk}/"


def test_the_time_bank_tells_the_resident_the_volunteer_and_the_staff(territory):
    resident, staff = territory.user("resident_a"), territory.user("community_a")
    helper = make_volunteer(territory.user("grid_a"), territory.a.community)
    order = place(territory)
    served = serve(order, helper.user)
    (taken,) = _inbox(resident)
    assert taken.kind == "order_taken" and taken.link == f"/volunteers/orders/{order.pk}/"
    assert helper.real_name in taken.body
    timebank.confirm_order(served, resident, 5)  # paid at once (no approval asked)
    points = [n for n in _inbox(helper.user) if n.kind == "points"]
    assert len(points) == 1 and points[0].link == "/volunteers/points/"
    # Staff assign an order: the volunteer is told as well as the resident.
    assigned = place(territory)
    timebank.assign_order(assigned, helper, staff)
    kinds = {n.kind for n in _inbox(helper.user)}
    assert "order_assigned" in kinds
    assert len([n for n in _inbox(resident) if n.kind == "order_taken"]) == 2


def test_orders_nobody_took_are_flagged_to_the_communitys_staff_once(territory):
    stale = place(territory)
    other_side = place(
        territory, requester=territory.user("resident_b"), community=territory.b.community
    )
    ServiceOrder.objects.filter(pk__in=[stale.pk, other_side.pk]).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    fresh = place(territory)
    ServiceOrder.objects.filter(pk=fresh.pk).update(scheduled_at=timezone.now() + timedelta(days=3))
    assert timebank.flag_untaken() == 2
    assert timebank.flag_untaken() == 0  # each order once
    (note,) = _inbox(territory.user("community_a"))
    assert note.kind == "order_flagged" and note.link == f"/volunteers/orders/{stale.pk}/"
    (note_b,) = _inbox(territory.user("community_b"))
    assert note_b.link == f"/volunteers/orders/{other_side.pk}/"
    assert not _inbox(territory.user("grid_a"))
    assert ServiceOrder.objects.get(pk=fresh.pk).flagged_at is None
