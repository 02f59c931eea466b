"""The dashboard's figures, one module per app, on hand-built data with exact numbers.

The 12345 data set is test_kpis's (its rates are proven there); here the dashboard's own
figures on top of it: live counts, 未诉先办, the trend, the ranking, categories, units, points."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from grids import figures as grid_figures
from grids.models import GridTeamMember, PartyOrg, TeamRole
from services import figures, kpis
from services.calendar import TZ
from tests.services.test_kpis import END, NOW, START, H, data, make  # noqa: F401

YEAR = datetime(2025, 12, 1, tzinfo=TZ)


@pytest.fixture
def more(data):  # noqa: F811
    desk = data
    ok = {"sign_on_time": True, "contact_on_time": True}
    # An open case on a yellow card, not yet late, raised before any complaint (未诉先办),
    # about noise, handled by the community, with coordinates.
    make(
        desk,
        **ok,
        state="signed",
        card_level=1,
        resolve_due=NOW + 5 * H,
        raised_before_complaint=True,
        category=desk.noise,
        handling_area=desk.t.a.community,
        lat=24.9,
        lng=118.6,
    )
    # The overdue open case of test_kpis is handled by nobody yet: give it the department.
    from services.models import Case

    Case.objects.filter(state="in_progress").update(
        handling_department=desk.t.department, lat=24.91, lng=118.61
    )
    return desk


def target(desk, side="a"):
    return figures.Target(area=getattr(desk.t, side).community)


def test_summary_adds_live_counts_and_proactive_share_to_the_kpis(more):
    desk = more
    user = desk.user("community_a")
    s = figures.summary(user, target(desk), START, END, now=NOW)
    same = kpis.kpis(start=START, end=END, area=desk.t.a.community, now=NOW).as_dict()
    assert s["kpis"] == same  # one definition of each rate
    assert s["kpis"]["dispatched"] == 6
    assert (s["open"], s["yellow"], s["overdue_open"]) == (2, 1, 1)
    assert (s["proactive"], s["proactive_share"]) == (1, round(1 / 6, 4))


def test_the_other_side_counts_nothing_of_ours(more):
    desk = more
    s = figures.summary(desk.user("community_b"), target(desk), START, END, now=NOW)
    assert s["kpis"]["dispatched"] == 0 and s["open"] == 0
    assert figures.open_points(desk.user("community_b"), target(desk), now=NOW)["points"] == []


def test_trend_ranking_categories_units(more):
    desk = more
    user = desk.user("street")
    t = target(desk)
    months = figures.trend(user, t, YEAR, END, now=NOW)
    assert [(m["month"], m["dispatched"]) for m in months] == [("2026-10", 1), ("2026-11", 6)]
    assert (
        months[1]["response_rate"]
        == kpis.kpis(start=START, end=END, area=desk.t.a.community, now=NOW).response_rate
    )
    ranked = figures.ranked_children(user, desk.t.street, START, END, now=NOW)
    assert [r["name"] for r in ranked] == ["甲社区", "乙社区"]  # b's only case is unhappy
    assert ranked[1]["score"] < ranked[0]["score"]
    cats = figures.top_categories(user, t, START, END)
    assert cats[0] == {"category": desk.potholes.pk, "name": "道路坑洼", "count": 5}
    assert cats[1]["count"] == 1 and cats[1]["name"] == "噪音扰民"
    units = figures.overdue_units(user, t, now=NOW)
    assert units == [{"unit": f"d{desk.t.department.pk}", "name": "城管局", "count": 1}]
    points = figures.open_points(user, t, now=NOW)["points"]
    assert sorted((p["lat"], p["late"]) for p in points) == [(24.9, False), (24.91, True)]
    live = figures.stream(user, t, now=NOW)
    assert len(live["late"]) == 1 and len(live["new"]) == 10


def test_a_department_sees_its_own_cases(more):
    desk = more
    dept = desk.user("dept")
    s = figures.summary(dept, figures.Target(department=desk.t.department), START, END, now=NOW)
    assert s["kpis"]["dispatched"] == 2 and s["overdue_open"] == 1


def test_grid_team_and_party_coverage(desk):
    t = desk.t
    # Side a: one grid of two has a full-time worker on the roster; the grid worker's role
    # covers the other: 2 of 2 (each source counts). Side b: the grid role only: 1 of 2.
    GridTeamMember.objects.create(
        grid=t.a.grids[1],
        user=t.user("community_a"),
        role=TeamRole.FULL_TIME,
        name="张三",
        starts_on=START.date(),
    )
    PartyOrg.objects.create(name="甲小区1支部", kind="branch", area=t.a.grids[0])
    org = grid_figures.organisation(t.a.community)
    assert org["grids"] == 5  # one level-1, two level-2, two level-3
    assert org["grids_staffed"] == 2
    assert org["branches"] == 1 and org["estates"] == 2 and org["estates_with_branch"] == 1
    assert org["households"] == 2
    kids = grid_figures.children(t.street)
    assert kids[t.a.community.pk] == {"households": 2, "grids": 5, "grids_staffed": 2}
    assert kids[t.b.community.pk] == {"households": 2, "grids": 5, "grids_staffed": 1}


def test_volunteer_figures(desk):
    from volunteers import figures as vol_figures
    from volunteers.models import MicroWish, ServiceOrder, Volunteer

    t = desk.t
    resident = t.user("resident_a")
    helper = Volunteer.objects.create(
        user=resident, community=t.a.community, real_name="王五", consent_at=START
    )
    Volunteer.objects.create(
        user=t.user("resident_b"), community=t.b.community, real_name="赵六", consent_at=START
    )
    from volunteers.models import ServiceCategory

    cat = ServiceCategory.objects.create(name="陪伴")
    for hours, settled in ((Decimal("1.5"), START + 2 * H), (Decimal("2"), START - H)):
        ServiceOrder.objects.create(
            community=t.a.community,
            requester=resident,
            ordered_by=resident,
            volunteer=helper,
            category=cat,
            scheduled_at=START,
            status="settled",
            hours=hours,
            settled_at=settled,
        )
    MicroWish.objects.create(
        community=t.a.community,
        title="轮椅",
        beneficiary="李奶奶",
        posted_by=resident,
        status="fulfilled",
        fulfilled_at=START + H,
    )
    f = vol_figures.figures(t.user("street"), t.street, START, END)
    assert f["volunteers"] == 2 and f["hours"] == 1.5 and f["wishes_fulfilled"] == 1
    assert vol_figures.figures(t.user("community_b"), t.b.community, START, END)["hours"] == 0
    assert f["points_earned"] == 0 and f["points_spent"] == 0


def test_centre_figures_for_an_area(desk):
    from centres import figures as centre_figures

    f = centre_figures.for_area(desk.user("street"), desk.t.street, START, END)
    assert f["centres"] == 0 and f["totals"]["bookings"] == 0 and f["units"] == []
