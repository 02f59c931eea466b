"""The territory API: scoped lists and details, subtree and ancestors, filters, writes through
grids.actions with 400s naming the field, constant queries per list, the audited reveal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grids import actions
from grids.models import AccessLog, Area, Household, PartyOrgKind

API = "/api/grids"


def parent_of(node):
    return Area.objects.get(path=node.path[: -Area.steplen])


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_areas_are_scoped_with_subtree_and_ancestors(client, territory):
    t = territory
    client.force_login(t.user("community_a"))
    listed = ids(client.get(f"{API}/areas/", {"page_size": 100}))
    assert t.a.community.pk in listed and t.b.community.pk not in listed
    assert t.street.pk not in listed
    assert client.get(f"{API}/areas/{t.b.community.pk}/").status_code == 404
    assert client.get(f"{API}/areas/{t.b.community.pk}/subtree/").status_code == 404
    sub = client.get(f"{API}/areas/{t.a.grids[0].pk}/subtree/").json()
    assert [r["kind"] for r in sub["results"]] == ["grid", "estate", "building"]
    assert sub["results"][1]["parent"] == t.a.grids[0].pk
    chain = client.get(f"{API}/areas/{t.a.buildings[0].pk}/ancestors/").json()
    assert [r["name"] for r in chain] == ["甲社区", "甲一级网格", "甲网格1", "甲网格1-1", "甲小区1"]
    client.force_login(t.user("street"))
    chain = client.get(f"{API}/areas/{t.a.grids[0].pk}/ancestors/").json()
    assert chain[0]["name"] == "测试街道"
    both = ids(client.get(f"{API}/areas/", {"kind": "community"}))
    assert both == {t.a.community.pk, t.b.community.pk}
    only_b = ids(client.get(f"{API}/areas/", {"within": t.b.community.pk, "kind": "building"}))
    assert only_b == {b.pk for b in t.b.buildings}
    children = ids(client.get(f"{API}/areas/", {"parent": t.street.pk}))
    assert children == {t.a.community.pk, t.b.community.pk}


def test_grids_carry_their_current_team_and_filters(client, territory):
    t = territory
    actions.appoint_team_member(t.a.grids[0], role="full_time", name="李", phone="13912345678")
    client.force_login(t.user("grid_b"))
    assert ids(client.get(f"{API}/grids/")) == {t.b.grids[0].pk}
    client.force_login(t.user("community_a"))
    rows = client.get(f"{API}/grids/", {"grid_level": 3}).json()["results"]
    assert {r["id"] for r in rows} == {g.pk for g in t.a.grids}
    mine = next(r for r in rows if r["id"] == t.a.grids[0].pk)
    assert mine["team"] == [
        {"id": mine["team"][0]["id"], "role": "full_time", "name": "李", "phone": "13912345678"}
    ]
    client.force_login(t.user("community_b"))
    # Not visible at all from the other community.
    assert client.get(f"{API}/grids/{t.a.grids[0].pk}/").status_code == 404


def test_team_writes_name_the_field_on_400(client, territory):
    t = territory
    client.force_login(t.user("community_a"))
    url = f"{API}/teams/"
    ok = client.post(
        url,
        {"grid": t.a.grids[0].pk, "role": "full_time", "name": "甲"},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    again = client.post(
        url,
        {"grid": t.a.grids[0].pk, "role": "full_time", "name": "乙"},
        content_type="application/json",
    )
    assert again.status_code == 400 and "starts_on" in again.json()
    other = client.post(
        url,
        {"grid": t.b.grids[0].pk, "role": "grid_head", "name": "越界"},
        content_type="application/json",
    )
    assert other.status_code == 400 and "grid" in other.json()
    not_grid = client.post(
        url,
        {"grid": t.a.community.pk, "role": "grid_head", "name": "x"},
        content_type="application/json",
    )
    assert not_grid.status_code == 400 and "grid" in not_grid.json()
    missing = client.post(
        url, {"grid": t.a.grids[0].pk, "role": "boss"}, content_type="application/json"
    )
    assert missing.status_code == 400 and {"role", "name"} <= set(missing.json())
    bad_end = client.post(
        f"{API}/teams/{ok.json()['id']}/end/",
        {"ends_on": "2020-01-01"},
        content_type="application/json",
    )
    assert bad_end.status_code == 400 and "ends_on" in bad_end.json()
    ended = client.post(f"{API}/teams/{ok.json()['id']}/end/", {}, content_type="application/json")
    assert ended.status_code == 200 and ended.json()["ends_on"]
    # Ended today (inclusive): still on the team until the day is out.
    assert ids(client.get(url, {"current": "true"})) == {ok.json()["id"]}
    assert ids(client.get(url, {"current": "false"})) == set()
    client.force_login(t.user("community_b"))
    assert client.get(f"{API}/teams/{ok.json()['id']}/").status_code == 404
    assert client.post(f"{API}/teams/{ok.json()['id']}/end/").status_code == 404


def test_party_organisation_api(client, territory):
    t = territory
    estate = parent_of(t.a.buildings[0])
    client.force_login(t.user("community_a"))
    wrong = client.post(
        f"{API}/party-orgs/",
        {"kind": "branch", "area": t.a.buildings[0].pk, "name": "楼支部"},
        content_type="application/json",
    )
    assert wrong.status_code == 400 and "area" in wrong.json()
    branch = client.post(
        f"{API}/party-orgs/",
        {"kind": "branch", "area": estate.pk, "name": "小区支部"},
        content_type="application/json",
    )
    assert branch.status_code == 201
    branch_id = branch.json()["id"]
    member = client.post(
        f"{API}/party-members/",
        {"name": "党员", "branch": branch_id, "phone": "13700001111"},
        content_type="application/json",
    )
    assert member.status_code == 201 and member.json()["phone_shown"] == "13700001111"
    nobranch = client.post(f"{API}/party-members/", {"name": "无"}, content_type="application/json")
    assert nobranch.status_code == 400 and "branch" in nobranch.json()
    reported = client.post(
        f"{API}/party-members/",
        {"name": "在职", "kind": "in_service", "community": t.a.community.pk},
        content_type="application/json",
    )
    assert reported.status_code == 201 and reported.json()["area"] == t.a.community.pk
    mid = member.json()["id"]
    rooms = [
        Household.objects.create(building=t.a.buildings[0], room=f"9{i:02d}") for i in range(11)
    ]
    for h in rooms[:10]:
        r = client.post(
            f"{API}/party-members/{mid}/contacts/",
            {"household": h.pk},
            content_type="application/json",
        )
        assert r.status_code == 201
    eleventh = client.post(
        f"{API}/party-members/{mid}/contacts/",
        {"household": rooms[10].pk},
        content_type="application/json",
    )
    assert eleventh.status_code == 400 and "household" in eleventh.json()
    foreign = client.post(
        f"{API}/party-members/{mid}/contacts/",
        {"household": t.b.households[0].pk},
        content_type="application/json",
    )
    assert foreign.status_code == 400 and "household" in foreign.json()
    assert len(client.get(f"{API}/party-members/{mid}/contacts/").json()) == 10
    cov = client.get(f"{API}/areas/{t.a.community.pk}/coverage/").json()
    assert cov["estates_with_branch"] == 1 and cov["branch_share"] == 0.5
    assert cov["households_with_contact"] == 10
    client.force_login(t.user("community_b"))
    assert ids(client.get(f"{API}/party-orgs/")) == set()
    assert ids(client.get(f"{API}/party-members/")) == set()
    assert client.get(f"{API}/party-members/{mid}/").status_code == 404
    client.force_login(t.user("dept"))
    assert client.get(f"{API}/party-members/").status_code == 403


@pytest.mark.parametrize("endpoint", ["areas", "grids", "teams", "party-orgs", "party-members"])
def test_every_list_takes_constant_queries(
    client, territory, endpoint, django_assert_max_num_queries
):
    t = territory
    community = actions.create_party_org(
        t.a.community, kind=PartyOrgKind.COMMUNITY_COMMITTEE, name="大党委"
    )
    del community
    for i, grid in enumerate(t.a.grids):
        actions.appoint_team_member(grid, role="full_time", name=f"专职{i}")
        actions.appoint_team_member(grid, role="instructor", name=f"指导{i}")
        branch = actions.create_party_org(grid, kind=PartyOrgKind.BRANCH, name=f"支部{i}")
        for j in range(3):
            actions.add_party_member(branch, name=f"党员{i}{j}")
    client.force_login(t.user("community_a"))
    client.get(f"{API}/{endpoint}/")  # the first request also builds the shared scope
    counts = []
    for size in (1, 50):
        with django_assert_max_num_queries(8) as captured:
            response = client.get(f"{API}/{endpoint}/", {"page_size": size})
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_the_reveal_endpoint(client, territory):
    t = territory
    resident = t.a.households[0].residents.get()
    url = f"{API}/residents/{resident.pk}/reveal/"
    client.force_login(t.user("grid_a"))
    response = client.post(
        url, {"field": "phone", "reason": "上门走访"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["value"] == resident.phone
    assert AccessLog.objects.get().viewer_id == t.user("grid_a").pk
    no_reason = client.post(url, {"field": "phone"}, content_type="application/json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    client.force_login(t.user("grid_b"))
    assert (
        client.post(
            url, {"field": "phone", "reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    client.force_login(t.user("resident_a"))
    assert (
        client.post(
            url, {"field": "phone", "reason": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert AccessLog.objects.count() == 1


def test_the_schema_describes_the_grids_api(client, territory):
    client.force_login(territory.user("superuser"))
    schema = client.get(reverse("schema")).content.decode()
    for path in ("/api/grids/areas/{id}/subtree/", "/api/grids/teams/", "/api/grids/party-orgs/"):
        assert path in schema
