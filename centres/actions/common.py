"""What the centres' operations share: who runs a centre, notices (through the one notify
interface, notifications.notify), times as text."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from centres.models import Activity, Centre
from grids.scope import may, scope_for
from notifications import notify

CHECK_IN_EARLY = timedelta(hours=2)  # the door opens this long before an activity starts


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _span(start: datetime, end: datetime) -> str:
    local_end = timezone.localtime(end)
    return f"{_when(start)}–{local_end:%H:%M}"


def is_centre_staff(user, centre: Centre) -> bool:
    """May `user` run `centre` (its own operator, or territorial staff covering it)?"""
    scope = scope_for(user)
    if not scope.is_staff or not may(user, "change", Activity):
        return False
    return (
        scope.is_superuser or centre.pk in scope.centre_ids or scope.covers_area(centre.community)
    )


def _require_staff(user, centre: Centre) -> None:
    if not is_centre_staff(user, centre):
        # Out of scope is indistinguishable from not existing.
        raise ValidationError({"centre": _("No such centre.")})


def _link(signup=None, booking=None, appointment=None) -> str:
    """The page a notice opens: the activity for a place on it, the resident's own bookings
    and appointments otherwise."""
    if signup is not None:
        return reverse("centres:activity", args=[signup.activity_id])
    if booking is not None:
        return reverse("centres:mine") + "#my-bookings"
    if appointment is not None:
        return reverse("centres:mine") + "#my-appointments"
    return ""


def _notice(
    recipient_id: int | None, kind: str, title: str, body: str = "", **about
) -> notify.Message | None:
    """A notice about a sign-up, booking or appointment, for notify.send (None: nobody)."""
    if not recipient_id:
        return None
    return notify.Message(user=recipient_id, kind=kind, title=title, body=body, link=_link(**about))


def _notify(recipient_id: int | None, kind: str, title: str, body: str = "", **about) -> None:
    """Tell one person, in the same transaction as the change it reports (their inbox, and
    SMS/WeChat as they chose). Loops over many people collect _notice()s and send once."""
    notify.send([_notice(recipient_id, kind, title, body, **about)])
