"""The dashboard's data: every panel's figures for one area (or department) and month, with
the link to the list behind each figure. The page embeds it (json_script), /dashboard/data/
serves it to the big screen's cycle and the report writes it to Excel: the same numbers
everywhere, from the figure modules of each app (services/centres/volunteers/grids.figures).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import reverse
from django.utils import timezone

from centres import figures as centre_figures
from dashboard import rollup
from dashboard.scope import DRILL_KINDS, View
from deliberation import figures as deliberation_figures
from grids import figures as grid_figures
from grids.models import Area
from mediation import figures as mediation_figures
from services import figures as case_figures
from services.models import KpiConfig
from surveys import figures as survey_figures
from volunteers import figures as volunteer_figures
from workforce import figures as workforce_figures


def desk_list(view: View, area=None, **params) -> str:
    """The desk's case list (/desk/cases/) narrowed to an area and filters."""
    area = area if area is not None else view.area
    query: dict = {}
    if area is not None and area.kind in ("district", "street", "community"):
        query["area"] = area.pk
    elif area is not None and area.kind == "grid":
        community = area.ancestor_of_kind("community")
        query.update(area=community.pk if community else "", grid=area.pk)
    query.update({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("desk:cases") + ("?" + urlencode(query) if query else "")


def month_list(view: View, area=None, **params) -> str:
    """The desk list of cases filed in the month (the desk filters by filing date)."""
    last = view.end - timedelta(days=1)
    return desk_list(
        view,
        area,
        created_from=view.start.date().isoformat(),
        created_to=last.date().isoformat(),
        **params,
    )


def admin_list(name: str, **params) -> str:
    """An admin list (a register: centres, volunteers, wishes …) narrowed by its filters;
    `within=<area>` is the admin's "within this area" filter (grids.admin.common)."""
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return reverse(f"admin:{name}") + ("?" + urlencode(query) if query else "")


def register_links(view: View, user) -> dict:
    """The lists behind the centres', the organisation's and the time bank's figures: the
    admin's registers, which read through the same scope (a list never shows more than the
    figure counted). None for a viewer who cannot open the staff admin."""
    area = view.area
    if area is None or not user.is_staff:
        return {}
    last = (view.end - timedelta(days=1)).date()
    first = view.start.date()
    return {
        "centres": admin_list("centres_centre_changelist", within=area.pk),
        "centre_figures": admin_list(
            "centres_figures", within=area.pk, start=first.isoformat(), end=last.isoformat()
        ),
        "volunteers": admin_list(
            "volunteers_volunteer_changelist", status="active", within=area.pk
        ),
        "wishes": admin_list(
            "volunteers_microwish_changelist",
            status="fulfilled",
            within=area.pk,
            fulfilled_at__gte=view.start.isoformat(),  # the month's bounds, local time
            fulfilled_at__lt=view.end.isoformat(),
        ),
        "grids": admin_list("grids_area_changelist", kind="grid", within=area.pk),
        "contacts": admin_list("grids_contacthousehold_changelist", within=area.pk),
        "branches": admin_list("grids_partyorg_changelist", kind="branch", within=area.pk),
    }


def child_areas(area) -> list[Area]:
    """The children the drill-down walks to (the outlines themselves stay in the database:
    the map reads them from /dashboard/geo/)."""
    return list(
        Area.objects.filter(path__startswith=area.path, depth=area.depth + 1, kind__in=DRILL_KINDS)
        .defer("boundary")
        .annotate(
            has_boundary=ExpressionWrapper(Q(boundary__isnull=False), output_field=BooleanField())
        )
        .order_by("path")
    )


def children(
    view: View, user, kids: list[Area], now, config=None, plan=None, org=None, pairs=None
) -> list[dict]:
    """Each child area with its figures for the map's colours and the ranking table (`org`:
    grids.figures.children's figures, `pairs`: the daily rollup's (child, Kpis), when the
    caller has them)."""
    area = view.area
    if area is None or not kids:
        return []
    if pairs is None:
        plan = plan if plan is not None else rollup.Plan.now()
        pairs = rollup.breakdown(user, area, view.start, view.end, now, config, plan, children=kids)
    kpis_by = {
        r["area"]: r
        for r in case_figures.ranked_children(
            user, area, view.start, view.end, now, config=config, pairs=pairs
        )
    }
    org = org if org is not None else grid_figures.children(area, kids=kids)
    out = []
    for kid in kids:
        k = kpis_by.get(kid.pk, {})
        households = org.get(kid.pk, {}).get("households", 0)
        dispatched = k.get("dispatched", 0)
        out.append(
            {
                "id": kid.pk,
                "name": kid.name,
                "kind": kid.kind,
                "lat": kid.lat,
                "lng": kid.lng,
                "has_boundary": kid.has_boundary,
                "dispatched": dispatched,
                "overdue": k.get("overdue", 0),
                "satisfaction_rate": k.get("satisfaction_rate"),
                "response_rate": k.get("response_rate"),
                "resolution_rate": k.get("resolution_rate"),
                "score": k.get("score"),
                "households": households,
                "per_1000": round(dispatched * 1000 / households, 1) if households else None,
                "grids": org.get(kid.pk, {}).get("grids", 0),
                "grids_staffed": org.get(kid.pk, {}).get("grids_staffed", 0),
                "url": f"{reverse('dashboard:home')}?area={kid.pk}",
                "list_url": month_list(view, kid),
            }
        )
    # Ranked: best weighted score first; areas without cases in the month last.
    out.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["name"]))
    for i, row in enumerate(out, 1):
        row["rank"] = i
    return out


def build(view: View, user, now=None) -> dict:
    """Every panel, in about thirty queries whatever the size of the area."""
    now = now or timezone.now()
    target, area = view.target, view.area
    config = KpiConfig.current()  # read once for every panel
    plan = rollup.Plan.now()  # the daily rollup's state, read once for every panel
    kids = child_areas(area) if area is not None else []
    # The month's totals, the twelve months and the children's ranking from the daily rollup
    # in one read of each source (None: not for this viewer or area, read live).
    rolled = rollup.read(
        user,
        target,
        view.start,
        view.end,
        view.trend_start,
        now,
        config,
        plan,
        children=kids,
        units=area is not None and bool(kids) and area.depth + 1 <= rollup.ROLLUP_DEPTH,
    )
    summary = case_figures.summary(
        user,
        target,
        view.start,
        view.end,
        now=now,
        config=config,
        totals=rolled.totals if rolled is not None else None,
    )
    # The children's households and grids, and their sums for the organisation panel: read
    # once for both.
    org, org_totals = grid_figures.subtree(area, kids=kids) if kids else ({}, None)
    data: dict[str, Any] = {
        "target": {
            "area": area.pk if area else None,
            "department": view.department.pk if view.department else None,
            "name": area.name if area else view.department.name,
            "kind": area.kind if area else "department",
        },
        "month": view.month.strftime("%Y-%m"),
        "as_of": timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
        "cases": summary,
        "trend": case_figures.trend(
            user,
            target,
            view.trend_start,
            view.end,
            now=now,
            config=config,
            rows=rolled.monthly if rolled is not None else None,
        ),
        # Closed days from the daily rollup as it stood then (null: every figure read live).
        "rollup_as_of": timezone.localtime(plan.refreshed_at).strftime("%Y-%m-%d %H:%M")
        if plan.refreshed_at and plan.applies(user, area)
        else None,
        "categories": [
            {**c, "url": month_list(view, category=c["category"])}
            for c in case_figures.top_categories(user, target, view.start, view.end, config=config)
        ],
        "units": [
            {**u, "url": desk_list(view, band="overdue", unit=u["unit"])}
            for u in case_figures.overdue_units(user, target, now=now)
        ],
        "children": children(
            view,
            user,
            kids,
            now,
            config=config,
            plan=plan,
            org=org,
            pairs=rolled.breakdown if rolled is not None else None,
        ),
        "links": {
            "month": month_list(view),
            "open": desk_list(view),
            "yellow": desk_list(view, band="yellow"),
            "overdue": desk_list(view, band="overdue"),
            **register_links(view, user),
        },
    }
    if area is not None:
        data["organisation"] = grid_figures.organisation(area, totals=org_totals)
        data["volunteers"] = volunteer_figures.figures(user, area, view.start, view.end)
        data["centres"] = centre_figures.for_area(user, area, view.start, view.end)
        data["workforce"] = workforce_figures.for_area(user, area)
        data["mediation"] = mediation_figures.figures(user, area, view.start, view.end)
        data["surveys"] = survey_figures.for_area(user, area, view.start, view.end, now=now)
        data["deliberation"] = deliberation_figures.figures(user, area, view.start, view.end)
    return data
