"""Workforce figures, by SQL aggregates (GROUP BY in the database):

- staffing per community: residents and households from grids' household register (the
  number of households, the sum of their member_count); where the register holds fewer
  households than planned (the community's households_planned, else the sum over its level-2
  grids, 300–500 each), the planned households at the register's mean household size, marked
  as estimated; active workers, workers per 10,000 residents against the city's norm,
  the workers the norm asks for and the vacancies, and the centres' floor area against the
  facility norm (m² per 100 households);
- the workload sheet per worker and month: what the portal already records against the
  worker's account (cases, callbacks, ratings, patrols, household visits, activities, bookings).

Scoped: only communities and workers the user may see. Query counts are pinned by tests.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from grids.models import Area, HouseholdVisit
from workforce.ladder import ladder_for
from workforce.models import Worker

DEFAULT_HOUSEHOLD_SIZE = Decimal("2.8")


@dataclass
class StaffingRow:
    community_id: int
    community: str
    households: int
    residents: int
    estimated: bool
    workers: int
    per_10k: float | None
    norm: float
    required: int
    vacancies: int
    floor_area: float
    floor_required: float
    floor_ok: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _communities(user, area: Area) -> list[Area]:
    qs = Area.objects.visible_to(user).filter(kind="community")
    if area.kind == "community":
        qs = qs.filter(pk=area.pk)
    else:
        qs = qs.filter(path__startswith=area.path)
    return list(qs.defer("boundary").order_by("path"))


def staffing(user, area: Area, on: date | None = None) -> list[StaffingRow]:
    """One row per community of `area` the user may see: six queries whatever the size."""
    from centres.models import Centre

    on = on or timezone.localdate()
    communities = _communities(user, area)
    if not communities:
        return []
    ladder = ladder_for(area)
    norm = Decimal(ladder.staffing_norm) if ladder else Decimal(18)
    facility = Decimal(ladder.facility_norm) if ladder else Decimal(30)
    width = len(communities[0].path)
    by_path = {c.path: c for c in communities}
    ids = [c.pk for c in communities]
    people: dict[str, dict[str, Any]] = {
        r["unit"]: dict(r)
        # The households and members the database keeps per area (Area.figs_households,
        # figs_people: grids.sql.HOUSEHOLD_COUNTS), not the households joined to buildings.
        for r in Area.objects.filter(path__startswith=area.path, figs_households__gt=0)
        .annotate(unit=Substr("path", 1, width))
        .values("unit")
        .annotate(n=Sum("figs_households"), people=Sum("figs_people"))
        .order_by()
    }
    planned = {
        r["unit"]: r["n"]
        for r in Area.objects.filter(path__startswith=area.path, kind="grid", grid_level=2)
        .annotate(unit=Substr("path", 1, width))
        .values("unit")
        .annotate(n=Sum("households_planned"))
        .order_by()
    }
    workers = dict(
        Worker.objects.active(on)
        .filter(community_id__in=ids)
        .values("community_id")
        .annotate(n=Count("pk"))
        .values_list("community_id", "n")
        .order_by()
    )
    floor = dict(
        Centre.objects.filter(community_id__in=ids, is_active=True)
        .values("community_id")
        .annotate(m2=Sum("floor_area"))
        .values_list("community_id", "m2")
        .order_by()
    )
    rows = []
    for path, c in by_path.items():
        p: dict[str, Any] = people.get(path, {})
        registered, residents = int(p.get("n") or 0), int(p.get("people") or 0)
        plan = c.households_planned or int(planned.get(path) or 0)
        households, estimated = registered, False
        if plan > registered:
            # The register is not complete yet: the planned households at the register's
            # mean household size (2.8 people when nothing is registered).
            size = Decimal(residents) / registered if registered else DEFAULT_HOUSEHOLD_SIZE
            households, residents, estimated = plan, int(round(plan * size)), True
        n = workers.get(c.pk, 0)
        required = math.ceil(Decimal(residents) * norm / 10000) if residents else 0
        m2 = float(floor.get(c.pk) or 0)
        m2_required = float(Decimal(households) * facility / 100)
        rows.append(
            StaffingRow(
                community_id=c.pk,
                community=c.name,
                households=households,
                residents=residents,
                estimated=estimated,
                workers=n,
                per_10k=round(n * 10000 / residents, 2) if residents else None,
                norm=float(norm),
                required=required,
                vacancies=max(required - n, 0),
                floor_area=m2,
                floor_required=round(m2_required, 1),
                floor_ok=m2 >= m2_required,
            )
        )
    return rows


def staffing_totals(rows: list[StaffingRow]) -> dict:
    residents = sum(r.residents for r in rows)
    workers = sum(r.workers for r in rows)
    return {
        "communities": len(rows),
        "residents": residents,
        "households": sum(r.households for r in rows),
        "workers": workers,
        "per_10k": round(workers * 10000 / residents, 2) if residents else None,
        "norm": rows[0].norm if rows else None,
        "required": sum(r.required for r in rows),
        "vacancies": sum(r.vacancies for r in rows),
        "below_norm": sum(1 for r in rows if r.vacancies),
        "floor_short": sum(1 for r in rows if not r.floor_ok),
    }


def for_area(user, area: Area) -> dict | None:
    """The dashboard's workforce panel for an area (None below community level)."""
    if area.kind not in ("city", "district", "street", "community"):
        return None
    return staffing_totals(staffing(user, area))


# --- workload --------------------------------------------------------------------------------
WORKLOAD_FIELDS = (
    "cases_signed",
    "cases_resolved",
    "resolved_on_time",
    "callbacks",
    "rated",
    "satisfaction",
    "patrol_reports",
    "visits",
    "activities",
    "bookings",
)


def workload(workers: list[Worker], start: datetime, end: datetime) -> dict[int, dict]:
    """{worker id: figures} for `[start, end)` (local month bounds), by the worker's account:
    cases signed for (signed_at) and resolved (resolved_at) as assignee, of those resolved in
    time; callbacks made (by); resolved cases rated by residents and their mean rating;
    patrol reports (cases the worker filed through the grid-worker channel); household visits
    (visited_on); distinct activities at which they checked residents in; room bookings
    decided and 事有所办 appointments handled. Eight queries whatever the number of workers."""
    from centres.models import Appointment, Booking, SignUp
    from services.choices import Channel
    from services.models import Callback, Case

    users = {w.user_id: w.pk for w in workers if w.user_id}
    out: dict[int, dict[str, Any]] = {
        w.pk: dict.fromkeys(WORKLOAD_FIELDS, 0) | {"satisfaction": None} for w in workers
    }
    if not users:
        return out
    ids = list(users)

    def put(rows, *names):
        for row in rows:
            wid = users.get(row[0])
            if wid is not None:
                for name, value in zip(names, row[1:], strict=True):
                    out[wid][name] = value

    put(
        Case.objects.filter(assignee_id__in=ids, signed_at__gte=start, signed_at__lt=end)
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
        .order_by(),
        "cases_signed",
    )
    put(
        Case.objects.filter(assignee_id__in=ids, resolved_at__gte=start, resolved_at__lt=end)
        .values("assignee_id")
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=Q(resolved_on_time=True)),
            rated=Count("rating"),
            mean=Avg("rating"),
        )
        .values_list("assignee_id", "n", "on_time", "rated", "mean")
        .order_by(),
        "cases_resolved",
        "resolved_on_time",
        "rated",
        "satisfaction",
    )
    put(
        Callback.objects.filter(by_id__in=ids, at__gte=start, at__lt=end)
        .values("by_id")
        .annotate(n=Count("pk"))
        .values_list("by_id", "n")
        .order_by(),
        "callbacks",
    )
    put(
        Case.objects.filter(
            reporter_id__in=ids,
            channel=Channel.GRID_WORKER,
            created_at__gte=start,
            created_at__lt=end,
        )
        .values("reporter_id")
        .annotate(n=Count("pk"))
        .values_list("reporter_id", "n")
        .order_by(),
        "patrol_reports",
    )
    put(
        HouseholdVisit.objects.filter(
            worker_id__in=ids,
            visited_on__gte=timezone.localdate(start),
            visited_on__lt=timezone.localdate(end),
        )
        .values("worker_id")
        .annotate(n=Count("pk"))
        .values_list("worker_id", "n")
        .order_by(),
        "visits",
    )
    put(
        SignUp.objects.filter(
            checked_in_by_id__in=ids,
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
        )
        .values("checked_in_by_id")
        .annotate(n=Count("activity_id", distinct=True))
        .values_list("checked_in_by_id", "n")
        .order_by(),
        "activities",
    )
    bookings: dict[int, int] = {}
    for uid, n in (
        Booking.objects.filter(decided_by_id__in=ids, starts_at__gte=start, starts_at__lt=end)
        .values("decided_by_id")
        .annotate(n=Count("pk"))
        .values_list("decided_by_id", "n")
        .order_by()
    ):
        bookings[uid] = bookings.get(uid, 0) + n
    for uid, n in (
        Appointment.objects.filter(handled_by_id__in=ids, handled_at__gte=start, handled_at__lt=end)
        .values("handled_by_id")
        .annotate(n=Count("pk"))
        .values_list("handled_by_id", "n")
        .order_by()
    ):
        bookings[uid] = bookings.get(uid, 0) + n
    for uid, n in bookings.items():
        out[users[uid]]["bookings"] = n
    for figures in out.values():
        if figures["satisfaction"] is not None:
            figures["satisfaction"] = round(float(figures["satisfaction"]), 2)
    return out
