"""Private numbers: masked for everyone but staff whose scope covers the resident, and every
audited reveal lands in an access log that nobody can edit or delete."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.http import Http404

from grids.models import AccessLog
from grids.privacy import (
    mask_id_number,
    mask_phone,
    may_see_private,
    reveal,
    reveal_on_record,
    shown_id_number,
    shown_phone,
    visible_tags,
)


def test_masks_keep_the_recognisable_parts():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_number("350502198001011234") == "350502********1234"
    assert mask_phone("") == "" and mask_phone(None) == ""
    assert mask_phone("12345") == "*****"


@pytest.mark.parametrize(
    "key,full",
    [
        ("superuser", True),
        ("district", True),
        ("street", True),
        ("community_a", True),
        ("grid_a", True),  # the resident lives in grid a's first grid
        ("community_b", False),
        ("grid_b", False),
        ("dept", False),
        ("resident_a", False),  # even one's own household list is masked
        ("resident_b", False),
        ("unit_a", False),
        ("anonymous", False),
    ],
)
def test_who_sees_a_number_in_full(territory, key, full):
    resident = territory.a.households[0].residents.get()
    user = territory.user(key)
    building = territory.a.buildings[0]
    assert may_see_private(user, building) is full
    phone = shown_phone(user, resident.phone, building)
    id_number = shown_id_number(user, resident.id_number, building)
    if full:
        assert (phone, id_number) == (resident.phone, resident.id_number)
    else:
        assert phone == mask_phone(resident.phone) and "*" in phone
        assert id_number == mask_id_number(resident.id_number) and "*" in id_number


def test_a_reveal_is_logged_with_who_whose_and_why(territory):
    resident = territory.a.households[0].residents.get()
    user = territory.user("community_a")
    assert reveal(user, resident, "phone", "上门核实低保") == resident.phone
    assert reveal(user, resident.pk, "id_number", "办理证明") == resident.id_number
    log = list(AccessLog.objects.order_by("at", "pk"))
    assert [(e.viewer_id, e.resident_id, e.field, e.reason) for e in log] == [
        (user.pk, resident.pk, "phone", "上门核实低保"),
        (user.pk, resident.pk, "id_number", "办理证明"),
    ]
    assert log[0].area_id == territory.a.buildings[0].pk and log[0].resident_name == resident.name


@pytest.mark.parametrize(
    "key,error",
    [
        ("community_b", Http404),
        ("grid_b", Http404),
        ("dept", Http404),
        ("resident_b", Http404),
        ("resident_a", PermissionDenied),
    ],
)
def test_no_reveal_outside_the_scope_and_nothing_logged(territory, key, error):
    resident = territory.a.households[0].residents.get()
    with pytest.raises(error):
        reveal(territory.user(key), resident, "phone", "好奇")
    assert not AccessLog.objects.exists()


def test_a_reveal_needs_a_reason_and_a_known_field(territory):
    resident = territory.a.households[0].residents.get()
    user = territory.user("community_a")
    with pytest.raises(ValidationError) as err:
        reveal(user, resident, "phone", "  ")
    assert "reason" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        reveal(user, resident, "password", "x")
    assert "field" in err.value.message_dict
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    "key,handles,allowed",
    [
        ("community_a", False, True),
        ("grid_a", False, True),
        ("community_b", False, False),
        ("dept", False, False),
        ("dept", True, True),  # the handling department must reach the reporter
        ("resident_a", True, False),  # never anyone but staff
    ],
)
def test_a_number_on_a_record_is_revealed_to_the_area_or_the_handler(
    territory, key, handles, allowed
):
    user = territory.user(key)
    building = territory.a.buildings[0]
    kwargs = {"phone": "13812345678", "name": "李阿姨", "area": building, "record": "2026120700001"}
    if not allowed:
        with pytest.raises(PermissionDenied):
            reveal_on_record(user, reason="联系", handles=handles, **kwargs)
        assert not AccessLog.objects.exists()
        return
    with pytest.raises(ValidationError) as err:
        reveal_on_record(user, reason=" ", handles=handles, **kwargs)
    assert "reason" in err.value.message_dict and not AccessLog.objects.exists()
    assert reveal_on_record(user, reason="联系", handles=handles, **kwargs) == "13812345678"
    entry = AccessLog.objects.get()
    assert (entry.viewer_id, entry.resident_id, entry.resident_name, entry.record) == (
        user.pk,
        None,
        "李阿姨",
        "2026120700001",
    )
    assert (entry.area_id, entry.field, entry.reason) == (building.pk, "phone", "联系")


def test_the_database_refuses_to_change_or_delete_the_log(territory):
    resident = territory.a.households[0].residents.get()
    reveal(territory.user("street"), resident, "phone", "走访")
    entry = AccessLog.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).update(reason="改写")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).delete()
    assert AccessLog.objects.get().reason == "走访"


def test_sensitive_tags_only_for_the_territorys_staff(territory):
    resident = territory.a.households[0].residents.get()
    resident.subsistence = resident.disabled = True
    resident.save()
    assert visible_tags(territory.user("grid_a"), resident) == ["disabled", "subsistence"]
    assert visible_tags(territory.user("superuser"), resident) == ["disabled", "subsistence"]
    for key in ("grid_b", "community_b", "dept", "resident_a", "unit_a"):
        assert visible_tags(territory.user(key), resident) == []
