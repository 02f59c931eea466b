"""The side doors into grids are closed: the admin and the Excel import write the tree, teams
and party organisation only through grids.actions, so the operations' rules (the role that
comes with a team membership, the chain of organisations, the tree's placement and scope)
hold whichever door is used."""

from __future__ import annotations

import io
from datetime import timedelta
from unittest import mock

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from grids import actions
from grids.models import Area, GridTeamMember, PartyOrg, PartyOrgKind, RoleAssignment
from grids.scope import build_scope
from tests.grids.test_excel import xlsx
from tests.territory import make_user


def parent_of(node):
    return Area.objects.get(path=node.path[: -Area.steplen])


def _full_time(t, name="worker-x"):
    """A full-time worker on a's second grid, appointed a month ago, with an account."""
    user = make_user(name, staff=True)
    grid = t.a.grids[1]
    member = actions.appoint_team_member(
        grid,
        role="full_time",
        name=name,
        user=user,
        starts_on=timezone.localdate() - timedelta(days=30),
    )
    assert build_scope(user).covers_area(grid)
    return member, user, grid


def test_a_worker_ended_on_the_admin_form_loses_the_grids_scope(client, territory):
    member, user, grid = _full_time(territory)
    yesterday = timezone.localdate() - timedelta(days=1)
    client.force_login(territory.user("community_a"))
    url = reverse("admin:grids_gridteammember_change", args=[member.pk])
    response = client.post(
        url, {"name": member.name, "phone": "", "organisation": "", "ends_on": yesterday}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert member.ends_on == yesterday
    assert RoleAssignment.objects.get(pk=member.role_assignment_id).ends_on == yesterday
    assert not build_scope(user).covers_area(grid)
    # The appointment itself (grid, role, account, start) is not editable on the form.
    other = territory.a.grids[0]
    client.post(url, {"name": member.name, "grid": other.pk, "role": "instructor"})
    member.refresh_from_db()
    assert (member.grid_id, member.role) == (grid.pk, "full_time")


def test_a_worker_ended_by_the_admin_action_loses_the_grids_scope(client, territory):
    member, user, grid = _full_time(territory)
    client.force_login(territory.user("community_a"))
    response = client.post(
        reverse("admin:grids_gridteammember_changelist"),
        {"action": "end_today", "_selected_action": [member.pk]},
    )
    assert response.status_code == 302
    assert not build_scope(user, timezone.localdate() + timedelta(days=1)).covers_area(grid)
    assert RoleAssignment.objects.get(pk=member.role_assignment_id).ends_on == (
        timezone.localdate()
    )


def test_a_worker_ended_by_excel_import_loses_the_grids_scope(client, territory):
    member, user, grid = _full_time(territory)
    Area.objects.filter(pk=grid.pk).update(code="GW")
    yesterday = timezone.localdate() - timedelta(days=1)
    header = ["grid_code", "role", "name", "phone", "organisation", "auxiliary_kind"]
    sheet = xlsx(
        [*header, "starts_on", "ends_on"],
        ["GW", "full_time", member.name, None, None, None, member.starts_on, yesterday],
    )
    client.force_login(territory.user("community_a"))
    url = reverse("admin:grids_gridteammember_import_xlsx")
    response = client.post(url, {"file": io.BytesIO(sheet)}, format="multipart")
    assert response.status_code == 200 and response.context["report"].updated == 1
    assert RoleAssignment.objects.get(pk=member.role_assignment_id).ends_on == yesterday
    assert not build_scope(user).covers_area(grid)


def test_a_team_linked_role_is_not_edited_around_the_roster(client, territory):
    member, _user, _grid = _full_time(territory)
    client.force_login(territory.user("street"))
    url = reverse("admin:grids_roleassignment_change", args=[member.role_assignment_id])
    assert client.get(url).status_code == 200  # readable
    assert client.post(url, {"ends_on": ""}).status_code == 403
    delete = reverse("admin:grids_roleassignment_delete", args=[member.role_assignment_id])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert RoleAssignment.objects.filter(pk=member.role_assignment_id).exists()


def test_a_party_org_added_in_the_admin_follows_create_party_org(client, territory):
    t = territory
    big = actions.create_party_org(
        t.a.community, kind=PartyOrgKind.COMMUNITY_COMMITTEE, name="甲社区大党委"
    )
    estate = parent_of(t.a.buildings[0])
    client.force_login(t.user("community_a"))
    add = reverse("admin:grids_partyorg_add")
    # The operation links the branch to the nearest 大党委 above it (no parent on the form).
    response = client.post(add, {"kind": "branch", "name": "甲小区支部", "area": estate.pk})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert PartyOrg.objects.get(name="甲小区支部").parent == big
    # Its rules are the form's errors, named by field, and nothing is written.
    response = client.post(add, {"kind": "branch", "name": "错位支部", "area": t.a.community.pk})
    assert "area" in response.context["adminform"].form.errors
    assert not PartyOrg.objects.filter(name="错位支部").exists()
    # Kind, area and chain are fixed once created; the name is update_party_org's.
    org = PartyOrg.objects.get(name="甲小区支部")
    change = reverse("admin:grids_partyorg_change", args=[org.pk])
    response = client.post(change, {"name": "甲小区第一支部", "kind": "group", "secretary": "王"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.kind, org.secretary) == ("甲小区第一支部", "branch", "王")


def test_a_party_member_added_in_the_admin_joins_through_add_party_member(client, territory):
    t = territory
    branch = actions.create_party_org(
        parent_of(t.a.buildings[0]), kind=PartyOrgKind.BRANCH, name="甲支部"
    )
    client.force_login(t.user("community_a"))
    add = reverse("admin:grids_partymember_add")
    with mock.patch.object(
        actions, "add_party_member", wraps=actions.add_party_member
    ) as operation:
        response = client.post(add, {"name": "党员甲", "kind": "local", "branch": branch.pk})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert operation.called
    member = branch.members.get(name="党员甲")
    assert member.area == branch.area  # the operation places the member on the branch's area
    response = client.post(add, {"name": "无支部", "kind": "local"})
    assert "branch" in response.context["adminform"].form.errors


def test_the_tree_is_added_and_moved_through_grids_actions(client, territory):
    t = territory
    g1 = parent_of(parent_of(t.a.grids[0]))
    client.force_login(t.user("community_a"))
    with mock.patch.object(actions, "add_area", wraps=actions.add_area) as add_area:
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
    assert response.status_code == 302 and add_area.called
    new = Area.objects.get(name="甲网格3")
    with mock.patch.object(actions, "move_area", wraps=actions.move_area) as move_area:
        response = client.post(
            "/admin/grids/area/move/",
            {"node": t.a.grids[0].pk, "target": new.pk, "relation": "child"},
        )
    assert response.status_code == 200
    move_area.assert_called_once()
    assert move_area.call_args.kwargs["actor"] == t.user("community_a")
    # The tree has no delete: an area is not removed through the generic admin.
    delete = reverse("admin:grids_area_delete", args=[new.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Area.objects.filter(pk=new.pk).exists()


def test_an_area_import_adds_through_add_area(territory):
    from grids.excel import import_xlsx

    Area.objects.filter(pk=territory.a.community.pk).update(code="CA")
    sheet = xlsx(
        [
            "code",
            "name",
            "parent_code",
            "grid_level",
            "grid_kind",
            "dedicated_kind",
            "households_planned",
        ],
        ["G-NEW", "新网格", "CA", 1, "comprehensive", None, 10],
    )
    with mock.patch.object(actions, "add_area", wraps=actions.add_area) as add_area:
        report = import_xlsx("grids", sheet, territory.user("community_a"))
    assert report.ok and report.created == 1, report.errors
    assert add_area.call_args.kwargs["actor"] == territory.user("community_a")
    assert Area.objects.get(code="G-NEW").path.startswith(territory.a.community.path)


def test_no_admin_keeps_the_requesting_user(client, territory):
    actions.appoint_team_member(territory.a.grids[0], role="instructor", name="指导员")
    client.force_login(territory.user("community_a"))
    assert client.get(reverse("admin:grids_gridteammember_changelist")).status_code == 200
    for model_admin in admin.site._registry.values():
        assert not any(
            name.startswith("_request") or name == "_viewer" for name in vars(model_admin)
        ), type(model_admin).__name__
    assert GridTeamMember.objects.count() == 1


def test_every_grids_admin_page_renders_for_a_superuser(client, territory):
    """The operation forms build on every add page; changelists and import pages answer."""
    client.force_login(territory.user("superuser"))
    for model in admin.site._registry:
        if model._meta.app_label != "grids":
            continue
        opts = model._meta
        changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, opts.label
        add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert add.status_code in (200, 403), opts.label


def test_contact_households_are_linked_and_unlinked_through_the_operations(client, territory):
    t = territory
    branch = actions.create_party_org(
        parent_of(t.a.buildings[0]), kind=PartyOrgKind.BRANCH, name="甲支部"
    )
    member = actions.add_party_member(branch, name="联系人")
    client.force_login(t.user("community_a"))
    response = client.post(
        reverse("admin:grids_contacthousehold_add"),
        {"member": member.pk, "household": t.a.households[0].pk},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    link = member.contacts.get()
    assert link.slot == 1  # the operation takes the lowest free slot
    again = client.post(
        reverse("admin:grids_contacthousehold_add"),
        {"member": member.pk, "household": t.a.households[0].pk},
    )
    assert "household" in again.context["adminform"].form.errors  # its rule, as a form error
    with mock.patch.object(
        actions, "unlink_contact_household", wraps=actions.unlink_contact_household
    ) as unlink:
        response = client.post(
            reverse("admin:grids_contacthousehold_delete", args=[link.pk]), {"post": "yes"}
        )
    assert response.status_code == 302 and unlink.called
    assert not member.contacts.exists()
