"""Scope: a centre's operator and the staff of one community see nothing of the other
community's centre: not in lists, counts or search, and 404 on the object (admin and API)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from rest_framework.test import APIClient

from centres import actions
from centres.models import (
    AffairItem,
    Agreement,
    AppointmentSlot,
    Blackout,
    Booking,
    Centre,
    ListItem,
    Operator,
    OperatorContract,
    Order,
    Service,
    ServiceVisit,
    SignUp,
)
from grids.models import CoBuildingUnit
from tests.centres.conftest import at

pytestmark = pytest.mark.django_db

OUTSIDERS = ["operator_a", "community_a", "grid_a", "resident_a", "unit_a"]
INSIDERS = ["operator_b", "community_b", "street", "district"]


def _objects_of_b(world) -> dict:
    """One object of every kind, all at side b's centre, with a marker in its text."""
    b = world.b
    unit = CoBuildingUnit.objects.get(name="共建单位b")
    operator = Operator.objects.create(
        name="乙方运营MARK", area=world.t.b.community, status="approved"
    )
    service = Service.objects.create(centre=b, function=world.function(b), name="乙服务MARK")
    activity = world.activity(b, title="乙活动MARK", capacity=1)
    resident = world.resident_user("r_b", side="b")
    signup = actions.sign_up(activity, actor=resident)
    booking = actions.book_space(
        world.space_b, actor=resident, starts_at=at(3, 9), ends_at=at(3, 10), purpose="乙预约MARK"
    )
    slot = AppointmentSlot.objects.create(centre=b, starts_at=at(1, 9), ends_at=at(1, 10))
    item = AffairItem.objects.create(area=world.t.city, name="事项", department="街道办")
    appointment = actions.book_appointment(slot, actor=resident, item=item)
    listitem = ListItem.objects.create(
        kind="service", centre=b, unit=unit, title="乙清单MARK", quota=2
    )
    return {
        "centre": b,
        "operator": operator,
        "operatorcontract": OperatorContract.objects.create(
            operator=operator,
            centre=b,
            starts_on=at(0).date(),
            ends_on=at(300).date(),
            terms="MARK",
        ),
        "service": service,
        "servicevisit": ServiceVisit.objects.create(
            service=service, at=at(0), resident_name="MARK"
        ),
        "space": world.space_b,
        "blackout": Blackout.objects.create(
            centre=b, starts_at=at(9), ends_at=at(10), reason="MARK"
        ),
        "booking": booking,
        "activity": activity,
        "signup": signup,
        "appointmentslot": slot,
        "appointment": appointment,
        "agreement": Agreement.objects.create(
            centre=b, unit=unit, starts_on=at(0).date(), ends_on=at(300).date(), commitments="MARK"
        ),
        "listitem": listitem,
        "order": actions.request_order(listitem, actor=resident, note="MARK"),
    }


def test_every_admin_list_and_page_hides_the_other_side(client, world):
    objects = _objects_of_b(world)
    for key in OUTSIDERS:
        user = world.user(key)
        client.force_login(user)
        for name, obj in objects.items():
            changelist = reverse(f"admin:centres_{name}_changelist")
            response = client.get(changelist)
            assert response.status_code in (200, 302, 403), (key, name, response.status_code)
            if response.status_code == 200:
                body = response.content.decode()
                assert "MARK" not in body and str(obj) not in body, (key, name)
                assert client.get(changelist, {"q": "MARK"}).status_code == 200
            change = reverse(f"admin:centres_{name}_change", args=[obj.pk])
            assert client.get(change).status_code in (302, 403, 404), (key, name)
    for key in INSIDERS:
        client.force_login(world.user(key))
        for name, obj in objects.items():
            response = client.get(reverse(f"admin:centres_{name}_change", args=[obj.pk]))
            assert response.status_code == 200, (key, name, response.status_code)


def test_admin_changelists_render_for_every_staff_role(client, world):
    _objects_of_b(world)
    for key in ("operator_a", "community_a", "grid_a", "street", "superuser"):
        client.force_login(world.user(key))
        for model in admin.site._registry:
            if model._meta.app_label != "centres":
                continue
            url = reverse(f"admin:centres_{model._meta.model_name}_changelist")
            assert client.get(url).status_code in (200, 302, 403), (key, url)


def test_the_api_hides_the_other_side(world):
    objects = _objects_of_b(world)
    api = APIClient(headers={"accept-language": "en"})
    for key in OUTSIDERS:
        api.force_authenticate(world.user(key))
        for route, name in (
            ("signups", "signup"),
            ("bookings", "booking"),
            ("appointments", "appointment"),
            ("services", "service"),
        ):
            listing = api.get(f"/api/centres/{route}/")
            assert listing.status_code in (200, 403), (key, route)
            if listing.status_code == 200:
                assert listing.json()["count"] == 0, (key, route)
            detail = api.get(f"/api/centres/{route}/{objects[name].pk}/")
            assert detail.status_code in (403, 404), (key, route)
        r = api.post(f"/api/centres/signups/{objects['signup'].pk}/cancel/")
        assert r.status_code in (403, 404)
        r = api.post(f"/api/centres/bookings/{objects['booking'].pk}/decide/", {"approve": True})
        assert r.status_code in (403, 404)
    assert SignUp.objects.get(pk=objects["signup"].pk).status == "confirmed"
    assert Booking.objects.get(pk=objects["booking"].pk).status == "confirmed"
    api.force_authenticate(world.user("operator_b"))
    assert api.get("/api/centres/signups/").json()["count"] == 1


def test_operators_see_their_whitelist_and_contracted_operators_only(world):
    objects = _objects_of_b(world)
    assert not Operator.objects.visible_to(world.user("community_a")).exists()
    assert list(Operator.objects.visible_to(world.user("community_b"))) == [objects["operator"]]
    assert list(Operator.objects.visible_to(world.user("operator_b"))) == [objects["operator"]]
    assert not Operator.objects.visible_to(world.user("operator_a")).exists()
    # Only those who keep the whitelist change it, not a centre's operator staff.
    assert not Operator.objects.changeable_by(world.user("operator_b")).exists()
    assert Operator.objects.changeable_by(world.user("community_b")).exists()
    assert Centre.objects.visible_to(world.user("operator_a")).get() == world.a
    assert Order.objects.visible_to(world.user("unit_b")).count() == 1
    assert Order.objects.visible_to(world.user("unit_a")).count() == 0
