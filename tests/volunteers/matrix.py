"""The time bank's scoped models in the permission matrix (tests/matrix.py).

Every volunteers model hangs on a community, so each is a community-level entry: community
staff and above see side a's rows, a grid worker does not, nobody sees across the siblings.
Objects are made through the operations where there are some, and belong to users made for
the place (never to a matrix role, whose own rows it may see as their owner)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from tests.matrix import Place, register
from tests.territory import make_user
from volunteers import actions, ledger
from volunteers.models import (
    Account,
    Certificate,
    ExchangeAgreement,
    LedgerEntry,
    LedgerTransaction,
    MicroWish,
    PartyReport,
    PointsPolicy,
    PostClaim,
    Reward,
    ServiceCategory,
    ServiceOrder,
    ServicePost,
    StarScheme,
    Talent,
    Team,
    TeamMembership,
    Volunteer,
    Voucher,
)


def _person(p: Place, tag: str):
    return make_user(f"{tag}-{p.label}")


def _volunteer(p: Place, tag: str = "vol") -> Volunteer:
    return actions.register_volunteer(
        _person(p, tag),
        actions.Registration(
            community=p.community, real_name=f"{tag}{p.label}", phone="13812345678", consent=True
        ),
    )


def _order(p: Place) -> ServiceOrder:
    category, _created = ServiceCategory.objects.get_or_create(name="助老陪伴")
    requester = _person(p, "req")
    intake = actions.OrderIntake(
        requester=requester,
        community=p.community,
        category=category,
        description=p.label,
        place=p.label,
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    return actions.place_order(intake, requester)


def _award(p: Place) -> LedgerTransaction:
    return ledger.award(_person(p, "paid"), Decimal(1), p.community, key=p.label).transaction


def _account(p: Place) -> Account:
    return ledger.member_account(_person(p, "acct"), p.community)


def _team(p: Place) -> Team:
    return Team.objects.create(community=p.community, name=p.label)


def _membership(p: Place) -> TeamMembership:
    return actions.join_team(_volunteer(p, "joiner"), _team(p))


def _report(p: Place) -> PartyReport:
    return PartyReport.objects.create(
        status="confirmed",
        community=p.community,
        member=_person(p, "party"),
        year=2026,
        promise=p.label,
    )


def _post(p: Place) -> ServicePost:
    return ServicePost.objects.create(community=p.community, title=p.label, quota=3)


def _reward(p: Place) -> Reward:
    return Reward.objects.create(
        community=p.community, name=p.label, kind="goods", cost=100, stock=5
    )


def _voucher(p: Place) -> Voucher:
    holder = _person(p, "holder")
    ledger.award(holder, Decimal(2), p.community, key=f"seed-{p.label}")
    return actions.redeem_reward(holder, _reward(p))


def _certificate(p: Place) -> Certificate:
    volunteer = _volunteer(p, "cert")
    order = _order(p)
    order.volunteer, order.status, order.hours = volunteer, "settled", Decimal(2)
    order.save(update_fields=["volunteer", "status", "hours"])  # hours to certify
    return actions.issue_certificate(volunteer, p.territory.user("superuser"))


def _agreement(p: Place) -> ExchangeAgreement:
    """An agreement of the place's community with a community made for it under the same
    street (made by the street's staff, who cover both): the row seen from the place's side."""
    from tests.territory import add

    partner = add(p.territory.street, name=f"{p.label}伙伴社区", kind="community")
    actions.make_agreement(p.community, partner, p.territory.user("street"))
    return ExchangeAgreement.objects.get(community=p.community, partner=partner)


def _policy(p: Place) -> PointsPolicy:
    # One per community and day: the second place of a side gets tomorrow's.
    day = timezone.localdate() + timedelta(days=PointsPolicy.objects.count())
    return PointsPolicy.objects.create(
        community=p.community, point_type=ledger.point_type(), effective_from=day
    )


COMMUNITY_LEVEL = {"viewers": ("community",), "grid_level": False}

register(Volunteer, _volunteer, **COMMUNITY_LEVEL)
register(Team, _team, **COMMUNITY_LEVEL)
register(TeamMembership, _membership, **COMMUNITY_LEVEL)
register(Talent, lambda p: Talent.objects.create(volunteer=_volunteer(p)), **COMMUNITY_LEVEL)
register(PartyReport, _report, **COMMUNITY_LEVEL)
register(ServicePost, _post, **COMMUNITY_LEVEL)
register(PostClaim, lambda p: actions.claim_post(_post(p), _report(p)), **COMMUNITY_LEVEL)
register(ServiceOrder, _order, api="/api/volunteers/orders/", **COMMUNITY_LEVEL)
register(Reward, _reward, **COMMUNITY_LEVEL)
register(ExchangeAgreement, _agreement, **COMMUNITY_LEVEL)
register(Voucher, _voucher, **COMMUNITY_LEVEL)
register(
    MicroWish,
    # Posted by the office (a resident posts only where they live, and waits for review).
    lambda p: actions.post_wish(p.territory.user("superuser"), p.community, p.label, "王奶奶"),
    **COMMUNITY_LEVEL,
)
register(Certificate, _certificate, **COMMUNITY_LEVEL)
register(
    StarScheme,
    lambda p: StarScheme.objects.get_or_create(area=p.community)[0],
    **COMMUNITY_LEVEL,
)
register(PointsPolicy, _policy, **COMMUNITY_LEVEL)
register(Account, _account, **COMMUNITY_LEVEL)
register(LedgerTransaction, _award, **COMMUNITY_LEVEL)
# Entries show inline on their transaction (no admin of their own): their queryset is checked.
register(
    LedgerEntry,
    lambda p: _award(p).entries.order_by("pk").first(),
    **{**COMMUNITY_LEVEL, "admin": False},
)
