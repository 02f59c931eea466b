"""The order flow: 点单 → 接单/派单 → QR check-in/out → 评单 → approval → points."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.volunteers.conftest import make_volunteer, place, serve
from volunteers import actions, ledger
from volunteers.models import (
    AccountBalance,
    LedgerTransaction,
    OrderStatus,
    PointsPolicy,
    PointType,
    ServiceOrder,
)

pytestmark = pytest.mark.django_db


def balance_of(user, code=PointType.FUFEN):
    return AccountBalance.objects.get(account__owner=user, account__point_type__code=code).balance


@pytest.fixture
def helper(territory):
    return make_volunteer(territory.user("grid_a"), territory.a.community)


def test_full_flow_pays_rounded_hours_once(territory, helper):
    t = territory
    order = place(t)
    order = serve(order, helper.user, minutes=80)
    assert order.status == OrderStatus.SERVED
    assert order.hours == Decimal("1.25")  # 80 minutes → nearest quarter hour
    order = actions.confirm_order(order, t.user("resident_a"), 5, "很好")
    assert order.status == OrderStatus.SETTLED
    assert balance_of(helper.user) == 125
    with pytest.raises(ValidationError) as err:
        actions.confirm_order(order, t.user("resident_a"), 5)
    assert "status" in err.value.message_dict
    assert balance_of(helper.user) == 125
    assert LedgerTransaction.objects.filter(source=f"order:{order.pk}").count() == 1


def test_hours_capped_per_activity(territory, helper):
    PointsPolicy.objects.create(
        community=territory.a.community,
        point_type=ledger.point_type(),
        max_hours_per_activity=Decimal(2),
    )
    order = serve(place(territory), helper.user, minutes=300)
    assert order.hours == Decimal(2)


def test_approval_required_pays_on_approval_once(territory, helper):
    t = territory
    PointsPolicy.objects.create(
        community=t.a.community, point_type=ledger.point_type(), approval_required=True
    )
    order = serve(place(t), helper.user, minutes=60)
    order = actions.confirm_order(order, t.user("resident_a"), 4)
    assert order.status == OrderStatus.CONFIRMED
    assert balance_of(helper.user) == 0
    with pytest.raises(ValidationError):
        actions.approve_order(order, t.user("community_b"))  # another community's staff
    actions.approve_order(order, t.user("community_a"))
    actions.approve_order(order, t.user("community_a"))  # delivered twice
    assert balance_of(helper.user) == 100
    assert ServiceOrder.objects.get(pk=order.pk).approved_by == t.user("community_a")


def test_party_member_earns_party_points_too(territory):
    t = territory
    member = make_volunteer(t.user("unit_a"), t.a.community, party=True)
    order = serve(place(t), member.user, minutes=120)
    order = actions.confirm_order(order, t.user("resident_a"), 5)
    assert balance_of(member.user) == 200
    assert balance_of(member.user, PointType.PARTY) == 200
    year = actions.party_year(member.user, order.settled_at.year)
    assert year["hours"] == Decimal(2) and not year["met"]


def test_check_out_before_check_in_is_refused(territory, helper):
    order = place(territory)
    actions.take_order(order, helper.user)
    with pytest.raises(ValidationError) as err:
        actions.check_out(order, helper.user, actions.qr_token(order, "out"))
    assert "status" in err.value.message_dict


def test_tampered_and_expired_qr_codes(territory, helper):
    order = place(territory)
    actions.take_order(order, helper.user)
    good = actions.qr_token(order, "in")
    tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
    for token in (tampered, "garbage", actions.qr_token(order, "out")):
        with pytest.raises(ValidationError, match="not valid"):
            actions.check_in(order, helper.user, token)
    old = actions.qr_token(order, "in", now=time.time() - 600)
    with pytest.raises(ValidationError, match="expired"):
        actions.check_in(order, helper.user, old)
    other = place(territory)
    with pytest.raises(ValidationError, match="not valid"):
        actions.check_in(order, helper.user, actions.qr_token(other, "in"))
    assert ServiceOrder.objects.get(pk=order.pk).status == OrderStatus.TAKEN


def test_radius_checked_when_both_positions_known(territory, helper):
    order = place(territory, latitude=Decimal("24.874"), longitude=Decimal("118.675"))
    actions.take_order(order, helper.user)
    with pytest.raises(ValidationError) as err:
        actions.check_in(order, helper.user, actions.qr_token(order, "in"), 24.9, 118.7)
    assert "location" in err.value.message_dict
    actions.check_in(order, helper.user, actions.qr_token(order, "in"), 24.8741, 118.6751)


def test_taking_twice_and_own_order_refused(territory, helper):
    t = territory
    other = make_volunteer(t.user("resident_b"), t.b.community)
    order = place(t)
    actions.take_order(order, helper.user)
    with pytest.raises(ValidationError, match="already taken"):
        actions.take_order(order, other.user)
    own = place(t, requester=helper.user)
    with pytest.raises(ValidationError):
        actions.take_order(own, helper.user)


def test_staff_order_for_elder_and_dispatch(territory, helper):
    t = territory
    order = place(t, requester=t.user("resident_a"), actor=t.user("community_a"))
    with pytest.raises(ValidationError):
        place(t, requester=t.user("resident_a"), actor=t.user("resident_b"))
    with pytest.raises(ValidationError):
        actions.assign_order(order, helper, t.user("community_b"))
    actions.assign_order(order, helper, t.user("community_a"))
    assert ServiceOrder.objects.get(pk=order.pk).volunteer == helper


def test_registration_needs_consent(territory):
    with pytest.raises(ValidationError) as err:
        actions.register_volunteer(
            territory.user("resident_a"),
            actions.Registration(
                community=territory.a.community, real_name="张三", phone="1", consent=False
            ),
        )
    assert "consent" in err.value.message_dict
