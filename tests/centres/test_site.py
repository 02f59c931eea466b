"""The public site and the staff pages: finder, centre page (pinned queries), sign-up,
my things, calendar files, QR images, booking and affairs forms, scan-to-check-in, the
admin week and the attendees export."""

from __future__ import annotations

import io
from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from centres import actions
from centres.models import (
    Activity,
    AffairItem,
    AppointmentSlot,
    Booking,
    Centre,
    OpeningHours,
    Service,
    SignUp,
)
from tests.centres.conftest import at

pytestmark = pytest.mark.django_db


def _today_at(minutes: int):
    """A moment today in Shanghai (the page lists today's activities): `minutes` after now, or
    after midnight when that would already be tomorrow (the suite also runs at 23:45)."""
    now = timezone.localtime()
    later = now + timedelta(minutes=minutes)
    if later.date() != now.date():
        later = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(minutes=minutes)
    return later


def login(client, user):
    client.force_login(user)
    return client


class TestFinder:
    def test_lists_filters_and_orders_by_distance(self, client, world):
        Service.objects.create(
            centre=world.b, function=world.function(world.b, "food"), name="长者食堂"
        )
        page = client.get(reverse("centres:finder")).content.decode()
        assert world.a.name in page and world.b.name in page
        page = client.get(reverse("centres:finder"), {"function": "food"}).content.decode()
        assert world.b.name in page and world.a.name not in page
        page = client.get(
            reverse("centres:finder"), {"community": world.t.a.community.pk}
        ).content.decode()
        assert world.a.name in page and world.b.name not in page
        near_b = client.get(reverse("centres:finder"), {"lat": 24.951, "lng": 118.631})
        body = near_b.content.decode()
        assert body.index(world.b.name) < body.index(world.a.name)
        assert "m away" in body

    def test_bad_input_is_not_a_500(self, client, world):
        for params in ({"lat": "north", "lng": "x"}, {"community": "999999"}, {"page": "zz"}):
            assert client.get(reverse("centres:finder"), params).status_code == 200


class TestCentrePage:
    def test_shows_functions_services_today_and_open_state(self, client, world):
        Service.objects.create(
            centre=world.a, function=world.function(world.a, "elderly"), name="老年助餐", min_age=60
        )
        world.activity(title="今天的合唱", starts_at=_today_at(minutes=30), capacity=3)
        body = client.get(reverse("centres:centre", args=[world.a.pk])).content.decode()
        assert "老年助餐" in body and "aged 60 or over" in body
        assert "今天的合唱" in body and "Places left: 3" in body
        assert "老有所养" in body and ("Open now" in body or "Closed now" in body)

    def test_query_count_is_fixed_whatever_the_size(
        self, client, world, django_assert_max_num_queries
    ):
        centre = world.a
        for i in range(30):
            Service.objects.create(
                centre=centre, function=world.function(centre, "leisure"), name=f"服务{i}"
            )
            world.activity(title=f"活动{i}", starts_at=_today_at(minutes=5 + i), capacity=5)
        with django_assert_max_num_queries(10):
            response = client.get(reverse("centres:centre", args=[centre.pk]))
        assert response.status_code == 200 and "服务29" in response.content.decode()
        # Warm: the functions, services, hours and rooms come from the cache.
        with django_assert_max_num_queries(3):
            response = client.get(reverse("centres:centre", args=[centre.pk]))
        assert "服务29" in response.content.decode() and "活动29" in response.content.decode()

    def test_the_cached_part_follows_every_change(self, client, world):
        centre = world.a
        url = reverse("centres:centre", args=[centre.pk])
        service = Service.objects.create(
            centre=centre, function=world.function(centre), name="书法班"
        )
        assert "书法班" in client.get(url).content.decode()
        service.name = "国画班"
        service.save()
        assert "国画班" in client.get(url).content.decode()
        world.space_a.name = "音乐教室"
        world.space_a.save()
        assert "音乐教室" in client.get(url).content.decode()
        service.delete()
        assert "国画班" not in client.get(url).content.decode()
        OpeningHours.objects.filter(centre=centre).delete()
        assert "Closed now" in client.get(url).content.decode()

    def test_inactive_or_missing_centres_are_404(self, client, world):
        Centre.objects.filter(pk=world.b.pk).update(is_active=False)
        assert client.get(reverse("centres:centre", args=[world.b.pk])).status_code == 404
        assert client.get(reverse("centres:centre", args=[999999])).status_code == 404


class TestSignUpOnTheSite:
    def test_sign_up_then_see_it_with_a_qr_code(self, client, world):
        user = world.resident_user("r1")
        activity = world.activity(capacity=1)
        login(client, user)
        response = client.post(reverse("centres:sign-up", args=[activity.pk]))
        assert response.status_code == 302 and response.url == reverse("centres:mine")
        signup = SignUp.objects.get(user=user)
        mine = client.get(reverse("centres:mine")).content.decode()
        assert activity.title in mine and signup.code in mine
        qr = client.get(reverse("centres:qr", args=[signup.code]))
        assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
        assert b"<svg" in qr.content
        # Someone else's code is nobody's business.
        login(client, world.resident_user("r2"))
        assert client.get(reverse("centres:qr", args=[signup.code])).status_code == 404

    def test_errors_come_back_as_messages(self, client, world):
        user = world.resident_user("r1")
        activity = world.activity(signup_opens_at=at(1))
        login(client, user)
        response = client.post(reverse("centres:sign-up", args=[activity.pk]), follow=True)
        assert "Sign-up opens at" in response.content.decode()
        assert not SignUp.objects.exists()

    def test_anonymous_is_sent_to_log_in(self, client, world):
        activity = world.activity()
        response = client.post(reverse("centres:sign-up", args=[activity.pk]))
        assert response.status_code == 302 and "login" in response.url
        assert (
            "Log in to sign up"
            in client.get(reverse("centres:activity", args=[activity.pk])).content.decode()
        )

    def test_cancel_from_my_page_frees_the_place(self, client, world):
        user = world.resident_user("r1")
        activity = world.activity(capacity=1)
        signup = actions.sign_up(activity, actor=user)
        other = world.resident_user("r2")
        login(client, other)
        assert client.post(reverse("centres:cancel-signup", args=[signup.pk])).status_code == 404
        login(client, user)
        client.post(reverse("centres:cancel-signup", args=[signup.pk]))
        assert SignUp.objects.get(pk=signup.pk).status == "cancelled"


class TestCalendars:
    def test_activity_ics_and_centre_feed(self, client, world):
        activity = world.activity(title="防诈骗讲座, 第一期", starts_at=at(2, 9, 30))
        body = client.get(reverse("centres:activity-ics", args=[activity.pk])).content.decode()
        assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
        start_utc = activity.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        assert f"DTSTART:{start_utc}" in body
        assert "SUMMARY:防诈骗讲座\\, 第一期" in body
        assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
        feed = client.get(reverse("centres:calendar", args=[world.a.pk]))
        assert feed["Content-Type"].startswith("text/calendar")
        assert feed.content.decode().count("BEGIN:VEVENT") == 1
        assert "UID:centres-activity-" in feed.content.decode()


class TestForms:
    def test_booking_overlap_is_a_form_error_naming_the_slot(self, client, world):
        actions.book_space(
            world.space_a,
            actor=world.user("resident_b"),
            starts_at=at(3, 9),
            ends_at=at(3, 11),
            purpose="x",
        )
        login(client, world.user("resident_a"))
        data = {
            "day": at(3).date().isoformat(),
            "start": "10:00",
            "end": "12:00",
            "purpose": "合唱",
            "attendees": 10,
            "weeks": 1,
        }
        response = client.post(reverse("centres:book-space", args=[world.space_a.pk]), data)
        assert response.status_code == 400
        assert "is already booked" in response.content.decode()
        data.update(start="11:00", end="12:00")
        response = client.post(reverse("centres:book-space", args=[world.space_a.pk]), data)
        assert response.status_code == 302
        assert Booking.objects.filter(booked_by=world.user("resident_a")).count() == 1
        data.update(start="xx")
        assert (
            client.post(reverse("centres:book-space", args=[world.space_a.pk]), data).status_code
            == 400
        )

    def test_affairs_appointment(self, client, world):
        item = AffairItem.objects.create(
            area=world.t.city, name="居住证明开具", department="街道办"
        )
        slot = AppointmentSlot.objects.create(
            centre=world.a, starts_at=at(1, 18, 30), ends_at=at(1, 20), capacity=1, off_hours=True
        )
        page = client.get(reverse("centres:affairs", args=[world.a.pk])).content.decode()
        assert "居住证明开具" in page and "off-hours" in page
        login(client, world.user("resident_a"))
        response = client.post(
            reverse("centres:affairs", args=[world.a.pk]),
            {"slot": slot.pk, "item": item.pk, "channel": "at_centre"},
        )
        assert response.status_code == 302
        login(client, world.user("resident_b"))
        response = client.post(
            reverse("centres:affairs", args=[world.a.pk]),
            {"slot": slot.pk, "item": item.pk, "channel": "at_centre"},
        )
        assert response.status_code == 400 and "is full" in response.content.decode()
        response = client.post(
            reverse("centres:affairs", args=[world.a.pk]),
            {"slot": "abc", "item": item.pk, "channel": "teleport"},
        )
        assert response.status_code == 400


class TestStaffPages:
    def _started_signup(self, world):
        activity = world.activity(capacity=2)
        signup = actions.sign_up(activity, actor=world.resident_user("r1"))
        # Started five minutes ago, but today in Shanghai (the week page starts today): at
        # 00:03 it started at midnight.
        now = timezone.localtime()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        Activity.objects.filter(pk=activity.pk).update(
            starts_at=max(now - timedelta(minutes=5), midnight),
            ends_at=now + timedelta(hours=1),
        )
        return activity, signup

    def test_scan_to_check_in(self, client, world):
        _activity, signup = self._started_signup(world)
        login(client, world.user("operator_b"))
        response = client.post(reverse("centres:check-in"), {"code": signup.code})
        assert response.status_code == 400 and "No sign-up or booking" in response.content.decode()
        login(client, world.user("operator_a"))
        response = client.post(reverse("centres:check-in"), {"code": signup.code})
        assert response.status_code == 200 and "Checked in" in response.content.decode()
        response = client.post(reverse("centres:check-in"), {"code": signup.code})
        assert "Already checked in" in response.content.decode()
        login(client, world.user("resident_a"))
        assert client.get(reverse("centres:check-in")).status_code == 404

    def test_week_at_a_glance_and_attendees_export(self, client, world):
        activity, signup = self._started_signup(world)
        login(client, world.user("operator_a"))
        week = client.get(reverse("admin:centres_centre_week", args=[world.a.pk]))
        assert week.status_code == 200 and activity.title in week.content.decode()
        assert (
            client.get(reverse("admin:centres_centre_week", args=[world.b.pk])).status_code == 404
        )
        xlsx = client.get(reverse("admin:centres_activity_attendees", args=[activity.pk]))
        assert xlsx.status_code == 200
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "Name"
        assert rows[1][0] == signup.name and rows[1][2] == "confirmed"
        login(client, world.user("operator_b"))
        assert (
            client.get(reverse("admin:centres_activity_attendees", args=[activity.pk])).status_code
            == 404
        )


def test_staff_record_an_appointment_in_the_admin(client, world):
    item = AffairItem.objects.create(
        area=world.t.city, name="高龄津贴申领", department="区民政局", proxy=True
    )
    slot = AppointmentSlot.objects.create(
        centre=world.a, starts_at=at(1, 9), ends_at=at(1, 10), capacity=2
    )
    appointment = actions.book_appointment(
        slot, actor=world.user("resident_a"), item=item, channel="proxy"
    )
    url = reverse("admin:centres_appointment_change", args=[appointment.pk])
    client.force_login(world.user("operator_a"))
    data = {"status": "done", "outcome": "已代办", "acting_for": "甲居民", "consent": ""}
    response = client.post(url, data)
    assert response.status_code == 200 and "consented" in response.content.decode()
    response = client.post(url, {**data, "consent": "本人签署委托书"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "done" and appointment.handled_by == world.user("operator_a")
    client.force_login(world.user("operator_b"))
    assert client.get(url).status_code == 404


def test_an_activity_cannot_use_another_centres_function_or_space(world):
    from django.core.exceptions import ValidationError

    activity = Activity(
        centre=world.a,
        function=world.function(world.b),
        space=world.space_b,
        title="x",
        kind="class",
        starts_at=at(2),
        ends_at=at(2, 12),
        capacity=5,
    )
    with pytest.raises(ValidationError) as exc:
        activity.full_clean()
    assert "function" in exc.value.message_dict


def test_staff_sign_up_a_resident_in_the_admin(client, world):
    from grids.models import Resident

    activity = world.activity(capacity=1)
    resident = Resident.objects.filter(household=world.t.a.households[0]).first()
    url = reverse("admin:centres_activity_sign_up", args=[activity.pk])
    client.force_login(world.user("operator_b"))
    assert client.get(url).status_code == 404
    client.force_login(world.user("community_a"))
    page = client.get(url, {"q": resident.name}).content.decode()
    assert resident.name in page
    other_side = client.get(url, {"q": "乙居民"}).content.decode()
    assert "No resident in your area matches." in other_side
    response = client.post(url, {"resident": resident.pk}, follow=True)
    assert "confirmed" in response.content.decode()
    signup = SignUp.objects.get(activity=activity, resident=resident)
    assert signup.signed_up_by == world.user("community_a")
    response = client.post(url, {"resident": resident.pk}, follow=True)
    assert "already signed up" in response.content.decode()
    other = Resident.objects.filter(household=world.t.b.households[0]).first()
    response = client.post(url, {"resident": other.pk}, follow=True)
    assert "No such resident" in response.content.decode()
