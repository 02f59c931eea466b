"""Check-in by code (核销): a sign-up's or a booking's QR, once, by the centre's staff."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.actions.common import CHECK_IN_EARLY, _span, _when, is_centre_staff
from centres.models import Booking, BookingStatus, SignUp, SignUpStatus

# --- check-in by code (核销) --------------------------------------------------------------------


def check_in(code: str, *, actor, now: datetime | None = None) -> SignUp | Booking:
    """Staff scan a resident's QR code (or type it): a sign-up or a booking is checked in
    once. A code outside the staff member's centres is reported as unknown."""
    now = now or timezone.now()
    code = (code or "").strip().upper()
    if not code:
        raise ValidationError({"code": _("Enter or scan a code.")})
    with transaction.atomic():
        signup = (
            SignUp.objects.select_for_update(of=("self",))
            .select_related("activity__centre__community")
            .filter(code=code)
            .first()
        )
        if signup is not None and is_centre_staff(actor, signup.activity.centre):
            return _check_in_signup(signup, actor, now)
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("space__centre__community")
            .filter(code=code)
            .first()
        )
        if booking is not None and is_centre_staff(actor, booking.space.centre):
            return _check_in_booking(booking, actor, now)
    raise ValidationError({"code": _("No sign-up or booking has this code.")})


def _already(at: datetime) -> ValidationError:
    return ValidationError({"code": _("Already checked in at %(when)s.") % {"when": _when(at)}})


def _check_in_signup(signup: SignUp, actor, now: datetime) -> SignUp:
    activity = signup.activity
    if signup.checked_in_at:
        raise _already(signup.checked_in_at)
    if signup.status != SignUpStatus.CONFIRMED:
        raise ValidationError(
            {
                "code": _("This sign-up is %(status)s, not confirmed.")
                % {"status": signup.get_status_display()}
            }
        )
    if not (activity.starts_at - CHECK_IN_EARLY <= now <= activity.ends_at):
        raise ValidationError(
            {
                "code": _("Check-in for this activity is on %(span)s.")
                % {"span": _span(activity.starts_at, activity.ends_at)}
            }
        )
    signup.checked_in_at = now
    signup.checked_in_by = actor
    signup.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
    return signup


def _check_in_booking(booking: Booking, actor, now: datetime) -> Booking:
    if booking.checked_in_at:
        raise _already(booking.checked_in_at)
    if booking.status != BookingStatus.CONFIRMED:
        raise ValidationError(
            {"code": _("This booking is %(status)s.") % {"status": booking.get_status_display()}}
        )
    if not (booking.starts_at - CHECK_IN_EARLY <= now <= booking.ends_at):
        raise ValidationError(
            {
                "code": _("This booking is for %(span)s.")
                % {"span": _span(booking.starts_at, booking.ends_at)}
            }
        )
    booking.status = BookingStatus.USED
    booking.checked_in_at = now
    booking.checked_in_by = actor
    booking.save(update_fields=["status", "checked_in_at", "checked_in_by", "updated_at"])
    return booking
