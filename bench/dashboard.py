"""The dashboard (一屏观) on the city-scale seed (make seed-city; 1,000,000 cases for issue #18's
targets: a district's whole dashboard p95 ≤ 300 ms, any single panel ≤ 100 ms, a drill-down
step ≤ 150 ms, the GeoJSON of a district's children ≤ 200 KB and ≤ 50 ms).

For a district and a street user on the seed's first of each: the whole page and /data/
through Django's test client (session, scope, every panel, template), each panel alone (the
figure functions of each app, as the page calls them), a drill-down step (the first child's
page), and the GeoJSON (time and size; the seed's outlines are generated, grids/demo_city.py).
p95 over BENCH_DASHBOARD_REPEAT requests, with query counts.

The daily rollup (dashboard/rollup.py) is refreshed first (its time is a figure: the first
build, then a refresh with nothing changed); the district's page is also measured with the
rollup switched off (LINLI_DASHBOARD_ROLLUP=false: every figure from the cases) to show what
it buys.
"""

from __future__ import annotations

import os

from bench._util import count_queries, p95, timings

REPEAT = int(os.environ.get("BENCH_DASHBOARD_REPEAT", "30"))


def _users():
    from django.contrib.auth import get_user_model

    from grids.models import Area, Role, RoleAssignment

    city = Area.objects.filter(code="SCALE", depth=1).first()
    if city is None:
        raise RuntimeError("run `make seed-city` first (manage.py seed_demo --scale city)")
    User = get_user_model()
    out = {}
    for kind, role in (("district", Role.DISTRICT_STAFF), ("street", Role.STREET_STAFF)):
        area = Area.objects.filter(path__startswith=city.path, kind=kind).order_by("path")[0]
        user, _ = User.objects.get_or_create(
            username=f"bench-dashboard-{kind}", defaults={"is_staff": True}
        )
        RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
        out[kind] = (user, area)
    return out


def run(emit) -> None:
    from django.utils import timezone

    from grids.boundaries import draw
    from grids.models import Area
    from services.models import Case

    total = Case.objects.count()
    city = Area.objects.filter(code="SCALE", depth=1).first()
    if (
        city is not None
        and not Area.objects.filter(path__startswith=city.path, boundary__isnull=False).exists()
    ):
        from grids import actions

        # A seed made before outlines existed: draw them now (once).
        actions.set_boundaries(draw(city, (118.3, 24.6, 118.9, 25.2), city.depth + 3))
    import time

    from dashboard import actions
    from dashboard.models import DailyCaseFigures

    started = time.perf_counter()
    days = actions.refresh_rollup()
    emit("rollup_refresh_s", time.perf_counter() - started, "s", cases=total, days=days)
    started = time.perf_counter()
    again = actions.refresh_rollup()
    emit("rollup_refresh_again_s", time.perf_counter() - started, "s", cases=total, days=again)
    emit("rollup_rows", DailyCaseFigures.objects.count(), "rows", cases=total)
    month = timezone.localdate().replace(day=1)
    for kind, (user, area) in _users().items():
        _measure(emit, user, area, month, {"cases": total, "user": kind})
        if kind == "district":
            _without_rollup(emit, user, area, {"cases": total, "user": kind})


def _measure(emit, user, area, month, sizes: dict) -> None:
    """Every figure for one user at their area (a function: the timed closures bind its
    arguments, not a loop's variables)."""
    from django.test import Client

    from centres import figures as centre_figures
    from dashboard import panels as dash_panels
    from dashboard import rollup
    from dashboard.scope import view_of
    from deliberation import figures as deliberation_figures
    from grids import figures as grid_figures
    from grids.models import Area
    from grids.scope import scope_for
    from mediation import figures as mediation_figures
    from services import figures as case_figures
    from services.figures import Target
    from surveys import figures as survey_figures
    from volunteers import figures as volunteer_figures
    from workforce import figures as workforce_figures

    client = Client()
    client.force_login(user)

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    page = f"/dashboard/?area={area.pk}"
    emit("page_queries", count_queries(lambda: get(page)), "queries", **sizes)
    emit("page_p95", p95(timings(lambda: get(page), repeat=REPEAT)), "ms", **sizes)
    data = f"/dashboard/data/?area={area.pk}"
    emit("data_p95", p95(timings(lambda: get(data), repeat=REPEAT)), "ms", **sizes)
    geo = f"/dashboard/geo/?area={area.pk}"
    emit("geojson_kb", len(get(geo).content) / 1024, "KB", **sizes)
    emit("geojson_p95", p95(timings(lambda: get(geo), repeat=REPEAT)), "ms", **sizes)
    child = Area.objects.filter(path__startswith=area.path, depth=area.depth + 1).first()
    if child is not None:
        step = f"/dashboard/?area={child.pk}"
        emit("drill_down_p95", p95(timings(lambda: get(step), repeat=REPEAT)), "ms", **sizes)

    view = view_of(scope_for(user), Target(area=area), month)
    t, start, end = view.target, view.start, view.end

    def summary():
        plan = rollup.Plan.now()
        totals = rollup.totals(user, t, start, end, plan=plan)
        return case_figures.summary(user, t, start, end, totals=totals)

    def trend():
        rows = rollup.monthly(user, t, view.trend_start, end)
        return case_figures.trend(user, t, view.trend_start, end, rows=rows)

    def ranking():
        pairs = rollup.breakdown(user, area, start, end)
        return case_figures.ranked_children(user, area, start, end, pairs=pairs)

    panels = {
        "rollup_plan": rollup.Plan.now,
        "summary": summary,
        "trend": trend,
        "ranking": ranking,
        "categories": lambda: case_figures.top_categories(user, t, start, end),
        "units": lambda: case_figures.overdue_units(user, t),
        "points": lambda: case_figures.open_points(user, t),
        "organisation": lambda: grid_figures.organisation(area),
        "children_org": lambda: grid_figures.children(area),
        "volunteers": lambda: volunteer_figures.figures(user, area, start, end),
        "centres": lambda: centre_figures.for_area(user, area, start, end),
        "child_areas": lambda: dash_panels.child_areas(area),
        "workforce": lambda: workforce_figures.for_area(user, area),
        "mediation": lambda: mediation_figures.figures(user, area, start, end),
        "surveys": lambda: survey_figures.for_area(user, area, start, end),
        "deliberation": lambda: deliberation_figures.figures(user, area, start, end),
    }
    for name, fn in panels.items():
        emit(f"panel_{name}_p95", p95(timings(fn, repeat=REPEAT)), "ms", **sizes)


def _without_rollup(emit, user, area, sizes: dict) -> None:
    """The district's page and its heavy panels with every figure read from the cases."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page = f"/dashboard/?area={area.pk}"
    settings.LINLI["DASHBOARD_ROLLUP"] = False
    try:
        emit(
            "page_without_rollup_p95",
            p95(timings(lambda: client.get(page), repeat=max(REPEAT // 3, 5), warmup=1)),
            "ms",
            **sizes,
        )
    finally:
        settings.LINLI["DASHBOARD_ROLLUP"] = True
