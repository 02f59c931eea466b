"""The centres API: sign-up and cancel, 代报名, bookings, check-in, appointments, services
edited by their centre's operator, figures; bad input is a 400 naming the field, never a 500;
and the OpenAPI schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from centres import actions
from centres.models import (
    Activity,
    AffairItem,
    Appointment,
    AppointmentSlot,
    Booking,
    ListItem,
    Order,
    Service,
    ServiceVisit,
    SignUp,
)
from grids.models import CoBuildingUnit, Resident
from tests.centres.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient(headers={"accept-language": "en"})


def as_(api, user):
    api.force_authenticate(user)
    return api


class TestSignUps:
    def test_sign_up_twice_and_cancel(self, api, world):
        user = world.resident_user("r1")
        activity = world.activity(capacity=1)
        as_(api, user)
        r = api.post("/api/centres/signups/", {"activity": activity.pk}, format="json")
        assert r.status_code == 201 and r.json()["status"] == "confirmed"
        r = api.post("/api/centres/signups/", {"activity": activity.pk}, format="json")
        assert r.status_code == 400 and "already signed up" in r.json()["activity"][0]
        pk = SignUp.objects.get(user=user).pk
        r = api.post(f"/api/centres/signups/{pk}/cancel/")
        assert r.status_code == 200 and r.json()["status"] == "cancelled"
        assert api.get("/api/centres/signups/").json()["count"] == 1

    @pytest.mark.parametrize(
        "body, field",
        [
            ({}, "activity"),
            ({"activity": "x"}, "activity"),
            ({"activity": 99999999}, "activity"),
            ({"activity": 1, "resident": "zz"}, "resident"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field(self, api, world, body, field):
        as_(api, world.resident_user("r1"))
        r = api.post("/api/centres/signups/", body, format="json")
        assert r.status_code == 400 and field in r.json()

    def test_on_behalf_by_staff_and_not_by_residents(self, api, world):
        activity = world.activity(capacity=3)
        resident = Resident.objects.filter(household=world.t.a.households[0]).first()
        as_(api, world.user("resident_a"))
        r = api.post(
            "/api/centres/signups/",
            {"activity": activity.pk, "resident": resident.pk},
            format="json",
        )
        assert r.status_code == 400
        as_(api, world.user("community_b"))
        r = api.post(
            "/api/centres/signups/",
            {"activity": activity.pk, "resident": resident.pk},
            format="json",
        )
        assert r.status_code == 400 and "resident" in r.json()  # not in their scope
        as_(api, world.user("community_a"))
        r = api.post(
            "/api/centres/signups/",
            {"activity": activity.pk, "resident": resident.pk},
            format="json",
        )
        assert r.status_code == 201


class TestBookingsAndCheckIn:
    def test_book_overlap_check_in(self, api, world):
        as_(api, world.user("resident_a"))
        body = {
            "space": world.space_a.pk,
            "starts_at": at(3, 9).isoformat(),
            "ends_at": at(3, 11).isoformat(),
            "purpose": "书法班",
            "attendees": 12,
        }
        r = api.post("/api/centres/bookings/", body, format="json")
        assert r.status_code == 201
        as_(api, world.user("resident_b"))
        r = api.post(
            "/api/centres/bookings/", {**body, "starts_at": at(3, 10).isoformat()}, format="json"
        )
        assert r.status_code == 400 and "already booked" in r.json()["starts_at"][0]
        r = api.post("/api/centres/bookings/", {**body, "starts_at": "tomorrow"}, format="json")
        assert r.status_code == 400 and "starts_at" in r.json()
        r = api.post("/api/centres/bookings/", {**body, "space": 0}, format="json")
        assert r.status_code == 400 and "space" in r.json()
        # Check-in: staff of the centre, once.
        booking = Booking.objects.get()
        Booking.objects.filter(pk=booking.pk).update(
            starts_at=timezone.now() - timedelta(minutes=5),
            ends_at=timezone.now() + timedelta(hours=1),
        )
        as_(api, world.user("resident_a"))
        assert api.post("/api/centres/check-in/", {"code": booking.code}).status_code == 404
        as_(api, world.user("operator_a"))
        r = api.post("/api/centres/check-in/", {"code": booking.code})
        assert (
            r.status_code == 200 and r.json()["kind"] == "booking" and r.json()["status"] == "used"
        )
        r = api.post("/api/centres/check-in/", {"code": booking.code})
        assert r.status_code == 400 and "Already checked in" in r.json()["code"][0]


class TestAppointments:
    def test_book_and_record(self, api, world):
        item = AffairItem.objects.create(
            area=world.t.city, name="医保异地就医备案", department="区医保局", proxy=True
        )
        slot = AppointmentSlot.objects.create(
            centre=world.a, starts_at=at(1, 9), ends_at=at(1, 10), capacity=2
        )
        as_(api, world.user("resident_a"))
        r = api.post(
            "/api/centres/appointments/", {"slot": slot.pk, "item": item.pk, "channel": "proxy"}
        )
        assert r.status_code == 201
        r = api.post(
            "/api/centres/appointments/", {"slot": slot.pk, "item": item.pk, "channel": "fax"}
        )
        assert r.status_code == 400 and "channel" in r.json()
        pk = Appointment.objects.get().pk
        as_(api, world.user("operator_b"))
        assert (
            api.post(f"/api/centres/appointments/{pk}/record/", {"status": "done"}).status_code
            == 404
        )
        as_(api, world.user("operator_a"))
        r = api.post(
            f"/api/centres/appointments/{pk}/record/",
            {"status": "done", "outcome": "已代办", "acting_for": "甲居民"},
        )
        assert r.status_code == 400 and "consent" in r.json()
        r = api.post(
            f"/api/centres/appointments/{pk}/record/",
            {"status": "done", "outcome": "已代办", "acting_for": "甲居民", "consent": "电话确认"},
        )
        assert r.status_code == 200 and r.json()["status"] == "done"


class TestServices:
    def test_operator_edits_only_their_own_centres_services(self, api, world):
        mine = Service.objects.create(centre=world.a, function=world.function(world.a), name="书法")
        theirs = Service.objects.create(
            centre=world.b, function=world.function(world.b), name="舞蹈"
        )
        as_(api, world.user("operator_a"))
        names = [s["name"] for s in api.get("/api/centres/services/").json()["results"]]
        assert names == ["书法"]
        assert (
            api.patch(f"/api/centres/services/{mine.pk}/", {"schedule": "周二"}).status_code == 200
        )
        assert (
            api.patch(f"/api/centres/services/{theirs.pk}/", {"schedule": "x"}).status_code == 404
        )
        r = api.post(
            "/api/centres/services/",
            {"centre": world.b.pk, "function": world.function(world.b).pk, "name": "越界"},
        )
        assert r.status_code == 400
        r = api.post(
            "/api/centres/services/",
            {"centre": world.a.pk, "function": world.function(world.b).pk, "name": "错功能"},
        )
        assert r.status_code == 400 and "function" in r.json()
        r = api.post(
            "/api/centres/services/",
            {
                "centre": world.a.pk,
                "function": world.function(world.a).pk,
                "name": "x",
                "price": "5",
            },
        )
        assert r.status_code == 400 and "price" in r.json()
        assert not Service.objects.filter(name__in=["越界", "错功能", "x"]).exists()
        assert Service.objects.get(pk=theirs.pk).schedule == ""


class TestFigures:
    def test_figures_per_centre_and_function(self, api, client, world):
        leisure = world.function(world.a, "leisure")
        service = Service.objects.create(centre=world.a, function=leisure, name="阅览")
        ServiceVisit.objects.create(service=service, at=timezone.now(), quantity=3)
        activity = world.activity(capacity=1)
        r1, r2 = world.resident_user("r1"), world.resident_user("r2")
        s1 = actions.sign_up(activity, actor=r1)
        actions.sign_up(activity, actor=r2)
        Activity.objects.filter(pk=activity.pk).update(
            starts_at=timezone.now() - timedelta(minutes=30),
            ends_at=timezone.now() + timedelta(minutes=30),
        )
        actions.check_in(s1.code, actor=world.user("operator_a"))
        actions.book_space(
            world.space_a, actor=r1, starts_at=at(1, 10), ends_at=at(1, 11), purpose="书画"
        )
        unit = CoBuildingUnit.objects.get(name="共建单位a")
        item = ListItem.objects.create(
            kind="service", centre=world.a, unit=unit, title="修电路", quota=3
        )
        order = actions.request_order(item, actor=r1, note="插座")
        actions.place_order(order, actor=world.user("community_a"))
        actions.accept_order(order, actor=world.user("unit_a"))
        actions.complete_order(
            order, actor=world.user("community_a"), promise_kept=True, satisfaction=4
        )
        ListItem.objects.filter(pk=item.pk).update(function=world.function(world.a, "elderly"))
        Order.objects.filter(pk=order.pk).update(completed_at=timezone.now())

        as_(api, world.user("operator_a"))
        period = {"start": at(-1).date().isoformat(), "end": at(2).date().isoformat()}
        body = api.get("/api/centres/figures/", period).json()
        assert next(r for r in body["rows"] if r["function"] == "")["bookings"] == 1
        leisure_row = next(r for r in body["rows"] if r["function"] == "leisure")
        assert leisure_row["services_given"] == 3
        assert (leisure_row["signups"], leisure_row["attended"]) == (1, 1)
        elderly = next(r for r in body["rows"] if r["function"] == "elderly")
        assert (elderly["orders_taken"], elderly["orders_completed"]) == (1, 1)
        assert body["units"][0]["kept"] == 1 and body["units"][0]["satisfaction"] == 4
        # Another community's staff see none of it.
        as_(api, world.user("operator_b"))
        assert api.get("/api/centres/figures/").json()["rows"] == []
        assert api.get("/api/centres/figures/", {"centre": world.a.pk}).status_code == 404
        assert api.get("/api/centres/figures/", {"start": "soon"}).status_code == 400
        assert (
            api.get(
                "/api/centres/figures/", {"start": "2026-02-01", "end": "2026-01-01"}
            ).status_code
            == 400
        )
        as_(api, world.user("resident_a"))
        assert api.get("/api/centres/figures/").status_code == 404
        # The admin page shows the same rows.
        client.force_login(world.user("community_a"))
        page = client.get("/admin/centres/centre/figures/").content.decode()
        assert world.a.name in page and "共建单位a" in page


def test_openapi_schema_lists_the_centre_endpoints(api, world):
    as_(api, world.user("community_a"))
    r = api.get("/api/schema/", {"format": "json"})
    paths = r.json()["paths"]
    for p in (
        "/api/centres/signups/",
        "/api/centres/bookings/",
        "/api/centres/figures/",
        "/api/centres/check-in/",
    ):
        assert p in paths


def test_the_order_flow_through_the_api(api, world):
    unit = CoBuildingUnit.objects.get(name="共建单位a")
    item = ListItem.objects.create(
        kind="service", centre=world.a, unit=unit, title="修电路", quota=1
    )
    as_(api, world.user("resident_a"))
    assert api.get("/api/centres/lists/", {"centre": world.a.pk}).json()["count"] == 1
    r = api.post("/api/centres/orders/", {"item": item.pk, "note": "插座冒火花"})
    assert r.status_code == 201
    pk = r.json()["id"]
    assert api.post("/api/centres/orders/", {"item": item.pk}).status_code == 400
    assert api.post(f"/api/centres/orders/{pk}/place/").status_code == 400  # not staff
    as_(api, world.user("community_a"))
    assert api.post(f"/api/centres/orders/{pk}/place/").json()["status"] == "placed"
    as_(api, world.user("unit_b"))
    assert api.post(f"/api/centres/orders/{pk}/accept/").status_code == 404
    as_(api, world.user("unit_a"))
    assert api.post(f"/api/centres/orders/{pk}/accept/").json()["status"] == "accepted"
    as_(api, world.user("community_a"))
    r = api.post(f"/api/centres/orders/{pk}/complete/", {"promise_kept": True, "satisfaction": 9})
    assert r.status_code == 400 and "satisfaction" in r.json()
    r = api.post(f"/api/centres/orders/{pk}/complete/", {"promise_kept": True, "satisfaction": 5})
    assert r.json()["status"] == "completed"
