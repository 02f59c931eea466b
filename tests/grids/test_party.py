"""The party organisation: placement rules, 双报到, 兼职委员, contact households (at most ten, in
the database too), 红色物业 cross-postings, and the coverage figures."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from grids import actions
from grids.coverage import coverage
from grids.models import (
    Area,
    CoBuildingUnit,
    ContactHousehold,
    EstateBody,
    Household,
    PartyMember,
    PartyOrg,
    PartyOrgKind,
)


def parent_of(node):
    return Area.objects.get(path=node.path[: -Area.steplen])


def chain(t):
    """大工委 on the street, 大党委 on community a, a branch on a's first estate."""
    committee = actions.create_party_org(
        t.street, kind=PartyOrgKind.WORKING_COMMITTEE, name="街道大工委"
    )
    big = actions.create_party_org(
        t.a.community, kind=PartyOrgKind.COMMUNITY_COMMITTEE, name="甲社区大党委"
    )
    branch = actions.create_party_org(
        parent_of(t.a.buildings[0]), kind=PartyOrgKind.BRANCH, name="甲小区1党支部"
    )
    return committee, big, branch


def test_the_chain_links_itself_to_the_nearest_organisation_above(territory):
    committee, big, branch = chain(territory)
    assert big.parent == committee and branch.parent == big
    group = actions.create_party_org(
        territory.a.buildings[0], kind=PartyOrgKind.GROUP, name="1号楼党小组"
    )
    assert group.parent == branch


@pytest.mark.parametrize(
    "kind,where,field",
    [
        (PartyOrgKind.WORKING_COMMITTEE, "community", "area"),
        (PartyOrgKind.COMMUNITY_COMMITTEE, "street", "area"),
        (PartyOrgKind.BRANCH, "building", "area"),
        (PartyOrgKind.GROUP, "grid", "area"),
    ],
)
def test_an_organisation_on_the_wrong_kind_of_area_is_refused(territory, kind, where, field):
    area = {
        "community": territory.a.community,
        "street": territory.street,
        "building": territory.a.buildings[0],
        "grid": territory.a.grids[0],
    }[where]
    with pytest.raises(ValidationError) as err:
        actions.create_party_org(area, kind=kind, name="错位")
    assert field in err.value.message_dict
    assert not PartyOrg.objects.exists()


def test_a_parent_from_the_other_community_is_refused(territory):
    other = actions.create_party_org(
        territory.b.community, kind=PartyOrgKind.COMMUNITY_COMMITTEE, name="乙大党委"
    )
    with pytest.raises(ValidationError) as err:
        actions.create_party_org(
            territory.a.grids[0], kind=PartyOrgKind.BRANCH, name="甲网格支部", parent=other
        )
    assert "parent" in err.value.message_dict


def test_one_organisation_per_area_and_kind_in_the_database(territory):
    _, _, branch = chain(territory)
    with pytest.raises(IntegrityError), transaction.atomic():
        PartyOrg.objects.create(area=branch.area, kind=PartyOrgKind.BRANCH, name="第二个支部")


def test_contact_households_stop_at_ten_in_actions_and_in_the_database(territory):
    _, _, branch = chain(territory)
    member = actions.add_party_member(branch, name="党员甲")
    building = territory.a.buildings[0]
    rooms = [Household.objects.create(building=building, room=f"2{i:02d}") for i in range(11)]
    for household in rooms[:10]:
        actions.link_contact_household(member, household)
    assert sorted(member.contacts.values_list("slot", flat=True)) == list(range(1, 11))
    with pytest.raises(ValidationError) as err:
        actions.link_contact_household(member, rooms[10])
    assert "household" in err.value.message_dict
    # Around the action: an eleventh slot or a reused slot is refused by the database.
    with pytest.raises(IntegrityError, match="grids_contact_at_most_ten"), transaction.atomic():
        ContactHousehold.objects.create(member=member, household=rooms[10], slot=11)
    with pytest.raises(IntegrityError, match="grids_contact_slot_once"), transaction.atomic():
        ContactHousehold.objects.create(member=member, household=rooms[10], slot=3)
    # Freeing a slot lets the next household in, into that slot.
    actions.unlink_contact_household(member.contacts.get(slot=4))
    assert actions.link_contact_household(member, rooms[10]).slot == 4
    with pytest.raises(ValidationError):
        actions.link_contact_household(member, rooms[0])  # already linked


def test_members_join_branches_or_report_to_their_community(territory):
    committee, big, branch = chain(territory)
    with pytest.raises(ValidationError) as err:
        actions.add_party_member(big, name="错")
    assert "branch" in err.value.message_dict
    unit = CoBuildingUnit.objects.get(home_community=territory.a.community)
    reported = actions.report_in_service_member(
        territory.a.community, name="在职党员", workplace=unit
    )
    assert reported.kind == "in_service" and reported.area == territory.a.community
    assert reported.workplace_name == unit.name and reported.reported_on
    with pytest.raises(ValidationError) as err:
        actions.report_in_service_member(territory.a.grids[0], name="错")
    assert "community" in err.value.message_dict
    # The database insists: a local member has a branch.
    with pytest.raises(IntegrityError), transaction.atomic():
        PartyMember.objects.create(name="无支部", area=territory.a.community, kind="local")


def test_concurrent_members_come_from_units_based_in_the_area(territory):
    _, big, branch = chain(territory)
    own = CoBuildingUnit.objects.get(home_community=territory.a.community)
    other = CoBuildingUnit.objects.get(home_community=territory.b.community)
    assert actions.add_concurrent_member(big, name="兼职委员", unit=own).party_org == big
    with pytest.raises(ValidationError) as err:
        actions.add_concurrent_member(big, name="外来", unit=other)
    assert "unit" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        actions.add_concurrent_member(branch, name="支部不行", unit=own)
    assert "party_org" in err.value.message_dict


def test_red_property_cross_postings(territory):
    _, _, branch = chain(territory)
    member = actions.add_party_member(branch, name="党员乙")
    body = EstateBody.objects.create(
        estate=branch.area, kind="owners_committee", name="甲小区1业委会"
    )
    posting = actions.cross_post(member, body, position="业委会主任")
    assert list(member.cross_postings.all()) == [posting]
    with pytest.raises(ValidationError):
        actions.cross_post(member, body, position="又一次")


def test_coverage_of_estates_and_households(territory, django_assert_max_num_queries):
    t = territory
    _, _, branch = chain(t)  # a's first estate has a branch on itself
    # a's second estate is covered by a branch on its grid (the grid directly above it).
    actions.create_party_org(t.a.grids[1], kind=PartyOrgKind.BRANCH, name="甲网格2支部")
    # b's estate under a branch two levels up does not count.
    actions.create_party_org(
        parent_of(t.b.grids[0]), kind=PartyOrgKind.BRANCH, name="乙二级网格支部"
    )
    member = actions.add_party_member(branch, name="党员丙")
    actions.link_contact_household(member, t.a.households[0])
    actions.report_in_service_member(t.b.community, name="在职")
    with django_assert_max_num_queries(4):
        a = coverage(t.a.community)
    assert (a.estates, a.estates_with_branch, a.branch_share) == (2, 2, 1.0)
    assert (a.households, a.households_with_contact, a.contact_share) == (2, 1, 0.5)
    assert a.party_members == 1 and a.grids == 5
    b = coverage(t.b.community)
    assert (b.estates_with_branch, b.households_with_contact, b.party_members) == (0, 0, 1)
    street = coverage(t.street)
    assert (street.estates, street.estates_with_branch, street.branch_share) == (4, 2, 0.5)
    assert street.contact_share == 0.25 and street.party_members == 2
    empty = coverage(t.a.buildings[0])
    assert empty.branch_share is None


def test_the_demo_city_has_the_party_organisation_and_teams_once(db):
    from grids.demo import seed_territory
    from grids.models import GridTeamMember
    from grids.teams import current_team

    ctx = seed_territory()
    counts = (PartyOrg.objects.count(), PartyMember.objects.count(), GridTeamMember.objects.count())
    seed_territory()
    assert counts == (
        PartyOrg.objects.count(),
        PartyMember.objects.count(),
        GridTeamMember.objects.count(),
    )
    city = coverage(ctx.city)
    assert 0.5 < city.branch_share < 1 and 0.2 < city.contact_share < 1
    assert PartyOrg.objects.filter(kind="working_committee").count() == 3
    assert PartyOrg.objects.filter(kind="community_committee").count() == 12
    assert PartyMember.objects.filter(kind="in_service").exists()
    roles = {m.role for m in current_team(ctx.leaf_grids()[0])}
    assert {"grid_head", "full_time", "instructor", "auxiliary"} <= roles
    old_lane = ctx.leaf_grids()[-1]
    assert {"building_head", "lane_head"} <= {m.role for m in current_team(old_lane)}
    per_member = ContactHousehold.objects.values("member").distinct().count()
    assert per_member and ContactHousehold.objects.count() >= 3 * per_member
