"""The volunteers app's write operations: THE one write path (views, admin, API and tasks
call these). Points move only through volunteers.ledger.

This module holds registration, teams, the order flow and recognition; `party` holds 双报到
(reports and claims), `rewards` redemption and the 通存通兑 agreements, `wishes` the micro-wish
wall. Every operation is importable from here (`actions.post_wish`), which is the module the
models' `written_by` names.

A refused step raises django.core.exceptions.ValidationError with a message for people,
keyed by the field it concerns (forms show it, the API turns it into a 400). Order
transitions lock the order row and change status with the row lock held, so two people
acting at once cannot both take, confirm or approve the same order.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area
from grids.scope import may_act_on
from volunteers import ledger, notices
from volunteers.actions._base import _refuse, community_of, home_community, settled_hours
from volunteers.actions.party import (
    ReportIntake,
    claim_post,
    decide_report,
    party_year,
    submit_report,
    withdraw_claim,
)
from volunteers.actions.rewards import (
    Offer,
    agreement_holds,
    check_agreement,
    end_agreement,
    make_agreement,
    offers_for,
    redeem_reward,
    redeemable_communities,
    use_voucher,
)
from volunteers.actions.wishes import claim_wish, fulfil_wish, moderate_wish, post_wish
from volunteers.models import (
    DEFAULT_STARS,
    Certificate,
    MembershipStatus,
    OrderStatus,
    PointType,
    ServiceCategory,
    ServiceOrder,
    StarScheme,
    Team,
    TeamMembership,
    Volunteer,
)

# The operations of the parts, re-exported: callers and `written_by` name this module.
__all__ = [
    "Offer",
    "ReportIntake",
    "agreement_holds",
    "check_agreement",
    "claim_post",
    "claim_wish",
    "community_of",
    "decide_report",
    "end_agreement",
    "fulfil_wish",
    "home_community",
    "make_agreement",
    "moderate_wish",
    "offers_for",
    "party_year",
    "post_wish",
    "redeem_reward",
    "redeemable_communities",
    "settled_hours",
    "submit_report",
    "use_voucher",
    "withdraw_claim",
]

S = OrderStatus
QR_WINDOW_SECONDS = 60  # a shown QR code rotates every minute and is accepted for two
CHECKIN_RADIUS_M = getattr(settings, "VOLUNTEERS_CHECKIN_RADIUS_M", 500)
UNTAKEN_AFTER = timedelta(hours=24)

if TYPE_CHECKING:
    from portal.models import User


# --- volunteers, teams, talent pool ----------------------------------------------------------
@dataclass
class Registration:
    community: Area
    real_name: str
    phone: str
    consent: bool
    id_number: str = ""
    availability: str = ""
    is_party_member: bool = False
    skills: tuple = ()


@transaction.atomic
def register_volunteer(user, data: Registration) -> Volunteer:
    """Register `user` as a volunteer. Consent to the uses of their data is required (the
    record goes to the national volunteer system). Pays the community's starter grant."""
    if not data.consent:
        _refuse(_("Please agree to how your details are used."), "consent")
    if not data.real_name.strip():
        _refuse(_("Enter your real name."), "real_name")
    if Volunteer.objects.filter(user=user).exists():
        _refuse(_("You are already registered as a volunteer."))
    volunteer = Volunteer.objects.create(
        user=user,
        community=data.community,
        real_name=data.real_name.strip(),
        phone=data.phone,
        id_number=data.id_number,
        availability=data.availability,
        is_party_member=data.is_party_member,
        consent_at=timezone.now(),
    )
    if data.skills:
        volunteer.skills.set(data.skills)
    ledger.member_account(user, data.community)
    if ledger.policy_for(data.community, ledger.point_type()).starter_grant > 0:
        ledger.grant_starter(user, data.community)
    return volunteer


def join_team(volunteer: Volunteer, team: Team) -> TeamMembership:
    membership, _created = TeamMembership.objects.get_or_create(team=team, volunteer=volunteer)
    return membership


@transaction.atomic
def decide_membership(membership: TeamMembership, approve: bool, actor) -> TeamMembership:
    """The team leader or the community's staff approve or reject a request to join."""
    membership = (
        TeamMembership.objects.select_for_update().select_related("team").get(pk=membership.pk)
    )
    team = membership.team
    is_leader = team.leader is not None and team.leader.user_id == actor.pk
    if not (is_leader or may_act_on(actor, team.community)):
        _refuse(_("Only the team leader or community staff may decide."))
    if membership.status != MembershipStatus.PENDING:
        _refuse(_("This request was already decided."))
    membership.status = MembershipStatus.APPROVED if approve else MembershipStatus.REJECTED
    membership.decided_by = actor
    membership.save(update_fields=["status", "decided_by", "updated_at"])
    return membership


# --- orders: 点单 -------------------------------------------------------------------------------
@dataclass
class OrderIntake:
    requester: User
    community: Area
    category: ServiceCategory
    description: str
    place: str
    scheduled_at: datetime
    estimated_hours: Decimal = Decimal(1)
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def place_order(intake: OrderIntake, actor) -> ServiceOrder:
    """点单: a resident orders for themselves, or staff order for an elderly resident."""
    if actor.pk != intake.requester.pk and not may_act_on(actor, intake.community):
        _refuse(_("You may order only for yourself."), "requester")
    if not intake.description.strip():
        _refuse(_("Say what help is needed."), "description")
    if not (Decimal("0.25") <= Decimal(intake.estimated_hours) <= Decimal(24)):
        _refuse(_("Estimated hours must be between 0.25 and 24."), "estimated_hours")
    return ServiceOrder.objects.create(
        community=intake.community,
        requester=intake.requester,
        ordered_by=actor,
        category=intake.category,
        description=intake.description.strip(),
        place=intake.place,
        scheduled_at=intake.scheduled_at,
        estimated_hours=intake.estimated_hours,
        latitude=intake.latitude,
        longitude=intake.longitude,
    )


def _locked(order: ServiceOrder) -> ServiceOrder:
    return ServiceOrder.objects.select_for_update().get(pk=order.pk)


def _active_volunteer(user) -> Volunteer:
    volunteer = Volunteer.objects.filter(user=user, status="active").first()
    if volunteer is None:
        _refuse(_("Register as a volunteer first."), "volunteer")
    return volunteer


@transaction.atomic
def take_order(order: ServiceOrder, user) -> ServiceOrder:
    """接单: a volunteer takes an open order (not their own)."""
    volunteer = _active_volunteer(user)
    order = _locked(order)
    if order.status != S.OPEN:
        _refuse(_("Someone has already taken this order."), "status")
    if order.requester_id == user.pk:
        _refuse(_("You cannot take your own order."), "volunteer")
    order.volunteer, order.status, order.taken_at = volunteer, S.TAKEN, timezone.now()
    order.save(update_fields=["volunteer", "status", "taken_at", "updated_at"])
    notices.order_taken(order)
    return order


@transaction.atomic
def assign_order(order: ServiceOrder, volunteer: Volunteer, actor) -> ServiceOrder:
    """派单: staff assign a volunteer to an open order."""
    order = _locked(order)
    if not may_act_on(actor, order.community):
        _refuse(_("Only the community's staff may assign volunteers."))
    if order.status != S.OPEN:
        _refuse(_("Someone has already taken this order."), "status")
    if volunteer.status != "active":
        _refuse(_("This volunteer is suspended."), "volunteer")
    order.volunteer, order.status, order.taken_at = volunteer, S.TAKEN, timezone.now()
    order.save(update_fields=["volunteer", "status", "taken_at", "updated_at"])
    notices.order_taken(order, assigned=True)
    return order


@transaction.atomic
def cancel_order(order: ServiceOrder, actor) -> ServiceOrder:
    order = _locked(order)
    if actor.pk != order.requester_id and not may_act_on(actor, order.community):
        _refuse(_("Only the resident or staff may cancel."))
    if order.status not in (S.OPEN, S.TAKEN):
        _refuse(_("The service has started; it can no longer be cancelled."), "status")
    order.status = S.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    return order


# --- rotating QR codes --------------------------------------------------------------------
def _signature(order_id: int, purpose: str, window: int) -> str:
    msg = f"volunteers.qr:{order_id}:{purpose}:{window}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), msg, hashlib.sha256).hexdigest()[:20]


def qr_token(order: ServiceOrder, purpose: str, now: float | None = None) -> str:
    """The code the resident (or staff) shows: an HMAC over order, purpose ("in"/"out") and
    the current minute. A photo of yesterday's code is useless."""
    window = int((now or time.time()) // QR_WINDOW_SECONDS)
    return f"{order.pk}.{purpose}.{window}.{_signature(order.pk, purpose, window)}"


def verify_qr(order: ServiceOrder, purpose: str, token: str, now: float | None = None) -> None:
    try:
        order_id, token_purpose, window_s, sig = token.strip().split(".")
        window = int(window_s)
    except (AttributeError, ValueError):
        _refuse(_("This QR code is not valid."), "token")
    expected = _signature(order.pk, purpose, window)
    if (
        order_id != str(order.pk)
        or token_purpose != purpose
        or not hmac.compare_digest(sig, expected)
    ):
        _refuse(_("This QR code is not valid."), "token")
    current = int((now or time.time()) // QR_WINDOW_SECONDS)
    if not (current - 1 <= window <= current):
        _refuse(_("This QR code has expired: ask for a fresh one."), "token")


def _distance_m(lat1, lon1, lat2, lon2) -> float:
    r = 6371000.0
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _check_place(order: ServiceOrder, latitude, longitude) -> None:
    if order.latitude is None or latitude is None or longitude is None:
        return  # the radius is optional: only checked when both sides give a position
    if _distance_m(order.latitude, order.longitude, latitude, longitude) > CHECKIN_RADIUS_M:
        _refuse(_("You are too far from the place of service."), "location")


@transaction.atomic
def check_in(order, user, token: str, latitude=None, longitude=None, now=None) -> ServiceOrder:
    order = _locked(order)
    if order.volunteer is None or order.volunteer.user_id != user.pk:
        _refuse(_("This order is not yours."), "volunteer")
    if order.status != S.TAKEN:
        _refuse(_("This order cannot be checked in now."), "status")
    verify_qr(order, "in", token, now)
    _check_place(order, latitude, longitude)
    order.status, order.checked_in_at = S.IN_SERVICE, timezone.now()
    order.save(update_fields=["status", "checked_in_at", "updated_at"])
    return order


@transaction.atomic
def check_out(order, user, token: str, latitude=None, longitude=None, now=None) -> ServiceOrder:
    """Ends the service: hours are the actual time, rounded to 15 minutes and capped per
    activity by the community's policy."""
    order = _locked(order)
    if order.volunteer is None or order.volunteer.user_id != user.pk:
        _refuse(_("This order is not yours."), "volunteer")
    if order.status != S.IN_SERVICE:
        _refuse(_("Check in before checking out."), "status")
    verify_qr(order, "out", token, now)
    _check_place(order, latitude, longitude)
    order.checked_out_at = timezone.now()
    policy = ledger.policy_for(order.community, ledger.point_type())
    actual = Decimal((order.checked_out_at - order.checked_in_at).total_seconds()) / 3600
    order.hours = ledger.round_hours(actual, policy.max_hours_per_activity)
    order.status = S.SERVED
    order.save(update_fields=["status", "checked_out_at", "hours", "updated_at"])
    return order


# --- 评单, approval, settlement -----------------------------------------------------------------
@transaction.atomic
def confirm_order(order, actor, rating: int, comment: str = "", auto: bool = False):
    """评单: the resident (or staff for them) rates the service and confirms its hours. The
    points are paid at once unless the community asks staff to approve."""
    order = _locked(order)
    if not auto and actor.pk != order.requester_id and not may_act_on(actor, order.community):
        _refuse(_("Only the resident served may confirm."))
    if order.status != S.SERVED:
        if order.status in (S.CONFIRMED, S.SETTLED):
            _refuse(_("This order is already confirmed."), "status")
        _refuse(_("The service has not finished yet."), "status")
    if not (isinstance(rating, int) and 1 <= rating <= 5):
        _refuse(_("Choose a rating from 1 to 5."), "rating")
    order.rating, order.comment = rating, comment[:200]
    order.confirmed_at, order.auto_confirmed = timezone.now(), auto
    order.status = S.CONFIRMED
    order.save()
    if not ledger.policy_for(order.community, ledger.point_type()).approval_required:
        _settle(order, approved_by=None)
    return order


@transaction.atomic
def approve_order(order, actor) -> ServiceOrder:
    order = _locked(order)
    if not may_act_on(actor, order.community):
        _refuse(_("Only the community's staff may approve hours."))
    if order.status == S.SETTLED:
        return order  # approving twice pays once
    if order.status != S.CONFIRMED:
        _refuse(_("The resident has not confirmed this order yet."), "status")
    _settle(order, approved_by=actor)
    return order


def _settle(order: ServiceOrder, approved_by) -> None:
    """Pay the volunteer (福分, and party points to a party member). The keys come from the
    order, so a replayed approval finds the transaction already there."""
    volunteer, hours = order.volunteer, order.hours
    if volunteer is None or hours is None:  # taking sets one, checking out the other
        raise ValueError(f"Order {order.pk} has no volunteer or hours to settle.")
    memo = f"{order.category} #{order.pk}"
    posted = ledger.award(
        volunteer.user,
        hours,
        order.community,
        key=f"order:{order.pk}:settle",
        approved_by=approved_by,
        memo=memo,
        source=f"order:{order.pk}",
    )
    if volunteer.is_party_member:
        ledger.award(
            volunteer.user,
            hours,
            order.community,
            key=f"order:{order.pk}:party",
            pt=ledger.point_type(PointType.PARTY),
            approved_by=approved_by,
            memo=memo,
            source=f"order:{order.pk}",
        )
    order.status, order.settled_at, order.approved_by = S.SETTLED, timezone.now(), approved_by
    order.save(update_fields=["status", "settled_at", "approved_by", "updated_at"])
    if posted.created:  # a replayed settlement paid nothing new: nothing to tell
        notices.points_awarded(order, hours)


def auto_confirm_due(now: datetime | None = None) -> int:
    """Confirm served orders the resident left unrated for the community's N days (rated 5,
    as the schemes do). Each order in its own transaction; safe to run twice."""
    now = now or timezone.now()
    done = 0
    for order in ServiceOrder.objects.filter(status=S.SERVED).select_related("community"):
        days = ledger.policy_for(order.community, ledger.point_type()).auto_confirm_days
        if order.checked_out_at and order.checked_out_at <= now - timedelta(days=days):
            try:
                confirm_order(order, None, 5, auto=True)
                done += 1
            except ValidationError:
                continue  # someone confirmed it meanwhile
    return done


@transaction.atomic
def flag_untaken(now: datetime | None = None) -> int:
    """Flag open orders nobody took within a day, or due within two hours, for staff (the
    admin filters on `flagged_at`), and tell the community's staff. Flags each order once:
    the rows are locked (SKIP LOCKED: a second run at once leaves them to the first)."""
    now = now or timezone.now()
    orders = list(
        ServiceOrder.objects.filter(status=S.OPEN, flagged_at__isnull=True)
        .filter(
            Q(created_at__lte=now - UNTAKEN_AFTER) | Q(scheduled_at__lte=now + timedelta(hours=2))
        )
        .select_related("category")
        .select_for_update(skip_locked=True, of=("self",))
    )
    ServiceOrder.objects.filter(pk__in=[o.pk for o in orders]).update(flagged_at=now)
    notices.orders_flagged(orders)
    return len(orders)


# --- recognition -------------------------------------------------------------------------------
def star_thresholds(area: Area) -> list[int]:
    """The nearest star scheme up the area tree, else 100/300/600/1000/1500 hours."""
    paths = [area.path[: i * area.steplen] for i in range(1, area.depth + 1)]
    scheme = StarScheme.objects.filter(area__path__in=paths).order_by("-area__depth").first()
    return scheme.hours() if scheme else [int(x) for x in DEFAULT_STARS.split(",")]


def stars(volunteer: Volunteer, hours: Decimal | None = None) -> int:
    hours = settled_hours(volunteer.user) if hours is None else hours
    return sum(1 for t in star_thresholds(volunteer.community) if hours >= t)


@transaction.atomic
def issue_certificate(volunteer: Volunteer, actor) -> Certificate:
    """A numbered proof of the volunteer's approved hours, issued by their community. A second
    certificate needs hours approved since the last one: a repeated click (or two staff at
    once — the volunteer row is locked) issues one, not two."""
    if not may_act_on(actor, volunteer.community):
        _refuse(_("Only the volunteer's community may issue a certificate."))
    Volunteer.objects.select_for_update().filter(pk=volunteer.pk).first()
    hours = settled_hours(volunteer.user)
    if hours <= 0:
        _refuse(_("There are no approved hours to certify."))
    last = Certificate.objects.filter(volunteer=volunteer).order_by("-id").first()
    if last is not None and last.hours == hours:
        _refuse(
            _("Certificate %(number)s already covers these %(hours)s hours.")
            % {"number": last.number, "hours": hours}
        )
    categories = (
        ServiceOrder.objects.filter(volunteer=volunteer, status=S.SETTLED)
        .values_list("category__name", flat=True)
        .distinct()
    )
    year = timezone.localdate().year
    prefix = f"{volunteer.community.code or volunteer.community_id}-{year}-"
    for _attempt in range(5):
        with transaction.atomic():
            count = Certificate.objects.filter(number__startswith=prefix).count()
            try:
                return Certificate.objects.create(
                    number=f"{prefix}{count + 1:05d}",
                    volunteer=volunteer,
                    community=volunteer.community,
                    hours=hours,
                    content="、".join(sorted(categories)),
                    issued_by=actor,
                )
            except IntegrityError:
                continue  # another certificate took the number: count again
    _refuse(_("Please try again."))
