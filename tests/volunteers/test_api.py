"""The time-bank API: the order flow, 400s naming the field, 404 out of scope, points,
redemption with an idempotency key, voucher scan once, the public wall, and the schema."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.volunteers.conftest import add_relative, make_volunteer, place
from volunteers import actions, ledger
from volunteers.models import Reward, ServiceCategory, ServiceOrder

pytestmark = pytest.mark.django_db


def api(user=None):
    c = APIClient()
    if user:
        c.force_authenticate(user)
    return c


@pytest.fixture
def t(territory):
    add_relative(territory)
    return territory


def test_order_flow_over_the_api(t):
    helper = make_volunteer(t.user("grid_a"), t.a.community)
    category = ServiceCategory.objects.create(name="助餐")
    resident, vol = api(t.user("resident_a")), api(helper.user)
    body = {
        "category": category.pk,
        "description": "送餐",
        "place": "甲1号楼",
        "scheduled_at": (timezone.now() + timedelta(hours=5)).isoformat(),
        "estimated_hours": "1",
    }
    r = resident.post("/api/volunteers/orders/", {**body, "estimated_hours": "30"}, format="json")
    assert r.status_code == 400 and "estimated_hours" in r.json()
    r = resident.post("/api/volunteers/orders/", body, format="json")
    assert r.status_code == 201, r.content
    oid = r.json()["id"]
    assert vol.get("/api/volunteers/orders/?status=open").json()["results"][0]["id"] == oid
    assert vol.post(f"/api/volunteers/orders/{oid}/take/").json()["status"] == "taken"
    r = vol.post(f"/api/volunteers/orders/{oid}/check-out/", {"token": "x"}, format="json")
    assert r.status_code == 400 and "status" in r.json()
    token = resident.get(f"/api/volunteers/orders/{oid}/qr/").json()["token"]
    r = vol.post(f"/api/volunteers/orders/{oid}/check-in/", {"token": token + "0"}, format="json")
    assert r.status_code == 400 and "token" in r.json()
    assert vol.get(f"/api/volunteers/orders/{oid}/qr/").status_code == 404
    r = vol.post(f"/api/volunteers/orders/{oid}/check-in/", {"token": token}, format="json")
    assert r.json()["status"] == "in_service"
    ServiceOrder.objects.filter(pk=oid).update(checked_in_at=timezone.now() - timedelta(hours=1))
    token = resident.get(f"/api/volunteers/orders/{oid}/qr/").json()["token"]
    vol.post(f"/api/volunteers/orders/{oid}/check-out/", {"token": token}, format="json")
    r = resident.post(f"/api/volunteers/orders/{oid}/confirm/", {"rating": 7}, format="json")
    assert r.status_code == 400 and "rating" in r.json()
    r = resident.post(f"/api/volunteers/orders/{oid}/confirm/", {"rating": 5}, format="json")
    assert r.json()["status"] == "settled"
    r = resident.post(f"/api/volunteers/orders/{oid}/confirm/", {"rating": 5}, format="json")
    assert r.status_code == 400
    points = vol.get("/api/volunteers/me/points/").json()
    assert points["balance"] == "1.00" and points["history"][0]["kind"] == "award"


def test_orders_of_another_community_are_404_and_absent(t):
    order = place(t)
    other = api(t.user("resident_b"))
    assert other.get(f"/api/volunteers/orders/{order.pk}/").status_code == 404
    assert other.get("/api/volunteers/orders/").json()["results"] == []
    assert (
        api(t.user("community_b")).post(f"/api/volunteers/orders/{order.pk}/approve/").status_code
        == 404
    )
    assert api(t.user("community_a")).get(f"/api/volunteers/orders/{order.pk}/").status_code == 200


def test_redeem_with_key_and_scan_once(t):
    user = t.user("resident_a")
    ledger.award(user, Decimal(5), t.a.community, key="a")
    reward = Reward.objects.create(
        community=t.a.community, name="家政1小时", kind="housekeeping", cost=300, stock=5
    )
    c = api(user)
    first = c.post(f"/api/volunteers/rewards/{reward.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="k-1")
    again = c.post(f"/api/volunteers/rewards/{reward.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and first.json()["code"] == again.json()["code"]
    r = c.post(f"/api/volunteers/rewards/{reward.pk}/redeem/", HTTP_IDEMPOTENCY_KEY="k-2")
    assert r.status_code == 400 and r.json()["reward"] == [
        "兑换该奖励需要 3.00 福分，您现有 2.00 福分。"
    ]
    shop = api(t.user("community_a"))
    code = first.json()["code"]
    assert shop.post("/api/volunteers/vouchers/use/", {"code": code}).status_code == 200
    r = shop.post("/api/volunteers/vouchers/use/", {"code": code})
    assert r.status_code == 400 and "code" in r.json()
    assert (
        api(t.user("community_b")).post("/api/volunteers/vouchers/use/", {"code": code}).status_code
        == 400
    )


def test_public_wall_and_schema(t):
    actions.post_wish(t.user("community_a"), t.a.community, "轮椅一台", "张爷爷", "13900001111")
    r = api().get("/api/volunteers/wishes/")
    row = r.json()["results"][0]
    assert row["title"] == "轮椅一台" and "张爷爷" not in str(r.json())
    schema = api(t.user("superuser")).get("/api/schema/")
    assert schema.status_code == 200 and b"/api/volunteers/orders/{id}/check-in/" in schema.content


def test_gift_donate_and_wish_claim_over_the_api(t):
    giver = t.user("resident_a")
    ledger.award(giver, Decimal(3), t.a.community, key="a")
    c = api(giver)
    r = c.post(
        "/api/volunteers/me/gift/",
        {"recipient": t.user("relative_a").pk, "points": "1"},
        HTTP_IDEMPOTENCY_KEY="g-1",
    )
    again = c.post(
        "/api/volunteers/me/gift/",
        {"recipient": t.user("relative_a").pk, "points": "1"},
        HTTP_IDEMPOTENCY_KEY="g-1",
    )
    assert r.status_code == 201 and r.json() == again.json()
    r = c.post("/api/volunteers/me/gift/", {"recipient": t.user("resident_b").pk, "points": "1"})
    assert r.status_code == 400 and "recipient" in r.json()
    r = c.post("/api/volunteers/me/donate/", {"points": "5"})
    assert r.status_code == 400 and "amount" in r.json()
    assert c.post("/api/volunteers/me/donate/", {"points": "2"}).status_code == 201
    assert api(giver).get("/api/volunteers/me/points/").json()["balance"] == "0.00"

    wish = actions.post_wish(t.user("community_a"), t.a.community, "书包", "小明")
    assert api().post(f"/api/volunteers/wishes/{wish.pk}/claim/").status_code in (401, 403)
    unit = api(t.user("unit_a"))
    assert unit.post(f"/api/volunteers/wishes/{wish.pk}/claim/").json()["status"] == "claimed"
    r = api(t.user("grid_a")).post(f"/api/volunteers/wishes/{wish.pk}/claim/")
    assert r.status_code == 400 and "status" in r.json()
    assert unit.post(f"/api/volunteers/wishes/{wish.pk}/fulfil/").json()["status"] == "fulfilled"
