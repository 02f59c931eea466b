"""Day-before reminders: once per person, with a real Celery worker on Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from centres import actions, tasks
from centres.models import AffairItem, AppointmentSlot, SignUp
from notifications.models import Notification
from tests.centres.conftest import at
from tests.conftest import wait_until


@pytest.mark.django_db
def test_reminders_go_to_tomorrows_places_bookings_and_appointments_once(world):
    tomorrow = world.activity(capacity=1, starts_at=at(1, 10))
    later = world.activity(capacity=1, starts_at=at(3, 10), title="后天以后")
    r1, r2, r3 = (world.resident_user(f"r{i}") for i in range(3))
    placed = actions.sign_up(tomorrow, actor=r1)
    actions.sign_up(tomorrow, actor=r2)  # waitlisted: no reminder
    actions.sign_up(later, actor=r3)
    booking = actions.book_space(
        world.space_a, actor=r3, starts_at=at(1, 14), ends_at=at(1, 15), purpose="排练"
    )
    item = AffairItem.objects.create(
        area=world.t.city, name="居住证明开具", department="街道办", materials="身份证"
    )
    slot = AppointmentSlot.objects.create(
        centre=world.a, starts_at=at(1, 18, 30), ends_at=at(1, 20), off_hours=True
    )
    actions.book_appointment(slot, actor=r2, item=item)

    assert tasks.send_reminders() == 3
    assert tasks.send_reminders() == 0
    notice = Notification.objects.get(recipient=r1, kind="reminder")
    assert tomorrow.title in notice.title and placed.code in notice.body
    mine = Notification.objects.filter(recipient=r3, kind="reminder")
    assert (
        mine.filter(link="/centres/me/#my-bookings", title__contains=booking.space.name).count()
        == 1
    )
    assert "身份证" in Notification.objects.get(recipient=r2, kind="reminder").body
    assert not mine.filter(link=f"/centres/activities/{later.pk}/").exists()
    assert SignUp.objects.get(pk=placed.pk).reminded_at is not None


@pytest.mark.worker
def test_reminders_with_a_real_worker(celery_worker_process, transactional_world):
    w = transactional_world
    activity = w.activity(capacity=5, starts_at=at(1, 9, 30))
    users = [w.resident_user(f"w{i}") for i in range(3)]
    for user in users:
        actions.sign_up(activity, actor=user)
    tasks.send_reminders.delay()
    tasks.send_reminders.delay()  # a duplicate message reminds nobody twice
    wait_until(
        lambda: SignUp.objects.filter(activity=activity, reminded_at__isnull=False).count() == 3,
        timeout=60,
    )
    wait_until(lambda: celery_worker_process.output().count("succeeded") >= 2, timeout=60)
    for user in users:
        assert Notification.objects.filter(recipient=user, kind="reminder").count() == 1
    assert timezone.now() - SignUp.objects.filter(
        activity=activity
    ).first().reminded_at < timedelta(minutes=5)
