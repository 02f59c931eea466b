"""Rewards and vouchers, 双报到 quotas, team approval, micro-wishes, stars and certificates."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from grids.models import CoBuildingUnit
from tests.volunteers.conftest import make_volunteer, place, serve
from volunteers import actions, ledger
from volunteers.models import (
    AccountBalance,
    Certificate,
    MembershipStatus,
    PartyReport,
    Reward,
    ServicePost,
    StarScheme,
    Team,
    Voucher,
)

pytestmark = pytest.mark.django_db


def _reward(t, stock=2, cost=150):
    return Reward.objects.create(
        community=t.a.community, name="爱心超市大米", kind="goods", cost=cost, stock=stock
    )


def test_redeem_takes_points_and_stock_and_voucher_scans_once(territory):
    t = territory
    user = t.user("resident_a")
    ledger.award(user, Decimal(5), t.a.community, key="seed")
    reward = _reward(t)
    voucher = actions.redeem_reward(user, reward, key="req-1")
    assert actions.redeem_reward(user, reward, key="req-1") == voucher  # a retried request
    reward.refresh_from_db()
    assert reward.stock == 1
    assert AccountBalance.objects.get(account__owner=user).balance == 350
    actions.use_voucher(voucher.code.lower(), t.user("community_a"))
    with pytest.raises(ValidationError, match="already been used"):
        actions.use_voucher(voucher.code, t.user("community_a"))
    with pytest.raises(ValidationError, match="No such"):
        actions.use_voucher("NOPE", t.user("community_a"))


def test_redeem_beyond_balance_or_stock_leaves_everything(territory):
    t = territory
    user = t.user("resident_a")
    ledger.award(user, Decimal(1), t.a.community, key="seed")
    reward = _reward(t, stock=1)
    with pytest.raises(ValidationError, match="costs 1.50 福分 and you have 1.00"):
        actions.redeem_reward(user, reward)
    reward.refresh_from_db()
    assert reward.stock == 1 and not Voucher.objects.exists()
    ledger.award(user, Decimal(5), t.a.community, key="seed2")
    actions.redeem_reward(user, reward)
    with pytest.raises(ValidationError, match="out of stock"):
        actions.redeem_reward(user, reward)
    assert AccountBalance.objects.get(account__owner=user).balance == 450


def test_post_quota_holds(territory):
    t = territory
    post = ServicePost.objects.create(community=t.a.community, title="文明劝导岗", quota=1)
    r1 = PartyReport.objects.create(
        status="confirmed",
        community=t.a.community,
        member=t.user("grid_a"),
        year=2026,
        promise="每月服务",
    )
    unit = CoBuildingUnit.objects.get(name="共建单位a")
    r2 = PartyReport.objects.create(
        status="confirmed", community=t.a.community, unit=unit, year=2026, promise="认领岗位"
    )
    actions.claim_post(post, r1)
    with pytest.raises(ValidationError, match="already claimed"):
        actions.claim_post(post, r1)
    with pytest.raises(ValidationError, match="All places"):
        actions.claim_post(post, r2)
    post.refresh_from_db()
    assert post.claimed_count == 1


def test_team_membership_needs_leader_or_staff(territory):
    t = territory
    leader = make_volunteer(t.user("grid_a"), t.a.community)
    joiner = make_volunteer(t.user("resident_a"), t.a.community)
    team = Team.objects.create(
        community=t.a.community, name="夕阳红", kind="functional", leader=leader
    )
    membership = actions.join_team(joiner, team)
    with pytest.raises(ValidationError):
        actions.decide_membership(membership, True, t.user("community_b"))
    membership = actions.decide_membership(membership, True, leader.user)
    assert membership.status == MembershipStatus.APPROVED
    with pytest.raises(ValidationError, match="already decided"):
        actions.decide_membership(membership, False, t.user("community_a"))


def test_wish_claimed_once_and_fulfilled(territory):
    t = territory
    wish = actions.post_wish(t.user("community_a"), t.a.community, "一台收音机", "王奶奶")
    actions.claim_wish(wish, t.user("unit_a"))
    with pytest.raises(ValidationError, match="already claimed"):
        actions.claim_wish(wish, t.user("grid_a"))
    with pytest.raises(ValidationError):
        actions.fulfil_wish(wish, t.user("grid_a"))
    assert actions.fulfil_wish(wish, t.user("unit_a")).status == "fulfilled"


def test_stars_follow_the_regional_scheme_and_certificates_are_numbered(territory):
    t = territory
    helper = make_volunteer(t.user("grid_a"), t.a.community)
    order = serve(place(t), helper.user, minutes=240)
    actions.confirm_order(order, t.user("resident_a"), 5)
    assert actions.stars(helper) == 0
    StarScheme.objects.create(area=t.street, thresholds="1,3,5,8,10")
    assert actions.stars(helper) == 2  # 4 hours
    with pytest.raises(ValidationError):
        actions.issue_certificate(helper, t.user("community_b"))
    first = actions.issue_certificate(helper, t.user("community_a"))
    # Issued again with no new hours (a double click): refused, naming the one that covers them.
    with pytest.raises(ValidationError, match=f"{first.number} already covers these 4.00"):
        actions.issue_certificate(helper, t.user("community_a"))
    order = serve(place(t), helper.user, minutes=60)
    actions.confirm_order(order, t.user("resident_a"), 5)
    second = actions.issue_certificate(helper, t.user("community_a"))
    assert first.number.endswith("00001") and second.number.endswith("00002")
    assert first.hours == Decimal(4) and "助老陪伴" in first.content
    assert second.hours == Decimal(5)
    assert Certificate.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_of_the_last_item(transactional_territory):
    t = transactional_territory
    users = [t.user("resident_a"), t.user("grid_a"), t.user("community_a")]
    for i, u in enumerate(users):
        ledger.award(u, Decimal(5), t.a.community, key=f"seed{i}")
    reward = _reward(t, stock=1)
    barrier = threading.Barrier(3)
    outcomes = []

    def run(u):
        try:
            barrier.wait()
            try:
                outcomes.append(actions.redeem_reward(u, reward))
            except ValidationError as exc:
                outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sum(isinstance(o, Voucher) for o in outcomes) == 1
    total = sum(
        AccountBalance.objects.filter(account__owner__in=users).values_list("balance", flat=True)
    )
    assert total == 3 * 500 - 150
