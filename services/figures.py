"""The 12345 figures of the dashboard (一屏观), by SQL aggregates over the viewer's cases.

The rates come from services.kpis (one definition of each rate, shared with
/api/services/kpis/): this module adds only what the report of one period does not hold:

- live counts of open cases: open, yellow card, overdue (the desk's own rules,
  services.desk.filters.RULES, so a figure's number is the length of the desk list it opens);
- 未诉先办 share: cases raised before any complaint (`raised_before_complaint`) ÷ the cohort;
- the 12-month trend (services.kpis.monthly), the child areas ranked (services.kpis.breakdown),
  the top categories of the cohort, the units with the most overdue open cases;
- open cases as map points, and the stream of new and late cases.

Every function reads `Case.objects.visible_to(user)` (built once per user object: `visible`)
narrowed to one area subtree or one department: nothing outside the viewer's scope is ever
counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area, Department
from services import kpis
from services.choices import OPEN_STATES
from services.desk.filters import RULES, Viewer
from services.desk.options import NO_UNIT
from services.models import Case, KpiConfig

TOP = 8  # categories and units listed
MAX_POINTS = 2000  # open cases drawn on the map (the newest; the count says how many exist)
STREAM = 10


@dataclass(frozen=True)
class Target:
    """What the figures are about: an area subtree, or (for a department's handlers) the
    department's own cases."""

    area: Area | None = None
    department: Department | None = None

    def narrow(self, qs: QuerySet) -> QuerySet:
        if self.area is not None:
            qs = qs.filter(place_path__startswith=self.area.path)
        if self.department is not None:
            qs = qs.filter(handling_department=self.department)
        return qs


assert set(RULES["yellow"].states) <= set(OPEN_STATES)
assert set(RULES["overdue"].states) <= set(OPEN_STATES)

_CACHE_ATTR = "_linli_dashboard_cases"


def visible(user) -> QuerySet:
    """`Case.objects.visible_to(user)`, built once per user object (one request, one task):
    building it may ask the database whether the user reports or follows cases outside their
    territory, and a dashboard reads it for a dozen figures."""
    qs = getattr(user, _CACHE_ATTR, None)
    if qs is None:
        qs = Case.objects.visible_to(user)
        setattr(user, _CACHE_ATTR, qs)
    return qs.all()


def cases_of(user, target: Target) -> QuerySet:
    return target.narrow(visible(user))


def summary(
    user, target: Target, start: datetime, end: datetime, now=None, config=None, totals=None
) -> dict:
    """The period's KPIs (services.kpis.kpis on the viewer's cases) plus the live counts of
    open cases and the 未诉先办 share: three queries (and the KPI settings unless given).
    `totals`: the period's (Kpis, 未诉先办 count) when the caller has them already (the
    dashboard's daily rollup, dashboard/rollup.py); then one query."""
    now = now or timezone.now()
    config = config or KpiConfig.current()
    base = visible(user)
    if totals is not None:
        k, proactive = totals
    else:
        k = kpis.kpis(
            start=start,
            end=end,
            area=target.area,
            department=target.department,
            base=base,
            now=now,
            config=config,
        )
    viewer = Viewer.of(user, now)
    # All three are counts of open cases (the yellow and overdue rules' states are OPEN_STATES,
    # asserted below), so only the open cases are read: the open-case index, not the area's
    # every case.
    live = (
        cases_of(user, target)
        .filter(state__in=OPEN_STATES)
        .aggregate(
            open=Count("pk", filter=Q(state__in=OPEN_STATES)),
            yellow=Count("pk", filter=RULES["yellow"].q(viewer)),
            overdue=Count("pk", filter=RULES["overdue"].q(viewer)),
        )
    )
    if totals is None:
        proactive = (
            kpis.cohort(
                start=start,
                end=end,
                area=target.area,
                department=target.department,
                base=base,
                config=config,
            )
            .filter(raised_before_complaint=True)
            .count()
        )
    return {
        "kpis": k.as_dict(),
        "open": live["open"],
        "yellow": live["yellow"],
        "overdue_open": live["overdue"],
        "proactive": proactive,
        "proactive_share": round(proactive / k.dispatched, 4) if k.dispatched else None,
    }


def trend(
    user, target: Target, start: datetime, end: datetime, now=None, config=None, rows=None
) -> list[dict]:
    """Month by month over [start, end) (the dashboard asks for twelve months): one query, or
    none when the caller has the months' Kpis already (`rows`: the daily rollup's)."""
    if rows is None:
        rows = kpis.monthly(
            start=start,
            end=end,
            area=target.area,
            department=target.department,
            base=visible(user),
            now=now,
            config=config,
        )
    return [
        {"month": timezone.localtime(month).strftime("%Y-%m"), **k.as_dict()} for month, k in rows
    ]


def ranked_children(
    user, area, start: datetime, end: datetime, now=None, config=None, pairs=None
) -> list[dict]:
    """Each child area's KPIs (one grouped query, or the caller's `pairs` of (child, Kpis):
    the daily rollup's), best weighted score first; children with no case in the period are
    left out by services.kpis.breakdown."""
    if pairs is None:
        pairs = kpis.breakdown(
            area=area,
            start=start,
            end=end,
            base=visible(user),
            now=now,
            config=config,
        )
    rows = [
        {"area": child.pk, "name": child.name, "kind": child.kind, **k.as_dict()}  # type: ignore[attr-defined]
        for child, k in pairs
    ]
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), r["name"]))
    return rows


def top_categories(user, target: Target, start: datetime, end: datetime, config=None) -> list[dict]:
    """The categories with most cases in the period's cohort."""
    qs = kpis.cohort(
        start=start,
        end=end,
        area=target.area,
        department=target.department,
        base=visible(user),
        config=config,
    )
    return [
        {"category": r["category_id"], "name": r["category__name"], "count": r["n"]}
        for r in qs.values("category_id", "category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "category__name")[:TOP]
    ]


def overdue_units(user, target: Target, now=None) -> list[dict]:
    """The handling units (a department, or a street / community / grid) with most open
    cases past their resolve deadline. `unit` is the desk list's unit filter value."""
    now = now or timezone.now()
    rows = (
        cases_of(user, target)
        .filter(RULES["overdue"].q(Viewer.of(user, now)))
        .values(
            "handling_department_id",
            "handling_department__name",
            "handling_area_id",
            "handling_area__name",
        )
        .annotate(n=Count("pk"))
        .order_by("-n", "handling_department__name", "handling_area__name")[:TOP]
    )
    out = []
    for r in rows:
        if r["handling_department_id"]:
            unit, name = f"d{r['handling_department_id']}", r["handling_department__name"]
        elif r["handling_area_id"]:
            unit, name = f"a{r['handling_area_id']}", r["handling_area__name"]
        else:
            # No unit holds it: the desk's word for that state (the "To dispatch" tab).
            unit, name = NO_UNIT, _("To dispatch")
        out.append({"unit": unit, "name": name, "count": r["n"]})
    return out


def open_points(user, target: Target, now=None) -> dict:
    """Open cases with coordinates, newest first (at most MAX_POINTS), as map points."""
    now = now or timezone.now()
    qs = cases_of(user, target).filter(state__in=OPEN_STATES, lat__isnull=False, lng__isnull=False)
    rows = list(
        qs.order_by("-created_at").values_list("number", "lat", "lng", "resolve_due", "card_level")[
            : MAX_POINTS + 1
        ]
    )
    points = [
        {
            "number": number,
            "lat": round(lat, 6),
            "lng": round(lng, 6),
            "late": bool(due and due < now),
            "card": card,
        }
        for number, lat, lng, due, card in rows[:MAX_POINTS]
    ]
    return {"points": points, "truncated": len(rows) > MAX_POINTS}


def stream(user, target: Target, now=None) -> dict:
    """The newest cases and the latest to fall overdue: two index-ordered reads."""
    now = now or timezone.now()
    qs = cases_of(user, target).select_related("category", "place")
    fields = ("number", "state", "category__name", "place__name", "created_at", "resolve_due")

    def rows(q):
        return [
            {
                "number": r["number"],
                "state": r["state"],
                "category": r["category__name"],
                "place": r["place__name"],
                "at": timezone.localtime(r["created_at"]).strftime("%m-%d %H:%M"),
                "due": timezone.localtime(r["resolve_due"]).strftime("%m-%d %H:%M")
                if r["resolve_due"]
                else "",
            }
            for r in q.values(*fields)[:STREAM]
        ]

    late = qs.filter(RULES["overdue"].q(Viewer.of(user, now))).order_by("-resolve_due")
    return {"new": rows(qs.order_by("-created_at")), "late": rows(late)}
