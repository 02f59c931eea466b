"""Celery tasks of the centres: the day-before reminders.

The database is the source of truth: each reminder row is claimed under a row lock
(SKIP LOCKED, so two workers share the batch instead of doubling it) and its
`reminded_at` is set in the same transaction as the notice, so a task run twice, or two beats
at once, remind each person once."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.actions.common import _notice, _span
from centres.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    SignUp,
    SignUpStatus,
)
from notifications import notify

logger = logging.getLogger("centres.tasks")
BATCH = 500


def tomorrow_range(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Tomorrow, local time (Asia/Shanghai), as an aware [start, end) range."""
    day = timezone.localtime(now or timezone.now()).date() + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def _lock(qs):
    """Claim rows for this run: rows another worker holds are skipped, not waited for."""
    return qs.select_for_update(skip_locked=True, of=("self",))


@shared_task(acks_late=True)
def send_reminders(now: str | None = None) -> int:
    """Remind everyone with a place, a booking or an appointment tomorrow. Returns how many
    reminders were written this run (0 when all were already sent)."""
    moment = datetime.fromisoformat(now) if now else timezone.now()
    start, end = tomorrow_range(moment)
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                _lock(
                    SignUp.objects.filter(
                        status=SignUpStatus.CONFIRMED,
                        reminded_at__isnull=True,
                        user__isnull=False,
                        activity__starts_at__gte=start,
                        activity__starts_at__lt=end,
                        activity__is_cancelled=False,
                    ).select_related("activity__centre")
                )[:BATCH]
            )
            # One notify call per batch: one query for the recipients, one insert.
            notify.send(
                _notice(
                    signup.user_id,
                    "reminder",
                    _("Tomorrow: %(title)s") % {"title": signup.activity.title},
                    _("%(when)s at %(centre)s. Show your code %(code)s at the door.")
                    % {
                        "when": _span(signup.activity.starts_at, signup.activity.ends_at),
                        "centre": signup.activity.centre.name,
                        "code": signup.code,
                    },
                    signup=signup,
                )
                for signup in batch
            )
            SignUp.objects.filter(pk__in=[s.pk for s in batch]).update(reminded_at=moment)
        sent += len(batch)
        if len(batch) < BATCH:
            break
    with transaction.atomic():
        bookings = list(
            _lock(
                Booking.objects.filter(
                    status=BookingStatus.CONFIRMED,
                    reminded_at__isnull=True,
                    starts_at__gte=start,
                    starts_at__lt=end,
                ).select_related("space__centre")
            )
        )
        notices = [
            _notice(
                booking.booked_by_id,
                "reminder",
                _("Tomorrow: %(space)s is booked for you") % {"space": booking.space.name},
                f"{_span(booking.starts_at, booking.ends_at)} · {booking.space.centre.name}",
                booking=booking,
            )
            for booking in bookings
        ]
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(reminded_at=moment)
        appointments = list(
            _lock(
                Appointment.objects.filter(
                    status=AppointmentStatus.BOOKED,
                    reminded_at__isnull=True,
                    slot__starts_at__gte=start,
                    slot__starts_at__lt=end,
                ).select_related("slot__centre", "item")
            )
        )
        notices += [
            _notice(
                appointment.user_id,
                "reminder",
                _("Tomorrow: your appointment for %(item)s") % {"item": appointment.item.name},
                _("%(when)s at %(centre)s. Bring: %(materials)s")
                % {
                    "when": _span(appointment.slot.starts_at, appointment.slot.ends_at),
                    "centre": appointment.slot.centre.name,
                    "materials": appointment.item.materials or "-",
                },
                appointment=appointment,
            )
            for appointment in appointments
        ]
        notify.send(notices)
        Appointment.objects.filter(pk__in=[a.pk for a in appointments]).update(reminded_at=moment)
    sent += len(bookings) + len(appointments)
    logger.info("centres reminders sent: %s", sent)
    return sent
