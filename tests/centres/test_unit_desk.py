"""Co-building from the public site: a resident orders a unit's service at a centre, the
community places it, the unit accepts it on its desk within its quota; other units and
other people never see or act on it."""

from __future__ import annotations

import pytest
from django.http import HttpRequest

from centres import actions
from centres.models import ListItem, Order
from grids.models import CoBuildingUnit
from tests.territory import PASSWORD


@pytest.fixture
def item(world):
    unit = CoBuildingUnit.objects.get(name="共建单位a")
    return ListItem.objects.create(
        kind="service", centre=world.a, unit=unit, title="修电路", quota=1
    )


def test_resident_orders_and_the_unit_accepts_within_quota(client, world, item):
    resident = world.resident_user("neighbour")
    client.force_login(resident)
    page = client.get(f"/centres/{world.a.pk}/co-building/")
    assert page.status_code == 200 and "修电路" in page.content.decode()

    response = client.post(f"/centres/co-building/{item.pk}/order/", {"note": "楼道灯坏了"})
    assert response.status_code == 302
    order = Order.objects.get(item=item)
    assert order.requested_by == resident and order.status == "requested"

    # An empty note is refused and writes nothing.
    client.post(f"/centres/co-building/{item.pk}/order/", {"note": "  "}, follow=True)
    assert Order.objects.filter(item=item).count() == 1

    actions.place_order(order, actor=world.user("community_a"))
    client.login(request=HttpRequest(), username="unit_a", password=PASSWORD)
    desk = client.get("/centres/unit/")
    assert "楼道灯坏了" in desk.content.decode()
    client.post(f"/centres/unit/orders/{order.pk}/accept/")
    order.refresh_from_db()
    item.refresh_from_db()
    assert order.status == "accepted" and item.claimed == 1

    # The quota of one is used up: a second placed order is refused with a message.
    second = Order.objects.create(item=item, requested_by=resident, note="再修一次")
    actions.place_order(second, actor=world.user("community_a"))
    shown = client.post(f"/centres/unit/orders/{second.pk}/accept/", follow=True)
    second.refresh_from_db()
    assert second.status == "placed" and "quota" in shown.content.decode()


def test_other_units_and_residents_get_404(client, world, item):
    order = Order.objects.create(item=item, note="x")
    actions.place_order(order, actor=world.user("community_a"))
    client.login(request=HttpRequest(), username="unit_b", password=PASSWORD)
    assert "x</p>" not in client.get("/centres/unit/").content.decode()
    assert client.post(f"/centres/unit/orders/{order.pk}/accept/").status_code == 404
    client.login(request=HttpRequest(), username="resident_a", password=PASSWORD)
    assert client.get("/centres/unit/").status_code == 404
    assert client.post(f"/centres/unit/orders/{order.pk}/accept/").status_code == 404
    order.refresh_from_db()
    assert order.status == "placed"


def test_unit_desk_costs_the_same_whatever_the_number_of_orders(
    client, world, item, django_assert_max_num_queries
):
    item.quota = 100
    item.save()
    client.login(request=HttpRequest(), username="unit_a", password=PASSWORD)
    for n in range(30):
        order = Order.objects.create(item=item, note=f"需要{n}")
        actions.place_order(order, actor=world.user("community_a"))
        if n % 2:
            actions.accept_order(order, actor=world.user("unit_a"))
    with django_assert_max_num_queries(9):
        assert client.get("/centres/unit/").status_code == 200
