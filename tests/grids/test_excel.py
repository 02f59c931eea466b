"""Excel import and export of the territory with real .xlsx files built by openpyxl: an
import lands whole or not at all and names every bad row by line number and reason."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from grids import actions
from grids.excel import export_xlsx, import_xlsx
from grids.models import Area, Household, PartyMember, PartyOrgKind


def xlsx(header: list[str], *rows: list) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def snapshot():
    return (
        list(Area.objects.values_list("path", "code", "name", "numchild")),
        list(Household.objects.values_list("building_id", "room", "head_name")),
        list(PartyMember.objects.values_list("name", "branch_id")),
    )


GRID_HEADER = [
    "code",
    "name",
    "parent_code",
    "grid_level",
    "grid_kind",
    "dedicated_kind",
    "households_planned",
]


def test_a_good_sheet_of_grids_estates_buildings_and_households_lands(territory):
    user = territory.user("community_a")
    grids = xlsx(
        GRID_HEADER,
        ["G-NEW-2", "新二级网格", "T-甲-G1", 2, "comprehensive", None, 400],
        ["G-NEW-3", "新三级网格", "G-NEW-2", 3, "comprehensive", None, None],
        ["G-SCHOOL", "学校专属网格", "T-甲", 1, "dedicated", "school", 0],
    )
    # The level-1 grid of side a needs a code to be named in a sheet.
    Area.objects.filter(name="甲一级网格").update(code="T-甲-G1")
    report = import_xlsx("grids", grids, user)
    assert report.ok, report.errors
    assert report.created == 3
    new3 = Area.objects.get(code="G-NEW-3")
    assert new3.path.startswith(Area.objects.get(code="G-NEW-2").path) and new3.grid_level == 3
    estates = xlsx(["code", "name", "parent_code"], ["E-NEW", "新小区", "G-NEW-3"])
    assert import_xlsx("estates", estates, user).ok
    buildings = xlsx(["code", "name", "parent_code"], ["B-NEW", "1号楼", "E-NEW"])
    assert import_xlsx("buildings", buildings, user).ok
    households = xlsx(
        ["building_code", "room", "head_name", "member_count", "party_member_household"],
        ["B-NEW", "101", "陈一", 3, 1],
        ["B-NEW", 102, "陈二", 1, 0],
    )
    report = import_xlsx("households", households, user)
    assert report.ok and report.created == 2
    assert set(Household.objects.filter(building__code="B-NEW").values_list("room", flat=True)) == {
        "101",
        "102",
    }
    # Importing again updates in place.
    report = import_xlsx(
        "households",
        xlsx(["building_code", "room", "head_name", "member_count"], ["B-NEW", "101", "陈一改", 4]),
        user,
    )
    assert (report.created, report.updated) == (0, 1)
    assert Household.objects.get(building__code="B-NEW", room="101").head_name == "陈一改"
    # The tree stays consistent after imports (treebeard's own check).
    assert Area.objects.find_problems() == ([], [], [], [], [])


def test_a_sheet_with_bad_rows_changes_nothing_and_names_every_bad_line(territory):
    user = territory.user("community_a")
    Area.objects.filter(name="甲一级网格").update(code="T-甲-G1")
    Area.objects.filter(name="乙一级网格").update(code="T-乙-G1")
    before = snapshot()
    sheet = xlsx(
        GRID_HEADER,
        ["G-OK", "好网格", "T-甲-G1", 2, "comprehensive", None, 300],  # line 2: fine
        ["G-BAD-LEVEL", "层级错", "T-甲-G1", 3, "comprehensive", None, 0],  # 3: level
        ["G-OTHER", "越界", "T-乙-G1", 2, "comprehensive", None, 0],  # 4: other community
        ["", "无编码", "T-甲-G1", 2, "comprehensive", None, 0],  # 5: no code
        ["G-NOWHERE", "无上级", "NOPE", 2, "comprehensive", None, 0],  # 6: unknown parent
        ["G-DED", "专属无类", "T-甲", 1, "dedicated", None, 0],  # 7: dedicated to what?
        ["G-OK2", "好网格2", "T-甲-G1", 2, "comprehensive", None, 0],  # 8: fine
    )
    report = import_xlsx("grids", sheet, user)
    assert not report.ok
    lines = dict(report.errors)
    assert sorted(lines) == [3, 4, 5, 6, 7]
    assert "grid_level" in lines[3]
    assert "parent_code" in lines[4] and "T-乙-G1" in lines[4]  # reads as unknown
    assert "code" in lines[5]
    assert "parent_code" in lines[6]
    assert "dedicated_kind" in lines[7]
    assert report.created == 0
    assert snapshot() == before


def test_household_and_member_rows_are_checked_against_the_scope(territory):
    user = territory.user("grid_a")
    building_a, building_b = territory.a.buildings[0], territory.b.buildings[0]
    Area.objects.filter(pk=building_a.pk).update(code="BA")
    Area.objects.filter(pk=building_b.pk).update(code="BB")
    before = snapshot()
    sheet = xlsx(
        ["building_code", "room", "head_name", "member_count"],
        ["BA", "201", "甲二", 2],
        ["BB", "201", "乙二", 2],  # the next community's building
        ["BA", "", "无房号", 1],
        ["BA", "202", "人数错", "很多"],
    )
    report = import_xlsx("households", sheet, user)
    assert [line for line, _ in report.errors] == [3, 4, 5]
    assert "building_code" in report.errors[0][1]
    assert "room" in report.errors[1][1]
    assert "member_count" in report.errors[2][1]
    assert snapshot() == before
    # Party members: by the code of the area their branch sits on.
    estate = Area.objects.get(path=building_a.path[: -Area.steplen])
    Area.objects.filter(pk=estate.pk).update(code="EA")
    actions.create_party_org(estate, kind=PartyOrgKind.BRANCH, name="甲支部")
    members = xlsx(
        ["name", "branch_area_code", "phone"], ["党员一", "EA", 13900001111], ["党员二", "BA", ""]
    )
    report = import_xlsx("party_members", members, territory.user("community_a"))
    assert [line for line, _ in report.errors] == [3]  # no branch on the building
    assert not PartyMember.objects.exists()
    one = xlsx(["name", "branch_area_code", "phone"], ["党员一", "EA", 13900001111])
    report = import_xlsx("party_members", one, territory.user("community_a"))
    assert report.ok
    member = PartyMember.objects.get()
    assert member.phone == "13900001111" and member.area == estate


def test_not_a_workbook_and_missing_columns_are_reported(territory):
    user = territory.user("community_a")
    report = import_xlsx("households", b"not a workbook", user)
    assert not report.ok and report.errors[0][0] == 0
    report = import_xlsx("households", xlsx(["head_name"], ["x"]), user)
    assert report.errors[0][0] == 1 and "building_code" in report.errors[0][1]


def test_export_holds_only_what_the_user_sees(territory):
    Area.objects.filter(pk=territory.a.buildings[0].pk).update(code="BA")
    data = export_xlsx("households", territory.user("grid_a"))
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("building_code", "room")
    assert rows[1:] == [("BA", "101", "甲户主1", 1, 0)] or [r[:3] for r in rows[1:]] == [
        ("BA", "101", "甲户主1")
    ]
    grids = load_workbook(io.BytesIO(export_xlsx("grids", territory.user("community_b")))).active
    names = {r[1] for r in list(grids.iter_rows(values_only=True))[1:]}
    assert names == {"乙一级网格", "乙网格1", "乙网格2", "乙网格1-1", "乙网格2-1"}


TEAM_HEADER = [
    "grid_code",
    "role",
    "name",
    "phone",
    "organisation",
    "auxiliary_kind",
    "starts_on",
    "ends_on",
]


def test_a_sheet_of_grid_team_members(client, territory):
    import datetime

    from django.urls import reverse

    from grids.models import GridTeamMember

    t = territory
    Area.objects.filter(pk=t.a.grids[0].pk).update(code="GA")
    Area.objects.filter(pk=t.a.grids[1].pk).update(code="GA2")
    Area.objects.filter(pk=t.b.grids[0].pk).update(code="GB")
    bad = xlsx(
        TEAM_HEADER,
        [
            "GA",
            "grid_head",
            "陈网格长",
            13800001111,
            None,
            None,
            datetime.date(2026, 1, 1),
            None,
        ],
        ["GA", "full_time", "李专职", None, None, None, "2026-01-01", None],
        ["GA", "full_time", "王专职", None, None, None, "2026-06-01", None],  # 4: overlaps
        ["GB", "instructor", "越界", None, None, None, "2026-01-01", None],  # 5: other side
        ["GA", "boss", "谁", None, None, None, "2026-01-01", None],  # 6: unknown role
        ["GA", "auxiliary", "民警", None, "派出所", "police", "2026-13-01", None],  # 7: date
    )
    client.force_login(t.user("community_a"))
    url = reverse("admin:grids_gridteammember_import_xlsx")
    response = client.post(url, {"file": io.BytesIO(bad)}, format="multipart")
    assert response.status_code == 400
    report = response.context["report"]
    lines = dict(report.errors)
    assert sorted(lines) == [4, 5, 6, 7]
    assert "starts_on" in lines[4] and "grid_code" in lines[5] and "role" in lines[6]
    assert "starts_on" in lines[7]
    assert not GridTeamMember.objects.exists()
    good = xlsx(
        TEAM_HEADER,
        [
            "GA",
            "grid_head",
            "陈网格长",
            13800001111,
            None,
            None,
            datetime.date(2026, 1, 1),
            None,
        ],
        ["GA", "full_time", "李专职", None, None, None, "2026-01-01", "2026-05-31"],
        ["GA", "full_time", "王专职", None, None, None, "2026-06-01", None],
        ["GA2", "auxiliary", "民警", None, "派出所", "police", "2026-01-01", None],
    )
    response = client.post(url, {"file": io.BytesIO(good)}, format="multipart")
    assert response.status_code == 200 and response.context["report"].created == 4
    head = GridTeamMember.objects.get(name="陈网格长")
    assert head.phone == "13800001111" and head.starts_on == datetime.date(2026, 1, 1)
    # The same sheet again changes nothing new; an end date can be set by re-import.
    again = xlsx(
        TEAM_HEADER, ["GA", "full_time", "王专职", None, None, None, "2026-06-01", "2026-12-31"]
    )
    report = import_xlsx("team_members", again, t.user("community_a"))
    assert (report.created, report.updated) == (0, 1)
    assert GridTeamMember.objects.get(name="王专职").ends_on == datetime.date(2026, 12, 31)
    rows = list(
        load_workbook(io.BytesIO(export_xlsx("team_members", t.user("grid_a")))).active.iter_rows(
            values_only=True
        )
    )
    assert {r[2] for r in rows[1:]} == {"陈网格长", "李专职", "王专职"}  # not grid a2's
