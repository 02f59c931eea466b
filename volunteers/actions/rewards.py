"""Rewards: where a member may spend 福分 (their own community, and partner communities under a
通存通兑 agreement), the offers they see with the price and why one is out of reach, the
redemption itself and the shop's scan of the voucher.

The rule "which communities' rewards may this member redeem" is `redeemable_communities`;
the rewards page, the API list and `redeem_reward` all ask it, so what is listed is exactly
what can be redeemed."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area
from grids.scope import may_act_on
from volunteers import ledger
from volunteers.actions._base import _refuse, home_community
from volunteers.models import (
    AccountBalance,
    AccountKind,
    ExchangeAgreement,
    PointType,
    Reward,
    Voucher,
    from_cents,
)


# --- 通存通兑 agreements -------------------------------------------------------------------
def agreement_holds(community: Area, partner: Area, on: date | None = None) -> bool:
    """Do members of `community` redeem in `partner` on `on` (today by default)?"""
    return (
        ExchangeAgreement.objects.current(on)
        .filter(community_id=community.pk, partner_id=partner.pk)
        .exists()
    )


def redeemable_communities(user, on: date | None = None) -> list[int]:
    """The ids of the communities whose rewards `user` may redeem: their own community first,
    then every partner under an agreement that holds on `on`. Empty for someone who belongs
    to no community."""
    home = home_community(user)
    if home is None:
        return []
    partners = (
        ExchangeAgreement.objects.current(on)
        .filter(community_id=home.pk)
        .values_list("partner_id", flat=True)
    )
    return [home.pk, *sorted(partners)]


def check_agreement(
    community: Area, partner: Area, actor, starts_on: date, ends_on: date | None
) -> None:
    """The rules for an agreement, said before anything is written (the admin's form shows
    them as form errors): two different communities, both in the actor's scope, an end not
    before the start."""
    if community.kind != "community" or partner.kind != "community":
        _refuse(_("An agreement is made between two communities."), "partner")
    if community.pk == partner.pk:
        _refuse(_("Choose a partner other than the community itself."), "partner")
    if not (may_act_on(actor, community) and may_act_on(actor, partner)):
        _refuse(_("Only staff covering both communities may make an agreement."), "partner")
    if ends_on is not None and ends_on < starts_on:
        _refuse(_("The agreement cannot end before it starts."), "ends_on")


@transaction.atomic
def make_agreement(
    community: Area, partner: Area, actor, starts_on: date | None = None, ends_on=None
) -> ExchangeAgreement:
    """Make (or renew) the 通存通兑 agreement between two communities: both directions are
    written together, so each community's staff see it and each community's members redeem in
    the other. Only staff whose scope covers both communities (their street or above) may
    make one. Making the same agreement twice changes nothing."""
    starts_on = starts_on or timezone.localdate()
    check_agreement(community, partner, actor, starts_on, ends_on)
    made = None
    for one, other in ((community, partner), (partner, community)):
        row, _created = ExchangeAgreement.objects.update_or_create(
            community=one,
            partner=other,
            defaults={"starts_on": starts_on, "ends_on": ends_on, "created_by": actor},
        )
        made = made or row
    assert made is not None  # the loop ran twice
    return made


@transaction.atomic
def end_agreement(agreement: ExchangeAgreement, actor, on: date | None = None) -> None:
    """End the agreement (both directions) so that from `on` (today by default) members no
    longer redeem across it. Vouchers already issued stay valid; the clearing accounts keep
    the position between the two communities."""
    if not (may_act_on(actor, agreement.community) and may_act_on(actor, agreement.partner)):
        _refuse(_("Only staff covering both communities may end an agreement."))
    last_day = (on or timezone.localdate()) - timedelta(days=1)
    pair = ExchangeAgreement.objects.select_for_update().filter(
        community_id__in=[agreement.community_id, agreement.partner_id],
        partner_id__in=[agreement.community_id, agreement.partner_id],
    )
    for row in pair:
        if row.ends_on is not None and row.ends_on <= last_day:
            continue  # already over by then
        row.ends_on = last_day
        row.starts_on = min(row.starts_on, last_day)
        row.save(update_fields=["starts_on", "ends_on", "updated_at"])


# --- what a member sees ---------------------------------------------------------------------
@dataclass(frozen=True)
class Offer:
    """A reward as one member sees it: its price in 福分, whether a partner community offers
    it, and why it cannot be redeemed now ("" when it can)."""

    reward: Reward
    price: Decimal
    partner: bool
    reason: str

    @property
    def redeemable(self) -> bool:
        return not self.reason


def fufen_balance(user) -> Decimal:
    """The member's 福分 (0 without an account): one query on the balance row."""
    row = AccountBalance.objects.filter(
        account__owner=user,
        account__kind=AccountKind.MEMBER,
        account__point_type__code=PointType.FUFEN,
    ).values_list("balance", flat=True)
    return from_cents(row[0] if row else 0)


def _reason(reward: Reward, balance: Decimal) -> str:
    price = from_cents(reward.cost)
    if reward.stock <= 0:
        return _("All gone for now.")
    if balance < price:
        return _("You need %(missing)s more 福分.") % {"missing": price - balance}
    return ""


def offers_for(user, limit: int = 100) -> tuple[Decimal, list[Offer]]:
    """The member's 福分 balance and the rewards they may redeem — their community's first,
    then the partners' — cheapest first, each with its price and what stands in the way."""
    communities = redeemable_communities(user)
    balance = fufen_balance(user)
    if not communities:
        return balance, []
    rewards = (
        Reward.objects.filter(active=True, community_id__in=communities)
        .select_related("community")
        .order_by("cost", "pk")[:limit]
    )
    home = communities[0]
    offers = [
        Offer(
            reward=r,
            price=from_cents(r.cost),
            partner=r.community_id != home,
            reason=_reason(r, balance),
        )
        for r in rewards
    ]
    offers.sort(key=lambda o: o.partner)  # stable: the home community's first, each cheapest first
    return balance, offers


# --- redemption -----------------------------------------------------------------------------
@transaction.atomic
def redeem_reward(user, reward: Reward, key: str | None = None) -> Voucher:
    """Spend 福分 on a reward of the member's community, or of a partner community under a
    通存通兑 agreement (the ledger then posts through both clearing accounts). Stock and 福分
    are taken in one transaction (the stock by a conditional UPDATE, the points by the
    ledger's conditional balance move), and a voucher code is issued. `key` (the client's
    request id) makes a retried request return the same voucher; it is bound to the member,
    so another member's key never answers with their voucher."""
    ledger_key = f"voucher:{user.pk}:{key}" if key else None
    if ledger_key:
        existing = Voucher.objects.filter(
            holder=user, transaction__idempotency_key=ledger_key
        ).first()
        if existing is not None:
            return existing
    allowed = redeemable_communities(user)
    if reward.community_id not in allowed:
        _refuse(
            _(
                "This reward is offered by %(community)s, which has no 通存通兑 agreement "
                "with your community: it cannot be redeemed with your 福分."
            )
            % {"community": reward.community.name},
            "reward",
        )
    if not reward.active:
        _refuse(_("This reward is no longer offered."), "reward")
    price, balance = from_cents(reward.cost), fufen_balance(user)
    if balance < price:
        # Said early and plainly; the ledger's conditional UPDATE below is what holds.
        _refuse(
            _("This reward costs %(price)s 福分 and you have %(balance)s.")
            % {"price": price, "balance": balance},
            "reward",
        )
    took = Reward.objects.filter(pk=reward.pk, stock__gt=0, active=True).update(
        stock=F("stock") - 1
    )
    if not took:
        _refuse(_("This reward is out of stock."), "reward")
    code = secrets.token_hex(5).upper()
    posted = ledger.redeem(
        user,
        reward.cost,
        reward.community,
        key=ledger_key or f"voucher:{code}",
        memo=reward.name,
        source=f"reward:{reward.pk}",
        actor=user,
    )
    return Voucher.objects.create(
        reward=reward, holder=user, code=code, cost=reward.cost, transaction=posted.transaction
    )


@transaction.atomic
def use_voucher(code: str, actor) -> Voucher:
    """The shop scans a voucher: marked used once; a second scan is refused."""
    voucher = (
        Voucher.objects.select_for_update()
        .select_related("reward")
        .filter(code=(code or "").strip().upper())
        .first()
    )
    if voucher is None or not (may_act_on(actor, voucher.reward.community) or actor.is_superuser):
        _refuse(_("No such voucher."), "code")
    if voucher.used_at is not None:
        _refuse(_("This voucher has already been used."), "code")
    voucher.used_at, voucher.used_by = timezone.now(), actor
    voucher.save(update_fields=["used_at", "used_by", "updated_at"])
    return voucher
