"""The write path in the admin: every side door into what centres.actions owns is shut or
wired to the operation (bookings, sign-ups, activities' places and cancelling, co-building
orders), and the affairs catalogue is edited by area."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from centres import actions
from centres.models import AffairItem, Booking, Order, SignUp
from grids.models import Role
from notifications.models import Notification
from tests.centres.conftest import at
from tests.territory import assign, make_user

pytestmark = pytest.mark.django_db


def _url(model: str, view: str, *args) -> str:
    return reverse(f"admin:centres_{model}_{view}", args=args)


def _act(client, model: str, action: str, objects, **extra):
    return client.post(
        _url(model, "changelist"),
        {"action": action, "_selected_action": [o.pk for o in objects], **extra},
    )


class TestBookings:
    def test_the_admin_form_cannot_change_status_times_or_space(self, client, world):
        booking = actions.book_space(
            world.space_a,
            actor=world.user("resident_a"),
            starts_at=at(3, 9),
            ends_at=at(3, 10),
            purpose="合唱",
        )
        for staff in (world.user("operator_a"), world.t.user("superuser")):
            client.force_login(staff)
            assert client.get(_url("booking", "change", booking.pk)).status_code == 200
            response = client.post(
                _url("booking", "change", booking.pk),
                {
                    "space": world.space_a.pk,
                    "starts_at_0": f"{at(5):%Y-%m-%d}",
                    "starts_at_1": "09:00",
                    "ends_at_0": f"{at(5):%Y-%m-%d}",
                    "ends_at_1": "12:00",
                    "status": "cancelled",
                    "purpose": "改了",
                    "attendees": 1,
                    "booked_by": booking.booked_by_id,
                },
            )
            assert response.status_code == 403
            assert client.post(_url("booking", "add"), {}).status_code == 403
            assert (
                client.post(_url("booking", "delete", booking.pk), {"post": "yes"}).status_code
                == 403
            )
        booking.refresh_from_db()
        assert (booking.status, booking.starts_at, booking.purpose) == (
            "confirmed",
            at(3, 9),
            "合唱",
        )

    def test_decisions_and_cancelling_are_admin_actions_calling_the_operations(self, client, world):
        world.space_a.needs_approval = True
        world.space_a.save()
        pending = actions.book_space(
            world.space_a,
            actor=world.user("resident_a"),
            starts_at=at(3, 9),
            ends_at=at(3, 10),
            purpose="合唱",
        )
        client.force_login(world.user("operator_a"))
        _act(client, "booking", "approve", [pending])
        pending.refresh_from_db()
        assert pending.status == "confirmed" and pending.decided_by == world.user("operator_a")
        assert Notification.objects.filter(
            recipient=world.user("resident_a"), kind="booking", link="/centres/me/#my-bookings"
        ).exists()
        _act(client, "booking", "cancel", [pending])
        assert Booking.objects.get(pk=pending.pk).status == "cancelled"


class TestSignUps:
    def test_deleting_a_sign_up_in_the_admin_is_refused(self, client, world):
        activity = world.activity(capacity=1)
        signup = actions.sign_up(activity, actor=world.user("resident_a"))
        for staff in (world.user("operator_a"), world.t.user("superuser")):
            client.force_login(staff)
            response = client.post(_url("signup", "delete", signup.pk), {"post": "yes"})
            assert response.status_code == 403
            _act(client, "signup", "delete_selected", [signup], post="yes")
        assert SignUp.objects.filter(pk=signup.pk, status="confirmed").exists()
        activity.refresh_from_db()
        assert activity.confirmed_count == 1

    def test_the_cancel_action_frees_the_place_for_the_waitlist(self, client, world):
        activity = world.activity(capacity=1)
        first = actions.sign_up(activity, actor=world.resident_user("r1"))
        waiting = actions.sign_up(activity, actor=world.resident_user("r2"))
        client.force_login(world.user("operator_a"))
        _act(client, "signup", "cancel", [first])
        waiting.refresh_from_db()
        assert waiting.status == "confirmed"
        assert Notification.objects.filter(
            recipient_id=waiting.user_id,
            kind="promoted",
            link=f"/centres/activities/{activity.pk}/",
        ).exists()
        activity.refresh_from_db()
        assert (activity.confirmed_count, activity.waitlist_count) == (1, 0)


class TestActivities:
    def test_cancel_activity_tells_everyone_signed_up(self, world):
        activity = world.activity(capacity=1)
        confirmed = actions.sign_up(activity, actor=world.resident_user("r1"))
        waiting = actions.sign_up(activity, actor=world.resident_user("r2"))
        with pytest.raises(ValidationError) as exc:
            actions.cancel_activity(activity, actor=world.user("operator_a"), reason=" ")
        assert "reason" in exc.value.message_dict
        with pytest.raises(ValidationError):
            actions.cancel_activity(activity, actor=world.user("operator_b"), reason="下雨")
        actions.cancel_activity(activity, actor=world.user("operator_a"), reason="台风停课")
        for signup in (confirmed, waiting):
            signup.refresh_from_db()
            assert signup.status == "cancelled" and signup.cancelled_at is not None
            notice = Notification.objects.get(recipient_id=signup.user_id, kind="cancelled")
            assert notice.recipient_id == signup.user_id and "台风停课" in notice.body
        activity.refresh_from_db()
        assert activity.is_cancelled
        assert (activity.confirmed_count, activity.waitlist_count) == (0, 0)
        with pytest.raises(ValidationError):
            actions.sign_up(activity, actor=world.resident_user("r3"))

    def test_the_admin_cancels_through_the_operation_with_a_reason(self, client, world):
        activity = world.activity()
        signup = actions.sign_up(activity, actor=world.resident_user("r1"))
        client.force_login(world.user("operator_a"))
        page = _act(client, "activity", "cancel", [activity])
        assert page.status_code == 200 and "reason" in page.content.decode()
        assert not Notification.objects.filter(recipient_id=signup.user_id).exists()
        _act(client, "activity", "cancel", [activity], apply="1", reason="场地维修")
        notice = Notification.objects.get(recipient_id=signup.user_id, kind="cancelled")
        assert notice.body.endswith("场地维修")

    def test_raising_capacity_promotes_the_waitlist(self, world):
        activity = world.activity(capacity=1)
        actions.sign_up(activity, actor=world.resident_user("r1"))
        second = actions.sign_up(activity, actor=world.resident_user("r2"))
        third = actions.sign_up(activity, actor=world.resident_user("r3"))
        actions.change_capacity(activity, actor=world.user("operator_a"), capacity=2)
        second.refresh_from_db()
        third.refresh_from_db()
        assert (second.status, third.status) == ("confirmed", "waitlisted")
        assert Notification.objects.filter(recipient_id=second.user_id, kind="promoted").exists()
        activity.refresh_from_db()
        assert (activity.capacity, activity.confirmed_count, activity.waitlist_count) == (2, 2, 1)

    def test_fewer_places_than_confirmed_is_refused_in_chinese(self, world):
        activity = world.activity(capacity=3)
        for i in range(2):
            actions.sign_up(activity, actor=world.resident_user(f"r{i}"))
        with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
            actions.change_capacity(activity, actor=world.user("operator_a"), capacity=1)
        message = " ".join(exc.value.message_dict["capacity"])
        assert "已有 2 人确认" in message, message
        activity.refresh_from_db()
        assert (activity.capacity, activity.confirmed_count) == (3, 2)
        actions.change_capacity(activity, actor=world.user("operator_a"), capacity=2)

    def _form(self, activity, **changes) -> dict:
        data = {
            "function": activity.function_id,
            "space": "",
            "title": activity.title,
            "kind": activity.kind,
            "description": "",
            "starts_at_0": f"{activity.starts_at.astimezone():%Y-%m-%d}",
            "starts_at_1": f"{at(2):%H:%M}",
            "ends_at_0": f"{activity.ends_at.astimezone():%Y-%m-%d}",
            "ends_at_1": "12:00",
            "capacity": activity.capacity,
            "reserved_places": activity.reserved_places,
            "is_published": "on",
        }
        data.update(changes)
        return data

    def test_the_admin_form_changes_places_through_the_operation(self, client, world):
        activity = world.activity(capacity=1)
        actions.sign_up(activity, actor=world.resident_user("r1"))
        waiting = actions.sign_up(activity, actor=world.resident_user("r2"))
        client.force_login(world.user("operator_a"))
        url = _url("activity", "change", activity.pk)
        response = client.post(url, self._form(activity, capacity=0))
        assert response.status_code == 200
        assert "1 people already have a confirmed place" in response.content.decode()
        response = client.post(url, self._form(activity, capacity=2, title="太极拳（加场）"))
        assert response.status_code == 302
        waiting.refresh_from_db()
        assert waiting.status == "confirmed"
        activity.refresh_from_db()
        assert (activity.title, activity.capacity, activity.confirmed_count) == (
            "太极拳（加场）",
            2,
            2,
        )
        # The cancelled flag and the counters are not in the form; an activity is not deleted.
        client.post(url, self._form(activity, is_cancelled="on", confirmed_count=0))
        activity.refresh_from_db()
        assert not activity.is_cancelled and activity.confirmed_count == 2
        assert client.post(
            _url("activity", "delete", activity.pk), {"post": "yes"}
        ).status_code == (403)

    def test_the_admin_adds_an_activity_only_at_the_staff_members_centre(self, client, world):
        client.force_login(world.user("operator_a"))
        data = self._form(world.activity(), title="书法班")
        response = client.post(_url("activity", "add"), {**data, "centre": world.a.pk})
        assert response.status_code == 302
        created = world.a.activities.get(title="书法班")
        assert (created.confirmed_count, created.is_cancelled) == (0, False)
        response = client.post(_url("activity", "add"), {**data, "centre": world.b.pk})
        assert response.status_code == 200  # not a choice the operator has
        assert not world.b.activities.filter(title="书法班").exists()


def test_co_building_orders_are_read_only_and_move_by_actions(client, world):
    from centres.models import ListItem
    from grids.models import CoBuildingUnit

    unit = CoBuildingUnit.objects.get(name="共建单位a")
    item = ListItem.objects.create(
        kind="service", centre=world.a, unit=unit, title="修电路", quota=1
    )
    order = actions.request_order(item, actor=world.user("resident_a"), note="插座坏了")
    client.force_login(world.user("community_a"))
    response = client.post(_url("order", "change", order.pk), {"status": "completed"})
    assert response.status_code == 403
    assert client.post(_url("order", "delete", order.pk), {"post": "yes"}).status_code == 403
    assert Order.objects.get(pk=order.pk).status == "requested"
    _act(client, "order", "place", [order])
    assert Order.objects.get(pk=order.pk).status == "placed"
    # The unit takes it on its own desk (through the scope: another unit's order is a 404).
    client.force_login(world.user("unit_b"))
    assert client.post(reverse("centres:accept-order", args=[order.pk])).status_code == 404
    client.force_login(world.user("unit_a"))
    client.post(reverse("centres:accept-order", args=[order.pk]))
    assert Order.objects.get(pk=order.pk).status == "accepted"
    client.force_login(world.user("community_a"))
    _act(client, "order", "complete_kept", [order])
    order.refresh_from_db()
    assert (order.status, order.promise_kept) == ("completed", True)


class TestAffairsCatalogue:
    def _item(self, area, name):
        return AffairItem.objects.create(area=area, name=name, department="民政")

    def _data(self, item, **changes):
        return {
            "area": item.area_id,
            "name": item.name,
            "department": item.department,
            "time_limit_days": 0,
            "at_centre": "on",
            "is_active": "on",
            **changes,
        }

    def test_district_staff_edit_their_own_items_not_the_citys(self, client, world):
        city_item = self._item(world.t.city, "居住证明")
        own = self._item(world.t.district, "高龄津贴")
        client.force_login(world.t.user("district"))
        url = _url("affairitem", "change", own.pk)
        assert client.post(url, self._data(own, name="高龄津贴申领")).status_code == 302
        assert AffairItem.objects.get(pk=own.pk).name == "高龄津贴申领"
        # The city's item: read, not changed, not deleted.
        url = _url("affairitem", "change", city_item.pk)
        assert client.get(url).status_code == 200
        assert client.post(url, self._data(city_item, name="改名")).status_code == 403
        delete = _url("affairitem", "delete", city_item.pk)
        assert client.post(delete, {"post": "yes"}).status_code == 403
        # Nor can they put a new item on the city.
        response = client.post(_url("affairitem", "add"), self._data(city_item, name="新事项"))
        assert response.status_code == 200
        assert not AffairItem.objects.filter(name__in=["改名", "新事项"]).exists()

    def test_city_staff_edit_the_citys_items(self, client, world):
        city_item = self._item(world.t.city, "居住证明")
        city_staff = make_user("city", staff=True)
        assign(city_staff, Role.CITY_STAFF, area=world.t.city)
        client.force_login(city_staff)
        url = _url("affairitem", "change", city_item.pk)
        assert client.post(url, self._data(city_item, name="居住证明开具")).status_code == 302
        assert AffairItem.objects.get(pk=city_item.pk).name == "居住证明开具"

    def test_community_staff_and_operators_read_what_applies_to_them(self, client, world):
        city_item = self._item(world.t.city, "居住证明")
        b_only = self._item(world.t.b.community, "乙社区事项")
        for user in (world.t.user("community_a"), world.user("operator_a")):
            client.force_login(user)
            listed = client.get(_url("affairitem", "changelist")).context["cl"].queryset
            assert city_item in listed and b_only not in listed
            url = _url("affairitem", "change", city_item.pk)
            assert client.get(url).status_code == 200
            assert client.post(url, self._data(city_item, name="改名")).status_code == 403
            assert client.get(_url("affairitem", "change", b_only.pk)).status_code == 404

    def test_a_centre_offers_the_items_of_its_community_and_above(self, world):
        from centres.models import AppointmentSlot

        b_only = self._item(world.t.b.community, "乙社区事项")
        assert set(AffairItem.objects.offered_at(world.b)) == {b_only}
        assert not AffairItem.objects.offered_at(world.a).exists()
        slot = AppointmentSlot.objects.create(centre=world.a, starts_at=at(1, 9), ends_at=at(1, 10))
        with pytest.raises(ValidationError) as exc:
            actions.book_appointment(slot, actor=world.user("resident_a"), item=b_only)
        assert "not handled at this centre" in " ".join(exc.value.message_dict["item"])


def test_catalogue_forms_word_what_the_database_would_refuse(client, world):
    """A slot's capacity below its bookings, a unit's quota below what it took: a message on
    the field, not the database's error page."""
    from centres.models import AppointmentSlot, ListItem
    from grids.models import CoBuildingUnit

    item = AffairItem.objects.create(area=world.t.city, name="居住证明", department="街道办")
    slot = AppointmentSlot.objects.create(
        centre=world.a, starts_at=at(1, 9), ends_at=at(1, 10), capacity=1
    )
    actions.book_appointment(slot, actor=world.user("resident_a"), item=item)
    unit = CoBuildingUnit.objects.get(name="共建单位a")
    listed = ListItem.objects.create(
        kind="service", centre=world.a, unit=unit, title="修电路", quota=1
    )
    order = actions.request_order(listed, actor=world.user("resident_a"), note="插座坏了")
    actions.place_order(order, actor=world.user("community_a"))
    actions.accept_order(order, actor=world.user("unit_a"))
    client.force_login(world.user("community_a"))
    response = client.post(
        _url("appointmentslot", "change", slot.pk),
        {
            "centre": world.a.pk,
            "starts_at_0": f"{at(1):%Y-%m-%d}",
            "starts_at_1": "09:00",
            "ends_at_0": f"{at(1):%Y-%m-%d}",
            "ends_at_1": "10:00",
            "capacity": 0,
        },
    )
    assert response.status_code == 200
    assert "1 appointments are booked in this slot" in response.content.decode()
    response = client.post(
        _url("listitem", "change", listed.pk),
        {"kind": "service", "centre": world.a.pk, "unit": unit.pk, "title": "修电路", "quota": 0},
    )
    assert response.status_code == 200
    assert "accepted 1 orders already" in response.content.decode()
    assert ListItem.objects.get(pk=listed.pk).quota == 1
