"""What every part of volunteers.actions shares: the refusal, where a person belongs, and
their approved hours."""

from __future__ import annotations

from decimal import Decimal
from typing import NoReturn

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from grids.models import Area
from volunteers.models import AccountKind, OrderStatus, PointType, ServiceOrder, Volunteer
from volunteers.models.ledger import Account


def _refuse(message: str, field: str = "non_field_errors") -> NoReturn:
    raise ValidationError({field: [message]})


def community_of(user) -> Area | None:
    """The community a resident lives in (through their Resident row), if any."""
    resident = getattr(user, "resident", None) if user is not None else None
    if resident is None:
        return None
    building = resident.household.building
    return building.ancestor_of_kind("community")


def home_community(user) -> Area | None:
    """The member's own community for the time bank: where their 福分 account was opened,
    else where they volunteer, else where they live. Rewards are redeemed here, or in a
    partner community under a 通存通兑 agreement with it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    account = (
        Account.objects.filter(
            owner=user, kind=AccountKind.MEMBER, point_type__code=PointType.FUFEN
        )
        .select_related("community")
        .first()
    )
    if account is not None:
        return account.community
    volunteer = Volunteer.objects.filter(user=user).select_related("community").first()
    if volunteer is not None:
        return volunteer.community
    return community_of(user)


def settled_hours(user, year: int | None = None) -> Decimal:
    """Approved service hours of `user` (in a calendar year, or ever)."""
    qs = ServiceOrder.objects.filter(volunteer__user=user, status=OrderStatus.SETTLED)
    if year:
        qs = qs.filter(settled_at__year=year)
    return qs.aggregate(h=Sum("hours"))["h"] or Decimal(0)


def record_review(
    row,
    actor,
    *,
    accept: bool,
    accepted: str,
    refused: str,
    pending: str,
    reason: str,
    by: str,
    at: str,
    already: str,
    say_why: str,
) -> bool:
    """The community's review of a locked pending row (a 双报到 report, a micro-wish): set to
    `accepted` or `refused` with who and when; a refusal needs a reason, which the person
    sees. Deciding the same way twice is a no-op (False: nothing written); changing a
    decision is refused with `already`."""
    wanted = accepted if accept else refused
    if row.status == wanted:
        return False  # a repeated click
    if row.status != pending:
        _refuse(already, "status")
    reason = (reason or "").strip()
    if not accept and not reason:
        _refuse(say_why, "reason")
    row.status = wanted
    setattr(row, by, actor)
    setattr(row, at, timezone.now())
    row.refusal_reason = "" if accept else reason[:200]
    row.save(update_fields=["status", by, at, "refusal_reason", "updated_at"])
    return True
