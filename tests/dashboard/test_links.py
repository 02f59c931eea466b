"""Every figure links to the list behind it, and that list holds what the figure counted: the
desk's list (a unit with no case holder yet: 待派单), the centre register and the centres'
figures table, the volunteers and the fulfilled micro-wishes; the centres panel's empty state;
with the daily rollup refreshed the dashboard still agrees with /api/services/kpis/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from centres.models import Centre
from dashboard import actions
from services.models import Case
from tests.services.test_kpis import make
from volunteers.models import MicroWish, Volunteer


def login(client, desk, key):
    client.force_login(desk.user(key))
    return client


def _data(client, area, **params):
    page = client.get("/dashboard/", {"area": area.pk, **params})
    assert page.status_code == 200
    return page, page.context["data"]


def test_an_overdue_case_no_unit_holds_links_to_its_desk_list(client, desk):
    now = timezone.now()
    ok = {"sign_on_time": True, "contact_on_time": True}
    nobody = make(desk, **ok, state="in_progress", resolve_due=now - timedelta(hours=1))
    make(
        desk,
        **ok,
        state="in_progress",
        resolve_due=now - timedelta(hours=1),
        handling_department=desk.t.department,
    )
    c = login(client, desk, "street")
    _page, data = _data(c, desk.t.street)
    units = {u["name"]: u for u in data["units"]}
    # The desk's own word for a case no unit holds: its "To dispatch" tab (待派单).
    assert set(units) == {"To dispatch", "城管局"}
    listed = c.get(units["To dispatch"]["url"])
    assert listed.status_code == 200
    assert [r["number"] for r in listed.context["page_cases"]] == [nobody.number]
    assert units["To dispatch"]["count"] == 1


def test_the_centres_panel_says_there_is_no_centre_yet(client, desk):
    c = login(client, desk, "street")
    page, data = _data(c, desk.t.street)
    body = page.content.decode()
    assert data["centres"]["centres"] == 0
    assert 'id="centres-empty"' in body and 'data-chart="centres"' not in body
    assert "There is no community centre in this area yet" in body
    register = c.get(data["links"]["centres"])
    assert register.status_code == 200 and len(register.context["cl"].result_list) == 0


def test_centre_figures_link_to_the_register_and_the_table_of_the_area(client, desk):
    ours = Centre.objects.create(name="甲社区党群服务中心", community=desk.t.a.community)
    Centre.objects.create(name="乙社区党群服务中心", community=desk.t.b.community)
    c = login(client, desk, "street")
    page, data = _data(c, desk.t.a.community)
    body = page.content.decode()
    assert data["centres"]["centres"] == 1 and 'id="centres-empty"' not in body
    register = c.get(data["links"]["centres"])
    assert [x.pk for x in register.context["cl"].result_list] == [ours.pk]
    table = c.get(data["links"]["centre_figures"])
    assert table.status_code == 200 and table.context["within"] == desk.t.a.community
    month = timezone.localdate().replace(day=1)
    assert table.context["start"] == month
    # The street's register lists both; another street's area is 404, not an empty list.
    _page, street = _data(c, desk.t.street)
    assert len(c.get(street["links"]["centres"]).context["cl"].result_list) == 2
    other = login(client, desk, "community_b")
    assert other.get(data["links"]["centre_figures"]).status_code == 404


def test_time_bank_figures_link_to_the_volunteers_and_the_wishes(client, desk):
    t = desk.t
    now = timezone.now()
    a = Volunteer.objects.create(
        user=t.user("resident_a"), community=t.a.community, real_name="王五", consent_at=now
    )
    Volunteer.objects.create(
        user=t.user("resident_b"), community=t.b.community, real_name="赵六", consent_at=now
    )
    wish = MicroWish.objects.create(
        community=t.a.community,
        title="轮椅",
        beneficiary="李奶奶",
        posted_by=t.user("resident_a"),
        status="fulfilled",
        fulfilled_at=now,
    )
    MicroWish.objects.create(  # last year's: not this month's figure, not in its list
        community=t.a.community,
        title="拐杖",
        beneficiary="王爷爷",
        posted_by=t.user("resident_a"),
        status="fulfilled",
        fulfilled_at=now - timedelta(days=400),
    )
    c = login(client, desk, "street")
    _page, data = _data(c, t.a.community)
    volunteers = c.get(data["links"]["volunteers"])
    assert [v.pk for v in volunteers.context["cl"].result_list] == [a.pk]
    assert data["volunteers"]["volunteers"] == 1
    wishes = c.get(data["links"]["wishes"])
    assert [w.pk for w in wishes.context["cl"].result_list] == [wish.pk]
    assert data["volunteers"]["wishes_fulfilled"] == 1
    # The organisation figures too: each link opens a list (the admin's own filters).
    for key in ("grids", "contacts", "branches"):
        assert c.get(data["links"][key]).status_code == 200, key


def test_a_viewer_without_the_staff_admin_gets_numbers_not_dead_links(client, desk):
    user = desk.user("community_a")
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    page, data = _data(login(client, desk, "community_a"), desk.t.a.community)
    assert "centres" not in data["links"] and "/admin/" not in page.content.decode()


@pytest.fixture
def earlier(desk):
    """Cases dispatched on closed days of this month (or, on the 1st, of last month), as they
    stood a day ago, and one today."""
    now = timezone.now()
    ok = {"sign_on_time": True, "contact_on_time": True}
    day = now - timedelta(days=1 if timezone.localdate().day > 1 else 2)
    make(
        desk,
        **ok,
        dispatched_at=day,
        resolved_at=day + timedelta(hours=3),
        resolved_on_time=True,
        state="called_back",
        callback_solved=True,
        rating=5,
    )
    make(desk, **ok, dispatched_at=day, state="in_progress", resolve_due=now - timedelta(hours=2))
    make(
        desk,
        place=desk.t.b.buildings[0],
        dispatched_at=day,
        state="called_back",
        rating=2,
        callback_solved=False,
        resolved_at=day + timedelta(hours=30),
        resolved_on_time=False,
    )
    Case.objects.update(updated_at=now - timedelta(days=1))
    make(desk, **ok, dispatched_at=now - timedelta(minutes=5))
    assert actions.refresh_rollup() >= 1
    return desk, timezone.localtime(day).date().replace(day=1)


def test_with_the_rollup_the_dashboard_and_the_kpi_api_agree(client, earlier):
    desk, month = earlier
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    c = login(client, desk, "district")
    for area in (desk.t.district, desk.t.street):
        mine = c.get("/dashboard/data/", {"area": area.pk, "month": f"{month:%Y-%m}"}).json()
        assert mine["rollup_as_of"]  # the closed days came from the rollup
        api = c.get(
            "/api/services/kpis/",
            {"area": area.pk, "start": month.isoformat(), "end": nxt.isoformat(), "breakdown": 1},
            HTTP_ACCEPT="application/json",
        ).json()
        assert mine["cases"]["kpis"] == api["kpis"]
        by_area = {row["area"]: row["kpis"] for row in api.get("breakdown", [])}
        for child in mine["children"]:
            assert child["score"] == by_area[child["id"]]["score"]
            assert child["dispatched"] == by_area[child["id"]]["dispatched"]
    assert mine["trend"][-1]["dispatched"] == api["kpis"]["dispatched"]


def test_the_page_with_the_rollup_keeps_its_query_count(
    client, earlier, django_assert_max_num_queries
):
    desk, _month = earlier
    c = login(client, desk, "district")
    c.get("/dashboard/")
    # The rollup adds its state and the days changed since (2); the month's totals, the trend
    # and the ranking are one grouped read of each of its three sources (the stored days, the
    # live days, the open cases past their deadline: dashboard.rollup.read), where the live
    # page reads the month, the trend and the ranking once each; with the self-governance and
    # workforce panels' 11 (tests/dashboard/test_views.py): 39 (49 before the reads were
    # merged, the children read once and the organisation panel given their totals).
    with django_assert_max_num_queries(39):
        page = c.get("/dashboard/")
    assert page.status_code == 200 and page.context["data"]["rollup_as_of"]
