"""/dashboard/: scope (404 outside), drill-down and breadcrumb, the numbers equal the KPI
API's, the map's GeoJSON, query counts pinned."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from grids import actions as grid_actions
from grids.boundaries import draw
from services.models import Case
from tests.services.test_kpis import make


@pytest.fixture
def cases(desk):
    ok = {"sign_on_time": True, "contact_on_time": True}
    now = timezone.now()
    for i in range(3):
        make(
            desk,
            **ok,
            dispatched_at=now - timezone.timedelta(hours=2 + i),
            state="in_progress",
            resolve_due=now - timezone.timedelta(hours=1)
            if i == 0
            else now + timezone.timedelta(days=1),
            lat=24.9 + i * 0.001,
            lng=118.6,
        )
    make(desk, place=desk.t.b.buildings[0], **ok, dispatched_at=now - timezone.timedelta(hours=1))
    return desk


def login(client, desk, key):
    client.force_login(desk.user(key))
    return client


def test_the_dashboard_shows_the_users_own_area_by_default(client, cases):
    desk = cases
    page = login(client, desk, "community_a").get("/dashboard/")
    assert page.status_code == 200
    data = page.context["data"]
    assert data["target"]["area"] == desk.t.a.community.pk
    assert data["cases"]["open"] == 3 and data["cases"]["overdue_open"] == 1
    body = page.content.decode()
    assert "甲社区" in body and "乙社区" not in body
    assert 'id="dash-data"' in body and "<script>" not in body  # data as JSON, no inline script


def test_out_of_scope_is_404_and_staff_only(client, cases):
    desk = cases
    c = login(client, desk, "community_a")
    assert c.get(f"/dashboard/?area={desk.t.b.community.pk}").status_code == 404
    assert c.get(f"/dashboard/?area={desk.t.street.pk}").status_code == 404  # above them
    assert c.get("/dashboard/?area=x").status_code == 404
    assert c.get(f"/dashboard/geo/?area={desk.t.b.community.pk}").status_code == 404
    c.force_login(desk.user("resident_a"))
    assert c.get("/dashboard/").status_code == 404
    c.force_login(desk.user("grid_a"))
    assert c.get(f"/dashboard/?area={desk.t.a.community.pk}").status_code == 404
    assert c.get("/dashboard/").context["data"]["target"]["area"] == desk.t.a.grids[0].pk


def test_a_department_sees_its_own_cases(client, cases):
    desk = cases
    Case.objects.filter(state="in_progress").update(handling_department=desk.t.department)
    page = login(client, desk, "dept").get("/dashboard/")
    assert page.status_code == 200
    data = page.context["data"]
    assert data["target"] == {
        "area": None,
        "department": desk.t.department.pk,
        "name": "城管局",
        "kind": "department",
    }
    assert data["cases"]["open"] == 3 and data["children"] == []
    assert client.get(f"/dashboard/?area={desk.t.a.community.pk}").status_code == 404


def test_drill_down_and_breadcrumb(client, cases):
    desk = cases
    c = login(client, desk, "street")
    top = c.get("/dashboard/")
    kids = top.context["data"]["children"]
    assert {k["name"] for k in kids} == {"甲社区", "乙社区"}
    a = next(k for k in kids if k["name"] == "甲社区")
    assert a["dispatched"] == 3 and a["overdue"] == 1
    down = c.get(a["url"])
    assert down.status_code == 200
    assert [x.name for x in down.context["crumbs"]] == ["测试街道", "甲社区"]
    grid = desk.t.a.grids[0]
    deep = c.get(f"/dashboard/?area={grid.pk}")
    assert [x.name for x in deep.context["crumbs"]][:2] == ["测试街道", "甲社区"]
    assert deep.context["crumbs"][-1].pk == grid.pk
    # Each figure links to the desk list behind it, narrowed to the area.
    links = down.context["data"]["links"]
    assert links["overdue"] == f"/desk/cases/?area={desk.t.a.community.pk}&band=overdue"
    listed = c.get(links["overdue"])
    assert listed.status_code == 200
    # The organisation figures open the admin's lists of the same rows.
    body = down.content.decode()
    grids = f"/admin/grids/area/?kind=grid&amp;within={desk.t.a.community.pk}"
    assert grids in body
    listed = c.get(grids.replace("&amp;", "&"))
    assert listed.status_code == 200 and len(listed.context["cl"].result_list) == 5
    assert down.context["data"]["cases"]["overdue_open"] == 1


def test_the_dashboard_and_the_kpi_api_agree(client, cases):
    desk = cases
    c = login(client, desk, "street")
    month = timezone.localdate().replace(day=1)
    nxt = (month.replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    for area in (desk.t.street, desk.t.a.community):
        mine = c.get("/dashboard/data/", {"area": area.pk, "month": f"{month:%Y-%m}"}).json()
        api = c.get(
            "/api/services/kpis/",
            {"area": area.pk, "start": month.isoformat(), "end": nxt.isoformat(), "breakdown": 1},
            HTTP_ACCEPT="application/json",
        ).json()
        assert mine["cases"]["kpis"] == api["kpis"]
        assert set(api["labels"]) == set(api["kpis"])
        by_area = {row["area"]: row["kpis"] for row in api.get("breakdown", [])}
        for child in mine["children"]:
            if child["id"] in by_area:
                assert child["score"] == by_area[child["id"]]["score"]
                assert child["dispatched"] == by_area[child["id"]]["dispatched"]


def test_query_counts_are_pinned(client, cases, django_assert_max_num_queries):
    desk = cases
    c = login(client, desk, "street")
    c.get("/dashboard/")  # warm the scope cache and the KPI settings
    # Every panel grouped, never per row, so the count does not grow with the area: 40 with
    # the self-governance panels (议事 1, surveys 2, mediation 2) and the workforce's staffing
    # (6) beside the cases, centres, time bank and organisation (the children's households
    # and grids read once for the ranking and the organisation panel: 43 before).
    with django_assert_max_num_queries(40):
        assert c.get("/dashboard/").status_code == 200
    with django_assert_max_num_queries(40):
        assert c.get("/dashboard/data/").status_code == 200
    with django_assert_max_num_queries(6):
        assert c.get("/dashboard/geo/").status_code == 200
    with django_assert_max_num_queries(6):
        assert c.get("/dashboard/points/").status_code == 200


def test_geojson_of_children_is_simplified_and_small(client, cases):
    desk = cases
    t = desk.t
    shapes = draw(t.district, (118.5, 24.8, 118.7, 25.0), down_to_depth=t.district.depth + 3)
    # A detailed outline: 4,000 points along the first community's box edge.
    west, south, east, north = 118.5, 24.8, 118.55, 24.85
    ring = [[west + (east - west) * i / 1000, south] for i in range(1000)]
    ring += [[east, south + (north - south) * i / 1000] for i in range(1000)]
    ring += [[east - (east - west) * i / 1000, north] for i in range(1000)]
    ring += [[west, north - (north - south) * i / 1000] for i in range(1000)]
    ring.append(ring[0])
    shapes[t.a.community.pk] = {"type": "Polygon", "coordinates": [ring]}
    grid_actions.set_boundaries(shapes)
    c = login(client, desk, "street")
    answer = c.get("/dashboard/geo/")
    assert answer.status_code == 200 and len(answer.content) < 200_000
    geo = answer.json()
    assert {f["properties"]["name"] for f in geo["features"]} == {"甲社区", "乙社区"}
    detailed = next(f for f in geo["features"] if f["id"] == t.a.community.pk)
    assert len(detailed["geometry"]["coordinates"][0]) <= 10  # straight edges: corners only
    points = c.get("/dashboard/points/").json()
    assert len(points["points"]) == 3 and sum(p["late"] for p in points["points"]) == 1


def test_boundary_import_is_all_or_nothing_with_errors_by_feature(desk):
    from django.core.exceptions import ValidationError

    t = desk.t
    good = {
        "type": "Feature",
        "properties": {"code": "T-甲"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[118, 24], [118.1, 24], [118.1, 24.1], [118, 24]]],
        },
    }
    bad = {
        "type": "Feature",
        "properties": {"id": t.b.community.pk},
        "geometry": {"type": "Point", "coordinates": [1, 2]},
    }
    unknown = {**good, "properties": {"code": "NOPE", "name": "无此区"}}
    raw = json.dumps({"type": "FeatureCollection", "features": [good, bad, unknown]})
    with pytest.raises(ValidationError) as exc:
        grid_actions.import_boundaries(raw, actor=desk.user("street"))
    errors = exc.value.message_dict["file"]
    assert len(errors) == 2 and "2" in errors[0] and "无此区" in errors[1]
    t.a.community.refresh_from_db()
    assert t.a.community.boundary is None  # nothing written
    # Outside the actor's scope: refused.
    one = json.dumps({"type": "FeatureCollection", "features": [good]})
    with pytest.raises(ValidationError):
        grid_actions.import_boundaries(one, actor=desk.user("community_b"))
    assert grid_actions.import_boundaries(one, actor=desk.user("street")) == 1
    t.a.community.refresh_from_db()
    assert t.a.community.boundary["type"] == "Polygon"
    assert Case.objects.count() == 0


def test_the_admin_import_page(client, desk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = login(client, desk, "superuser")
    url = "/admin/grids/area/import-geojson/"
    assert c.get(url).status_code == 200
    bad = SimpleUploadedFile("a.geojson", b"{not json", content_type="application/json")
    answer = c.post(url, {"file": bad})
    assert answer.status_code == 400 and "JSON" in answer.content.decode()


def test_the_figures_read_through_the_configured_alias(client, cases, settings, monkeypatch):
    from dashboard import views
    from portal.readdb import ReadRouter, reading_from

    router = ReadRouter()
    assert router.db_for_read(Case) is None  # outside: the primary
    with reading_from("replica"):
        assert router.db_for_read(Case) == "replica"
    assert router.db_for_read(Case) is None
    assert router.allow_migrate("replica", "services") is False

    used = []

    def spy(alias):
        used.append(alias)
        return reading_from(None)

    monkeypatch.setattr(views, "reading_from", spy)
    settings.LINLI = {**settings.LINLI, "DASHBOARD_DB": "replica"}
    c = login(client, cases, "street")
    assert c.get("/dashboard/").status_code == 200
    assert c.get("/dashboard/geo/").status_code == 200
    assert used == ["replica", "replica"]


def test_the_kpi_api_names_its_figures_in_the_readers_language(client, cases):
    c = login(client, cases, "street")
    zh = c.get(
        "/api/services/kpis/", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert zh.json()["labels"]["response_rate"] == "响应率"
    assert zh.json()["labels"]["score"] == "综合得分"
