"""Figures per centre and function over a period, by SQL aggregates (GROUP BY in the
database; nothing is counted in Python). Scoped: only centres the user may see.

- services given: ServiceVisit quantities, by the service's function
- sign-ups (confirmed places), attended (checked in), no-shows (confirmed, not
  checked in, activity over): by the activity's function, for activities starting in the
  period, from the per-activity counts the database keeps (centres.sql.SIGNUP_COUNTS_SQL)
- bookings (live ones starting in the period): by centre (rooms serve every function)
- appointments handled (事有所办: handled or referred on in the period)
- co-building orders taken (accepted) and completed in the period, by the item's function
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from centres.models import (
    LIVE_BOOKING,
    Activity,
    Appointment,
    Booking,
    Centre,
    FunctionCode,
    Order,
    ServiceVisit,
)

FIELDS = (
    "services_given",
    "signups",
    "attended",
    "no_shows",
    "bookings",
    "appointments_handled",
    "orders_taken",
    "orders_completed",
)
ALL = ""  # the "function" of rows that belong to the whole centre (bookings)


@dataclass
class Row:
    centre_id: int
    centre: str
    function: str
    function_label: str
    services_given: int = 0
    signups: int = 0
    attended: int = 0
    no_shows: int = 0
    bookings: int = 0
    appointments_handled: int = 0
    orders_taken: int = 0
    orders_completed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def figures(user, start: datetime, end: datetime, centre_ids: list[int] | None = None) -> list[Row]:
    """One row per centre and function with any activity in [start, end)."""
    centres = Centre.objects.visible_to(user)
    if centre_ids:
        centres = centres.filter(pk__in=centre_ids)
    ids = centres.values("pk")
    now = timezone.now()
    cells: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))

    def add(rows, centre_key: str, function_key: str | None, mapping: dict[str, str]):
        for r in rows:
            cell = cells[(r[centre_key], r[function_key] if function_key else ALL)]
            for field, column in mapping.items():
                cell[field] += r[column] or 0

    add(
        ServiceVisit.objects.filter(service__centre__in=ids, at__gte=start, at__lt=end)
        .values("service__centre_id", "service__function__code")
        .annotate(n=Sum("quantity")),
        "service__centre_id",
        "service__function__code",
        {"services_given": "n"},
    )
    # Every sign-up figure counts confirmed places only (a check-in needs a confirmed place:
    # the check constraint centres_signup_checkin_only_confirmed), and the database keeps
    # those counts on each activity (figs_confirmed, figs_checked_in: centres.sql's triggers
    # on the sign-ups), so a district sums its activities of the period (a few thousand rows
    # from the (centre, starts_at) index) instead of counting its 200,000 sign-ups.
    add(
        Activity.objects.filter(
            centre__in=ids, starts_at__gte=start, starts_at__lt=end, figs_confirmed__gt=0
        )
        .values("centre_id", "function__code")
        .annotate(
            taken=Sum("figs_confirmed"),
            came=Sum("figs_checked_in"),
            missed=Sum(F("figs_confirmed") - F("figs_checked_in"), filter=Q(ends_at__lt=now)),
        ),
        "centre_id",
        "function__code",
        {"signups": "taken", "attended": "came", "no_shows": "missed"},
    )
    add(
        Booking.objects.filter(
            space__centre__in=ids, starts_at__gte=start, starts_at__lt=end, status__in=LIVE_BOOKING
        )
        .values("space__centre_id")
        .annotate(n=Count("pk")),
        "space__centre_id",
        None,
        {"bookings": "n"},
    )
    for r in (
        Appointment.objects.filter(
            slot__centre__in=ids,
            handled_at__gte=start,
            handled_at__lt=end,
            status__in=["done", "referred"],
        )
        .values("slot__centre_id")
        .annotate(n=Count("pk"))
    ):
        cells[(r["slot__centre_id"], FunctionCode.AFFAIRS.value)]["appointments_handled"] += r["n"]
    add(
        Order.objects.filter(item__centre__in=ids)
        .filter(
            Q(accepted_at__gte=start, accepted_at__lt=end)
            | Q(completed_at__gte=start, completed_at__lt=end)
        )
        .values("item__centre_id", "item__function__code")
        .annotate(
            taken=Count("pk", filter=Q(accepted_at__gte=start, accepted_at__lt=end)),
            done=Count(
                "pk", filter=Q(status="completed", completed_at__gte=start, completed_at__lt=end)
            ),
        ),
        "item__centre_id",
        "item__function__code",
        {"orders_taken": "taken", "orders_completed": "done"},
    )
    names = dict(Centre.objects.filter(pk__in={c for c, _f in cells}).values_list("pk", "name"))
    labels = dict(FunctionCode.choices)
    rows = [
        Row(
            centre_id=centre_id,
            centre=names.get(centre_id, ""),
            function=function or ALL,
            function_label=str(labels.get(function, "")) if function else "",
            **values,
        )
        for (centre_id, function), values in cells.items()
    ]
    order = {code: i for i, code in enumerate([c.value for c in FunctionCode] + [ALL, None])}
    rows.sort(key=lambda r: (r.centre, order.get(r.function, 99)))
    return rows


def totals(rows: list[Row]) -> dict[str, int]:
    return {f: sum(getattr(r, f) for r in rows) for f in FIELDS}


def unit_evaluation(user, start: datetime, end: datetime, area=None) -> list[dict]:
    """Co-building units: promises kept (践诺度 = kept / completed) and mean satisfaction
    (满意度) of orders completed in the period (at centres under `area`, when given)."""
    from django.db.models import Avg

    orders = Order.objects.visible_to(user)
    if area is not None:
        orders = orders.filter(item__centre__community__path__startswith=area.path)
    return list(
        orders.filter(status="completed", completed_at__gte=start, completed_at__lt=end)
        .values("item__unit_id", "item__unit__name")
        .annotate(
            completed=Count("pk", distinct=True),
            kept=Count("pk", filter=Q(promise_kept=True), distinct=True),
            satisfaction=Avg("ratings__answers__number"),
        )
        .order_by("item__unit__name")
    )


def for_area(user, area, start: datetime, end: datetime) -> dict:
    """The dashboard's centre panel for `area`'s subtree: the totals, the totals per function
    (1+6+X) and the co-building units' evaluation. The rows are `figures` for the centres the
    user sees under the area, so the panel and the centre table agree."""
    ids = list(
        Centre.objects.visible_to(user)
        .filter(community__path__startswith=area.path)
        .values_list("pk", flat=True)
    )
    rows = figures(user, start, end, centre_ids=ids) if ids else []
    labels = dict(FunctionCode.choices)
    by_function: dict[str, dict[str, int]] = {}
    for r in rows:
        if r.function == ALL:
            continue
        cell = by_function.setdefault(r.function, dict.fromkeys(FIELDS, 0))
        for f in FIELDS:
            cell[f] += getattr(r, f)
    return {
        "centres": len(ids),
        "totals": totals(rows),
        "by_function": [
            {"function": code, "label": str(labels.get(code, code)), **by_function[code]}
            for code in [c.value for c in FunctionCode]
            if code in by_function
        ],
        "units": [
            {
                "unit": u["item__unit__name"],
                "completed": u["completed"],
                "kept": u["kept"],
                "promise_rate": round(u["kept"] / u["completed"], 4) if u["completed"] else None,
                "satisfaction": round(float(u["satisfaction"]), 2)
                if u["satisfaction"] is not None
                else None,
            }
            for u in unit_evaluation(user, start, end, area=area)
        ],
    }
