"""Who sees which case: territory by place subtree, departments by handling (current or
joint), residents their own and the ones they follow; nobody else. And who reads and changes
the catalogues: routing rules by their area, the rest only at city level."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from grids.models import Department, Role
from services import actions
from services.models import Case, Category, RoutingRule
from tests.territory import add, assign, make_user


def visible(desk, key) -> set[str]:
    return set(Case.objects.visible_to(desk.user(key)).values_list("number", flat=True))


def test_territorial_scope_follows_the_place_subtree(desk):
    a1 = desk.dispatched(place=desk.t.a.buildings[0])
    a2 = desk.dispatched(place=desk.t.a.buildings[1])
    b1 = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    assert visible(desk, "grid_a") == {a1.number}  # their own grid only
    assert visible(desk, "grid_b") == {b1.number}
    assert visible(desk, "community_a") == {a1.number, a2.number}
    assert visible(desk, "street") == visible(desk, "district") == {a1.number, a2.number, b1.number}
    assert visible(desk, "unit_a") == set()


def test_a_department_sees_what_it_handles_now_or_jointly(desk):
    water = desk.dispatched(category=desk.water)  # → 住建局 (other_department)
    road = desk.dispatched()
    assert visible(desk, "dept") == set()  # 城管局
    actions.sign_for(road, actor=desk.user("grid_a"))
    actions.add_joint_unit(road, actor=desk.user("community_a"), department=desk.t.department)
    assert visible(desk, "dept") == {road.number}
    assert water.number not in visible(desk, "dept")
    # Changeable is the same set for staff, never wider than visible.
    dept = desk.user("dept")
    assert set(Case.objects.changeable_by(dept).values_list("number", flat=True)) == {road.number}


def test_residents_see_their_own_and_followed_cases_only(desk):
    own = desk.file(actor=desk.user("resident_a"))
    other = desk.file(actor=desk.user("resident_b"), place=desk.t.a.buildings[0])
    assert visible(desk, "resident_a") == {own.number}
    assert visible(desk, "resident_b") == {other.number}
    actions.merge(other, actor=desk.user("community_a"), master=own)
    assert visible(desk, "resident_b") == {own.number, other.number}
    assert Case.objects.changeable_by(desk.user("resident_b")).count() == 0


def test_the_visible_query_is_one_statement(desk, django_assert_num_queries):
    desk.dispatched()
    user = desk.user("dept")
    from grids.scope import scope_for

    scope_for(user)  # the scope itself is read once per request and cached
    with django_assert_num_queries(1):
        list(Case.objects.visible_to(user))


def test_staff_see_a_case_they_reported_or_follow_outside_their_territory(desk):
    inside = desk.dispatched(place=desk.t.a.buildings[0])
    outside = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    # grid_a's own territory alone: the personal arms are left out of the query (none exist).
    assert visible(desk, "grid_a") == {inside.number}
    actions.follow(outside, actor=desk.user("grid_a"))
    assert visible(desk, "grid_a") == {inside.number, outside.number}
    # A case over the border that community_a reported (as a resident of it, say).
    reported = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[1])
    assert reported.number not in visible(desk, "community_a")
    Case.objects.filter(pk=reported.pk).update(reporter=desk.user("community_a"))
    assert reported.number in visible(desk, "community_a")


def test_territorial_staff_pay_one_small_existence_check(desk, django_assert_num_queries):
    desk.dispatched()
    user = desk.user("community_a")
    from grids.scope import scope_for

    scope_for(user)
    with django_assert_num_queries(2):  # "anything of mine outside my territory?" + the list
        list(Case.objects.visible_to(user))


# --- the catalogues: routing rules by area, the rest city-wide ------------------------------

RULES = "/api/services/routing-rules/"


@pytest.fixture
def districts(desk):
    """The test district, a second one beside it with its own staff, city staff, and one
    routing rule on each district and one for everywhere."""
    other = add(desk.t.city, name="另一区", kind="district")
    other_staff = make_user("other-district", staff=True)
    assign(other_staff, Role.DISTRICT_STAFF, area=other)
    city_staff = make_user("city", staff=True)
    assign(city_staff, Role.CITY_STAFF, area=desk.t.city)
    rule = RoutingRule.objects.create(category=desk.noise, area=desk.t.district, level="street")
    theirs = RoutingRule.objects.create(category=desk.noise, area=other, level="street")
    everywhere = RoutingRule.objects.get(category=desk.water)  # the desk's, for everywhere
    return {
        "other": other,
        "other_staff": other_staff,
        "city_staff": city_staff,
        "rule": rule,
        "theirs": theirs,
        "everywhere": everywhere,
    }


def _admin(rule, name="change"):
    return reverse(f"admin:services_routingrule_{name}", args=[rule.pk])


def _form(rule, **changes):
    data = {
        "category": rule.category_id or "",
        "area": rule.area_id or "",
        "level": rule.level,
        "department": rule.department_id or "",
        "priority": rule.priority,
        "is_active": "on",
    }
    return {**data, **changes}


def test_district_staff_cannot_touch_another_districts_routing_rule(client, desk, districts):
    theirs = districts["theirs"]
    client.force_login(desk.user("district"))
    assert client.get(_admin(theirs)).status_code == 404
    assert client.post(_admin(theirs), _form(theirs, priority=9)).status_code == 404
    assert client.post(_admin(theirs, "delete"), {"post": "yes"}).status_code == 404
    listed = client.get(reverse("admin:services_routingrule_changelist")).context["cl"].queryset
    assert theirs not in listed and districts["rule"] in listed
    # The bulk delete of the changelist cannot reach it either (not in the queryset).
    client.post(
        reverse("admin:services_routingrule_changelist"),
        {"action": "delete_selected", "_selected_action": [theirs.pk], "post": "yes"},
    )
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(desk.user("district"))
    assert api.get(f"{RULES}{theirs.pk}/").status_code == 404
    assert api.patch(f"{RULES}{theirs.pk}/", {"priority": 9}).status_code == 404
    assert api.delete(f"{RULES}{theirs.pk}/").status_code == 404
    assert theirs.pk not in {r["id"] for r in api.get(RULES).data["results"]}
    theirs.refresh_from_db()
    assert theirs.priority == 0
    # Nor place a new rule there.
    r = api.post(RULES, {"category": desk.noise.pk, "area": districts["other"].pk, "level": "grid"})
    assert r.status_code == 400 and "area" in r.data
    assert RoutingRule.objects.filter(area=districts["other"]).count() == 1


def test_district_staff_change_and_delete_their_own_rules_through_the_admin(
    client, desk, districts
):
    rule = districts["rule"]
    client.force_login(desk.user("district"))
    r = client.post(_admin(rule), _form(rule, priority=5))
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    rule.refresh_from_db()
    assert rule.priority == 5
    # Moving it out of their district, or to everywhere, is refused with a message.
    for area in (districts["other"].pk, ""):
        r = client.post(_admin(rule), _form(rule, area=area))
        assert r.status_code == 200 and r.context["adminform"].form.errors["area"]
    rule.refresh_from_db()
    assert rule.area == desk.t.district
    assert client.post(_admin(rule, "delete"), {"post": "yes"}).status_code == 302
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()


def test_a_district_routes_only_to_departments_inside_its_scope(client, desk, districts):
    """A district's rule cannot send its cases to another district's department (admin: not a
    choice; API: 400 naming the field); its own departments are fine."""
    rule = districts["rule"]
    elsewhere = Department.objects.create(name="别区城管局", area=districts["other"])
    own = Department.objects.create(name="本区水务局", area=desk.t.district)
    client.force_login(desk.user("district"))
    r = client.post(_admin(rule), _form(rule, level="department", department=elsewhere.pk))
    assert r.status_code == 200 and r.context["adminform"].form.errors["department"]
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(desk.user("district"))
    r = api.patch(f"{RULES}{rule.pk}/", {"level": "department", "department": elsewhere.pk})
    assert r.status_code == 400 and "department" in r.data
    rule.refresh_from_db()
    assert rule.department_id is None
    r = api.patch(f"{RULES}{rule.pk}/", {"level": "department", "department": own.pk})
    assert r.status_code == 200, r.data
    rule.refresh_from_db()
    assert rule.department == own


def test_rules_for_everywhere_and_city_wide_catalogues_are_read_only_below_the_city(
    client, desk, districts
):
    everywhere = districts["everywhere"]
    client.force_login(desk.user("district"))
    page = client.get(_admin(everywhere))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert client.post(_admin(everywhere), _form(everywhere, priority=9)).status_code == 403
    assert client.post(_admin(everywhere, "delete"), {"post": "yes"}).status_code == 403
    category = reverse("admin:services_category_change", args=[desk.noise.pk])
    assert client.get(category).status_code == 200
    assert client.post(category, {"name": "改名", "code": "noise", "sort": 0}).status_code == 403
    assert client.get(reverse("admin:services_category_add")).status_code == 403
    for name in ("timelimit", "holiday", "kpiconfig"):
        assert client.get(reverse(f"admin:services_{name}_add")).status_code == 403, name
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(desk.user("district"))
    assert api.get(f"{RULES}{everywhere.pk}/").status_code == 200
    assert api.patch(f"{RULES}{everywhere.pk}/", {"priority": 9}).status_code == 404
    assert api.patch(f"/api/services/categories/{desk.noise.pk}/", {"sort": 3}).status_code == 403
    everywhere.refresh_from_db()
    desk.noise.refresh_from_db()
    assert everywhere.priority == 0 and desk.noise.name == "噪音扰民" and desk.noise.sort == 0

    # City staff (a scope that is the whole city) change both.
    client.force_login(districts["city_staff"])
    assert client.post(_admin(everywhere), _form(everywhere, priority=9)).status_code == 302
    assert client.post(category, {"name": "噪音", "code": "noise", "sort": 0}).status_code == 302
    everywhere.refresh_from_db()
    assert everywhere.priority == 9 and Category.objects.get(pk=desk.noise.pk).name == "噪音"


def test_staff_read_the_rules_above_their_area_but_not_beside_it(desk, districts):
    rules = set(RoutingRule.objects.visible_to(desk.user("community_a")))
    assert rules == {districts["rule"], districts["everywhere"]}
    assert set(RoutingRule.objects.changeable_by(desk.user("community_a"))) == set()
    assert set(RoutingRule.objects.changeable_by(desk.user("district"))) == {districts["rule"]}
    assert set(RoutingRule.objects.visible_to(desk.user("resident_a"))) == set()
    assert set(RoutingRule.objects.changeable_by(districts["city_staff"])) == set(
        RoutingRule.objects.all()
    )
