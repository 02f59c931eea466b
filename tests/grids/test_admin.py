"""The staff admin of the territory: the tree with counts per node (constant queries), search,
the subtree filter, autocompletes and choices inside the scope, moves, Excel in and out."""

from __future__ import annotations

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from grids import actions
from grids.models import AccessLog, Area, GridTeamMember, Household, PartyOrg, PartyOrgKind
from grids.privacy import mask_phone, reveal
from tests.grids.test_excel import xlsx

AREAS = "admin:grids_area_changelist"


def names(response) -> list[str]:
    return [o.name for o in response.context["cl"].result_list]


def parent_of(node):
    return Area.objects.get(path=node.path[: -Area.steplen])


def test_the_tree_starts_at_the_users_scope_with_counts(client, territory):
    t = territory
    actions.create_party_org(parent_of(t.a.buildings[0]), kind=PartyOrgKind.BRANCH, name="支部")
    client.force_login(t.user("community_a"))
    response = client.get(reverse(AREAS))
    assert response.status_code == 200
    assert names(response) == ["甲社区"]
    node = response.context["cl"].result_list[0]
    assert (node.n_grids, node.n_households, node.n_estates, node.n_estates_branch) == (5, 2, 2, 1)
    body = response.content.decode()
    assert "50%" in body and "乙社区" not in body
    children = client.get(f"/admin/grids/area/children/{t.a.community.pk}/")
    assert children.status_code == 200
    assert "甲一级网格" in json.loads(children.content)["result_html"]
    assert client.get(f"/admin/grids/area/children/{t.b.community.pk}/").status_code == 404
    change = reverse("admin:grids_area_change", args=[t.b.community.pk])
    assert client.get(change).status_code == 404
    # Search runs over the whole visible tree, never beyond it.
    assert names(client.get(reverse(AREAS), {"q": "网格1"})) == ["甲网格1", "甲网格1-1"]
    assert names(client.get(reverse(AREAS), {"q": "乙"})) == []


@pytest.mark.parametrize("extra", [2, 25])
def test_the_tree_page_takes_constant_queries(
    client, territory, extra, django_assert_max_num_queries
):
    g1 = parent_of(parent_of(territory.a.grids[0]))
    for i in range(extra):
        g1.refresh_from_db()
        Area.objects.add_child(g1, {"name": f"加网格{i}", "kind": "grid", "grid_level": 2})
    client.force_login(territory.user("community_a"))
    with django_assert_max_num_queries(12):
        response = client.get(f"/admin/grids/area/children/{g1.pk}/")
    assert response.status_code == 200
    assert len(json.loads(response.content)["tree_context"]) == extra + 2
    with django_assert_max_num_queries(12):
        assert client.get(reverse(AREAS), {"kind": "grid"}).status_code == 200


def test_household_list_filter_search_and_autocomplete_stay_in_scope(client, territory):
    t = territory
    client.force_login(t.user("street"))
    url = reverse("admin:grids_household_changelist")
    both = client.get(url)
    assert len(both.context["cl"].result_list) == 4
    only_a = client.get(url, {"within": t.a.community.pk})
    assert {h.building_id for h in only_a.context["cl"].result_list} == {
        b.pk for b in t.a.buildings
    }
    client.force_login(t.user("community_a"))
    # The filter offers, and honours, nothing from the other side.
    assert client.get(url, {"within": t.b.community.pk}).context["cl"].result_list.count() == 0
    assert client.get(url, {"q": "乙户主"}).context["cl"].result_list.count() == 0
    auto = client.get(
        "/admin/autocomplete/",
        {"app_label": "grids", "model_name": "household", "field_name": "building", "term": "号楼"},
    )
    assert auto.status_code == 200
    assert {r["text"] for r in auto.json()["results"]} == {b.name for b in t.a.buildings}
    other = reverse("admin:grids_household_change", args=[t.b.households[0].pk])
    assert client.get(other).status_code == 404


def test_a_crafted_post_cannot_place_anything_in_the_other_community(client, territory):
    t = territory
    client.force_login(t.user("community_a"))
    response = client.post(
        reverse("admin:grids_partyorg_add"),
        {"kind": "branch", "name": "越界支部", "area": parent_of(t.b.buildings[0]).pk},
    )
    assert response.status_code == 200 and "area" in response.context["adminform"].form.errors
    assert not PartyOrg.objects.exists()
    response = client.post(
        reverse("admin:grids_area_add"),
        {
            "name": "越界网格",
            "kind": "grid",
            "grid_level": 2,
            "parent": parent_of(parent_of(t.b.grids[0])).pk,
            "households_planned": 0,
        },
    )
    assert "parent" in response.context["adminform"].form.errors
    # Inside the scope it works, and the placement is checked.
    g1 = parent_of(parent_of(t.a.grids[0]))
    response = client.post(
        reverse("admin:grids_area_add"),
        {"name": "错位社区", "kind": "community", "parent": g1.pk, "households_planned": 0},
    )
    assert "kind" in response.context["adminform"].form.errors
    response = client.post(
        reverse("admin:grids_area_add"),
        {
            "name": "甲网格3",
            "kind": "grid",
            "grid_level": 2,
            "parent": g1.pk,
            "households_planned": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Area.objects.get(name="甲网格3").path.startswith(g1.path)


def test_moving_a_subtree_keeps_paths_and_checks_scope_and_placement(client, territory):
    t = territory
    grid3 = t.a.grids[0]  # level 3, with an estate, a building and a household below
    other_l2 = parent_of(t.a.grids[1])
    client.force_login(t.user("community_a"))
    response = client.post(
        "/admin/grids/area/move/", {"node": grid3.pk, "target": other_l2.pk, "relation": "child"}
    )
    assert response.status_code == 200
    grid3.refresh_from_db()
    assert grid3.path.startswith(other_l2.path) and grid3.depth == other_l2.depth + 1
    building = Area.objects.get(pk=t.a.buildings[0].pk)
    assert building.path.startswith(grid3.path)
    assert Household.objects.filter(building__path__startswith=other_l2.path).count() == 2
    assert Area.objects.find_problems() == ([], [], [], [], [])
    # Not into the other community, not to a place it cannot sit.
    response = client.post(
        "/admin/grids/area/move/",
        {"node": grid3.pk, "target": parent_of(t.b.grids[0]).pk, "relation": "child"},
    )
    assert response.status_code == 404
    response = client.post(
        "/admin/grids/area/move/",
        {"node": grid3.pk, "target": t.a.community.pk, "relation": "child"},
    )
    assert response.status_code == 400
    grid3.refresh_from_db()
    assert grid3.path.startswith(other_l2.path)


def test_excel_import_in_the_admin_is_all_or_nothing(client, territory):
    t = territory
    Area.objects.filter(pk=t.a.buildings[0].pk).update(code="BA")
    client.force_login(t.user("community_a"))
    url = reverse("admin:grids_household_import_xlsx")
    bad = xlsx(
        ["building_code", "room", "head_name", "member_count"],
        ["BA", "301", "好", 2],
        ["BX", "302", "坏", 1],
    )
    response = client.post(url, {"file": io.BytesIO(bad)}, format="multipart")
    assert response.status_code == 400
    assert response.context["report"].errors[0][0] == 3
    assert "building_code" in response.content.decode()
    assert not Household.objects.filter(room="301").exists()
    good = xlsx(["building_code", "room", "head_name", "member_count"], ["BA", "301", "好", 2])
    response = client.post(url, {"file": io.BytesIO(good)}, format="multipart")
    assert response.status_code == 200 and response.context["report"].ok
    assert Household.objects.filter(room="301").count() == 1
    export = client.get(reverse("admin:grids_household_export_xlsx"))
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert {r[1] for r in rows[1:]} == {"101", "301"}
    # A resident has no admin, a grid worker may not import areas of the community.
    client.force_login(t.user("resident_a"))
    assert client.get(url).status_code == 302


def test_team_admin_refuses_a_second_full_time_worker_with_a_form_error(client, territory):
    grid = territory.a.grids[0]
    actions.appoint_team_member(grid, role="full_time", name="在任")
    client.force_login(territory.user("community_a"))
    response = client.post(
        reverse("admin:grids_gridteammember_add"),
        {"grid": grid.pk, "role": "full_time", "name": "第二个", "starts_on": "2026-12-01"},
    )
    assert "starts_on" in response.context["adminform"].form.errors
    response = client.post(
        reverse("admin:grids_gridteammember_add"),
        {"grid": grid.pk, "role": "instructor", "name": "指导员", "starts_on": "2026-12-01"},
    )
    assert response.status_code == 302
    assert GridTeamMember.objects.filter(grid=grid).count() == 2


def test_the_access_log_is_read_only_and_scoped(client, territory):
    t = territory
    reveal(t.user("community_a"), t.a.households[0].residents.get(), "phone", "核实")
    reveal(t.user("community_b"), t.b.households[0].residents.get(), "phone", "核实")
    entry_b = AccessLog.objects.get(area=t.b.buildings[0])
    client.force_login(t.user("community_a"))
    response = client.get(reverse("admin:grids_accesslog_changelist"))
    assert [e.area_id for e in response.context["cl"].result_list] == [t.a.buildings[0].pk]
    assert client.get(reverse("admin:grids_accesslog_change", args=[entry_b.pk])).status_code == 404
    assert client.get(reverse("admin:grids_accesslog_add")).status_code == 403
    own = AccessLog.objects.get(area=t.a.buildings[0])
    assert client.post(reverse("admin:grids_accesslog_delete", args=[own.pk])).status_code == 403
    client.force_login(t.user("grid_a"))
    assert client.get(reverse("admin:grids_accesslog_changelist")).status_code == 403


def test_the_resident_form_never_shows_a_number_and_reveal_is_logged(client, territory):
    t = territory
    resident = t.a.households[0].residents.get()
    client.force_login(t.user("grid_a"))
    change = reverse("admin:grids_resident_change", args=[resident.pk])
    page = client.get(change).content.decode()
    assert resident.phone not in page and resident.id_number not in page
    assert mask_phone(resident.phone) in page
    # A new number can be typed in without ever seeing the old one.
    form = client.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "user"}
    data.update(
        {"household": resident.household_id, "name": resident.name, "new_phone": "13911112222"}
    )
    assert client.post(change, data).status_code == 302
    resident.refresh_from_db()
    assert resident.phone == "13911112222" and resident.id_number  # the ID number kept
    reveal_url = reverse("admin:grids_resident_reveal", args=[resident.pk])
    missing = client.post(reveal_url, {"field": "phone"})
    assert missing.status_code == 400 and "reason" in missing.context["form"].errors
    shown = client.post(reveal_url, {"field": "phone", "reason": "电话回访"})
    assert shown.status_code == 200 and "13911112222" in shown.content.decode()
    assert AccessLog.objects.filter(resident_id=resident.pk, reason="电话回访").count() == 1
    client.force_login(t.user("grid_b"))
    assert client.post(reveal_url, {"field": "phone", "reason": "x"}).status_code == 404
    assert AccessLog.objects.count() == 1
