"""Rewards as a member sees them: the price in 福分, disabled beyond the balance with the reason
said, and redemption only in the member's own community or a partner community under a
通存通兑 agreement — the same rule in the action, the page and the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.volunteers.conftest import add_relative
from volunteers import actions, ledger
from volunteers.models import (
    AccountKind,
    ExchangeAgreement,
    LedgerEntry,
    LedgerTransaction,
    Reward,
    Voucher,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def t(territory):
    add_relative(territory)  # resident_a lives in community a
    return territory


def _reward(community, name="爱心超市 大米", cost=300, stock=5):
    return Reward.objects.create(
        community=community, name=name, kind="goods", cost=cost, stock=stock
    )


def _paid(t, points="2"):
    user = t.user("resident_a")
    ledger.award(user, Decimal(points), t.a.community, key=f"seed-{points}")
    return user


def _nothing_taken(reward, stock, user, balance) -> None:
    reward.refresh_from_db()
    assert reward.stock == stock
    assert not Voucher.objects.filter(holder=user).exists()
    assert actions.rewards.fufen_balance(user) == Decimal(balance)


def test_offers_carry_the_price_and_the_reason_beyond_the_balance(t):
    user = _paid(t, "2")
    cheap = _reward(t.a.community, "理发券", cost=150)
    dear = _reward(t.a.community, "家政服务1小时", cost=300)
    gone = _reward(t.a.community, "食用油", cost=100, stock=0)
    balance, offers = actions.offers_for(user)
    by_name = {o.reward.name: o for o in offers}
    assert balance == Decimal("2.00")
    assert by_name["理发券"].price == Decimal("1.50") and by_name["理发券"].redeemable
    assert by_name["家政服务1小时"].reason == "You need 1.00 more 福分."
    assert by_name["食用油"].reason == "All gone for now."
    assert [o.reward for o in offers] == [gone, cheap, dear]  # cheapest first


def test_rewards_page_shows_prices_and_disables_what_is_out_of_reach(client, t):
    user = _paid(t, "2")
    cheap = _reward(t.a.community, "理发券", cost=150)
    dear = _reward(t.a.community, "家政服务1小时", cost=300)
    client.force_login(user)
    page = client.get("/volunteers/rewards/").content.decode()
    assert "1.50 福分" in page and "3.00 福分" in page
    assert f'action="/volunteers/rewards/{cheap.pk}/redeem/"' in page
    assert f'action="/volunteers/rewards/{dear.pk}/redeem/"' not in page
    assert f'disabled aria-describedby="why-{dear.pk}"' in page
    assert "You need 1.00 more 福分." in page
    # The confirmation names the price, and there is no inline script to ask it.
    assert 'data-confirm="Spend 1.50 福分 on 理发券?"' in page
    assert "onsubmit" not in page and "<script>" not in page


def test_redeeming_beyond_the_balance_on_the_page_says_why_and_takes_nothing(client, t):
    user = _paid(t, "2")
    dear = _reward(t.a.community, cost=300, stock=5)
    client.force_login(user)
    r = client.post(f"/volunteers/rewards/{dear.pk}/redeem/", follow=True)
    assert r.status_code == 200
    assert "This reward costs 3.00 福分 and you have 2.00." in r.content.decode()
    _nothing_taken(dear, 5, user, "2.00")


def test_a_double_tap_redeems_once(client, t):
    user = _paid(t, "5")
    rice = _reward(t.a.community, cost=150, stock=5)
    client.force_login(user)
    key = "k" * 32
    first = client.post(f"/volunteers/rewards/{rice.pk}/redeem/", {"idempotency_key": key})
    second = client.post(f"/volunteers/rewards/{rice.pk}/redeem/", {"idempotency_key": key})
    assert first.status_code == second.status_code == 302
    assert Voucher.objects.filter(holder=user).count() == 1
    rice.refresh_from_db()
    assert rice.stock == 4 and actions.rewards.fufen_balance(user) == Decimal("3.50")


def test_another_communitys_reward_is_not_listed_nor_redeemable(client, t):
    user = _paid(t, "5")
    theirs = _reward(t.b.community, "乙社区 大米", cost=100, stock=3)
    _balance, offers = actions.offers_for(user)
    assert theirs not in [o.reward for o in offers]
    with pytest.raises(ValidationError) as refused:
        actions.redeem_reward(user, theirs)
    assert "no 通存通兑 agreement" in refused.value.message_dict["reward"][0]
    _nothing_taken(theirs, 3, user, "5.00")

    # The page: a clear message, never a 500, nothing saved.
    client.force_login(user)
    page = client.get("/volunteers/rewards/").content.decode()
    assert "乙社区 大米" not in page
    r = client.post(f"/volunteers/rewards/{theirs.pk}/redeem/", follow=True)
    assert r.status_code == 200 and "乙社区, which has no 通存通兑 agreement" in r.content.decode()
    # The API: not listed; posting its id is a 400 naming the reward, in Chinese by default.
    api = APIClient()
    api.force_authenticate(user)
    listed = api.get("/api/volunteers/rewards/").json()["results"]
    assert theirs.pk not in [row["id"] for row in listed]
    r = api.post(f"/api/volunteers/rewards/{theirs.pk}/redeem/")
    assert r.status_code == 400
    assert r.json()["reward"] == [
        "该奖励由乙社区提供，该社区与您所在社区没有通存通兑协议，不能用您的福分兑换。"
    ]
    _nothing_taken(theirs, 3, user, "5.00")
    assert not LedgerTransaction.objects.filter(kind="redeem").exists()


def test_an_agreement_lists_the_partners_rewards_and_clears_between_the_books(client, t):
    user = _paid(t, "5")
    theirs = _reward(t.b.community, "乙社区 大米", cost=100, stock=3)
    # Community staff cover only their own community: they cannot bind the other one.
    with pytest.raises(ValidationError, match="covering both communities"):
        actions.make_agreement(t.a.community, t.b.community, t.user("community_a"))
    agreement = actions.make_agreement(t.a.community, t.b.community, t.user("street"))
    again = actions.make_agreement(t.a.community, t.b.community, t.user("street"))
    assert again.pk == agreement.pk and ExchangeAgreement.objects.count() == 2  # both ways
    assert actions.agreement_holds(t.b.community, t.a.community)

    _balance, offers = actions.offers_for(user)
    offer = next(o for o in offers if o.reward == theirs)
    assert offer.partner and offer.redeemable
    client.force_login(user)
    page = client.get("/volunteers/rewards/").content.decode()
    assert "offered by 乙社区 (通存通兑)" in page

    voucher = actions.redeem_reward(user, theirs)
    legs = {
        (e.account.kind, e.account.community_id): e.amount
        for e in LedgerEntry.objects.filter(transaction=voucher.transaction).select_related(
            "account"
        )
    }
    assert legs == {
        (AccountKind.MEMBER, t.a.community.pk): -100,
        (AccountKind.CLEARING, t.a.community.pk): 100,
        (AccountKind.CLEARING, t.b.community.pk): -100,
        (AccountKind.REDEMPTION, t.b.community.pk): 100,
    }

    # Ended today: no longer listed, no longer redeemable; the voucher stays valid.
    actions.end_agreement(agreement, t.user("street"))
    assert not actions.agreement_holds(t.a.community, t.b.community)
    assert theirs not in [o.reward for o in actions.offers_for(user)[1]]
    with pytest.raises(ValidationError, match="no 通存通兑 agreement"):
        actions.redeem_reward(user, theirs)
    actions.use_voucher(voucher.code, t.user("community_b"))


def test_an_agreement_that_starts_tomorrow_does_not_hold_today(t):
    tomorrow = timezone.localdate() + timedelta(days=1)
    actions.make_agreement(t.a.community, t.b.community, t.user("street"), starts_on=tomorrow)
    assert not actions.agreement_holds(t.a.community, t.b.community)
    assert actions.agreement_holds(t.a.community, t.b.community, on=tomorrow)
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        actions.check_agreement(
            t.a.community, t.b.community, t.user("street"), tomorrow, tomorrow - timedelta(2)
        )
    with pytest.raises(ValidationError, match="other than the community itself"):
        actions.make_agreement(t.a.community, t.a.community, t.user("street"))


def test_the_admin_makes_an_agreement_through_the_action(client, t):
    client.force_login(t.user("street"))
    add = "/admin/volunteers/exchangeagreement/add/"
    today = timezone.localdate().isoformat()
    data = {"community": t.a.community.pk, "partner": t.b.community.pk, "starts_on": today}
    r = client.post(add, data)
    assert r.status_code == 302 and ExchangeAgreement.objects.count() == 2
    row = ExchangeAgreement.objects.get(community=t.a.community)
    r = client.post(
        "/admin/volunteers/exchangeagreement/", {"action": "end", "_selected_action": [row.pk]}
    )
    assert r.status_code == 302
    assert not actions.agreement_holds(t.b.community, t.a.community)
    # The community's own staff: the partner is outside their scope — a form error, no 500.
    client.force_login(t.user("community_a"))
    r = client.post(add, {**data, "partner": t.a.community.pk})
    assert r.status_code == 200 and r.context["adminform"].form.errors
    # The row cannot be edited or deleted through the generic form (the write path).
    client.force_login(t.user("street"))
    r = client.post(f"/admin/volunteers/exchangeagreement/{row.pk}/change/", data)
    assert r.status_code in (200, 403)
    assert ExchangeAgreement.objects.get(pk=row.pk).ends_on is not None


def test_rewards_page_queries_are_pinned(client, t, django_assert_max_num_queries):
    user = _paid(t, "5")
    actions.make_agreement(t.a.community, t.b.community, t.user("street"))
    for i in range(8):
        _reward(t.a.community if i % 2 else t.b.community, f"奖励{i}", cost=100 + i)
    client.force_login(user)
    client.get("/volunteers/rewards/")
    # 8, and one more when another test bumped the shared scope generation meanwhile.
    with django_assert_max_num_queries(9):
        r = client.get("/volunteers/rewards/")
    assert len(r.context["offers"]) == 8


def test_another_members_key_never_answers_with_their_voucher(t):
    user = _paid(t, "5")
    other = t.user("relative_a")
    ledger.award(other, Decimal(5), t.a.community, key="other")
    rice = _reward(t.a.community, cost=100)
    mine = actions.redeem_reward(user, rice, key="shared-key")
    theirs = actions.redeem_reward(other, rice, key="shared-key")
    assert mine.holder == user and theirs.holder == other and mine.pk != theirs.pk


def test_a_client_cannot_reach_the_redeem_url_anonymously():
    r = Client().post("/volunteers/rewards/1/redeem/")
    assert r.status_code == 302 and "/cases/login/" in r["Location"]
