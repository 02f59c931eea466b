"""What the centres' operations share: who runs a centre, in-site notices, times as text."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from centres.models import Activity, Centre, Notice
from grids.scope import may, scope_for

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


def _notify(recipient_id: int | None, kind: str, title: str, body: str = "", **about) -> None:
    """An in-site notice, written in the same transaction as the change it reports."""
    if recipient_id:
        Notice.objects.create(recipient_id=recipient_id, kind=kind, title=title, body=body, **about)
