"""Space bookings: one-off and weekly, decided by staff, cancelled."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.actions.common import _notify, _require_staff, _span, is_centre_staff
from centres.models import LIVE_BOOKING, Blackout, Booking, BookingStatus, Closure, Space

# --- spaces ------------------------------------------------------------------------------------


def book_space(
    space: Space | int,
    *,
    actor,
    starts_at: datetime,
    ends_at: datetime,
    purpose: str,
    attendees: int = 1,
    unit=None,
    series: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book a space for a time range. Overlapping a live booking fails with a message that
    names the conflicting slot; so do blackouts, closure days and hours outside the space's
    bookable hours. Spaces that need approval start as pending."""
    now = now or timezone.now()
    if actor is None or not actor.is_authenticated:
        raise ValidationError({"user": _("Log in to book.")})
    if not purpose or not purpose.strip():
        raise ValidationError({"purpose": _("Say what the space is for.")})
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    if starts_at < now:
        raise ValidationError({"starts_at": _("That time has passed.")})
    with transaction.atomic():
        # The space row lock queues bookings of one space; other spaces go on in parallel.
        space = (
            Space.objects.select_for_update(of=("self",))
            .select_related("centre")
            .get(pk=getattr(space, "pk", space))
        )
        if not (space.bookable and space.is_active and space.centre.is_active):
            raise ValidationError({"space": _("This space cannot be booked.")})
        if attendees < 1 or attendees > space.capacity:
            raise ValidationError(
                {"attendees": _("This space takes up to %(n)s people.") % {"n": space.capacity}}
            )
        local_start, local_end = timezone.localtime(starts_at), timezone.localtime(ends_at)
        if (
            local_start.date() != local_end.date()
            or local_start.time() < space.opens
            or local_end.time() > space.closes
        ):
            raise ValidationError(
                {
                    "starts_at": _("This space can be booked between %(a)s and %(b)s on one day.")
                    % {"a": f"{space.opens:%H:%M}", "b": f"{space.closes:%H:%M}"}
                }
            )
        closure = Closure.objects.filter(centre_id=space.centre_id, date=local_start.date()).first()
        if closure:
            raise ValidationError(
                {
                    "starts_at": _("The centre is closed that day (%(reason)s).")
                    % {"reason": closure.reason}
                }
            )
        blackout = (
            Blackout.objects.filter(
                centre_id=space.centre_id, starts_at__lt=ends_at, ends_at__gt=starts_at
            )
            .filter(Q(space__isnull=True) | Q(space=space))
            .first()
        )
        if blackout:
            raise ValidationError(
                {
                    "starts_at": _("The space is not available %(span)s (%(reason)s).")
                    % {
                        "span": _span(blackout.starts_at, blackout.ends_at),
                        "reason": blackout.reason,
                    }
                }
            )
        _check_overlap(space, starts_at, ends_at)
        booking = Booking(
            space=space,
            starts_at=starts_at,
            ends_at=ends_at,
            status=BookingStatus.PENDING if space.needs_approval else BookingStatus.CONFIRMED,
            booked_by=actor,
            unit=unit,
            purpose=purpose.strip(),
            attendees=attendees,
            series=series,
        )
        try:
            with transaction.atomic():
                booking.save()
        except IntegrityError as exc:
            # The exclusion constraint caught what the locked check could not see (a row
            # written outside book_space): report the slot the same way.
            _check_overlap(space, starts_at, ends_at)
            raise ValidationError({"starts_at": _("The space is already booked then.")}) from exc
    return booking


def _check_overlap(space: Space, starts_at: datetime, ends_at: datetime) -> None:
    clash = (
        Booking.objects.filter(
            space=space, status__in=LIVE_BOOKING, starts_at__lt=ends_at, ends_at__gt=starts_at
        )
        .order_by("starts_at")
        .first()
    )
    if clash:
        raise ValidationError(
            {
                "starts_at": _("%(space)s is already booked %(span)s.")
                % {"space": space.name, "span": _span(clash.starts_at, clash.ends_at)}
            }
        )


def book_recurring(
    space: Space | int,
    *,
    actor,
    starts_at: datetime,
    ends_at: datetime,
    weeks: int,
    purpose: str,
    attendees: int = 1,
    unit=None,
    now: datetime | None = None,
) -> list[Booking]:
    """The same slot every week for `weeks` weeks (a choir, a tai chi group): all or none."""
    if weeks < 1 or weeks > 26:
        raise ValidationError({"weeks": _("Book between 1 and 26 weeks.")})
    series = uuid.uuid4()
    with transaction.atomic():
        return [
            book_space(
                space,
                actor=actor,
                starts_at=starts_at + timedelta(weeks=i),
                ends_at=ends_at + timedelta(weeks=i),
                purpose=purpose,
                attendees=attendees,
                unit=unit,
                series=series,
                now=now,
            )
            for i in range(weeks)
        ]


def decide_booking(booking: Booking | int, *, actor, approve: bool) -> Booking:
    """Staff approve or reject a pending booking."""
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("space__centre__community")
            .get(pk=getattr(booking, "pk", booking))
        )
        _require_staff(actor, booking.space.centre)
        if booking.status != BookingStatus.PENDING:
            raise ValidationError({"status": _("Only a pending booking can be decided.")})
        booking.status = BookingStatus.CONFIRMED if approve else BookingStatus.REJECTED
        booking.decided_by = actor
        booking.save(update_fields=["status", "decided_by", "updated_at"])
        _notify(
            booking.booked_by_id,
            "booking",
            (
                _("Your booking is confirmed: %(space)s")
                if approve
                else _("Your booking was declined: %(space)s")
            )
            % {"space": booking.space.name},
            _span(booking.starts_at, booking.ends_at),
            booking=booking,
        )
    return booking


def cancel_booking(booking: Booking | int, *, actor, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("space__centre__community")
            .get(pk=getattr(booking, "pk", booking))
        )
        if booking.booked_by_id != getattr(actor, "pk", None) and not is_centre_staff(
            actor, booking.space.centre
        ):
            raise ValidationError({"booking": _("No such booking.")})
        if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
            raise ValidationError({"booking": _("This booking can no longer be cancelled.")})
        if booking.starts_at <= now:
            raise ValidationError({"booking": _("This booking has already started.")})
        booking.status = BookingStatus.CANCELLED
        booking.save(update_fields=["status", "updated_at"])
    return booking
