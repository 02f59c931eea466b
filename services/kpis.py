"""The three KPIs (三率) and friends, by SQL aggregates (one query per report).

The cohort is the cases DISPATCHED in the period [start, end) whose place lies in an area's
subtree (or that a department handles now). Per case the facts are stored by the actions, so
the report only counts:

- response rate 响应率   = signed for in time AND resident contacted in time ÷ dispatched
- resolution rate 解决率 = answered "solved" at callback ÷ callbacks answered
- satisfaction rate 满意率 = (非常满意 + 满意 + 基本满意) ÷ rated
- on-time resolution rate = resolved within the resolve deadline ÷ resolved
- overdue = resolved late, or still open past the resolve deadline
- mean handling time = mean (resolved − first dispatched), in hours
- weighted score = response × w1 + resolution × w2 + satisfaction × w3 (KpiConfig, 30/35/35)

Exclusions (KpiConfig): not accepted, merged and malicious cases leave the cohort.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy

from services.choices import OPEN_STATES, SATISFIED_RATINGS, State
from services.models import Case, KpiConfig

# What each figure is called, for people: /api/services/kpis/ sends these with the numbers
# (in the request's language), the dashboard's tiles and report use the same words.
LABELS = {
    "dispatched": gettext_lazy("Cases dispatched"),
    "responded": gettext_lazy("Responded in time"),
    "called_back": gettext_lazy("Callbacks answered"),
    "solved": gettext_lazy("Solved (callback)"),
    "rated": gettext_lazy("Rated"),
    "satisfied": gettext_lazy("Satisfied"),
    "resolved": gettext_lazy("Resolved"),
    "resolved_on_time": gettext_lazy("Resolved in time"),
    "overdue": gettext_lazy("Overdue"),
    "mean_handling_hours": gettext_lazy("Mean handling time (hours)"),
    "response_rate": gettext_lazy("Response rate"),
    "resolution_rate": gettext_lazy("Resolution rate"),
    "satisfaction_rate": gettext_lazy("Satisfaction rate"),
    "on_time_rate": gettext_lazy("On-time resolution"),
    "score": gettext_lazy("Weighted score"),
}


@dataclass
class Kpis:
    dispatched: int
    responded: int
    called_back: int
    solved: int
    rated: int
    satisfied: int
    resolved: int
    resolved_on_time: int
    overdue: int
    mean_handling_hours: float | None
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    on_time_rate: float | None
    score: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def cohort(
    *,
    start: datetime,
    end: datetime,
    area=None,
    department=None,
    config: KpiConfig | None = None,
    base: QuerySet | None = None,
) -> QuerySet:
    """The cases a report counts: dispatched in [start, end), in the area or department,
    minus the configured exclusions."""
    config = config or KpiConfig.current()
    qs = (base if base is not None else Case.objects.all()).filter(
        dispatched_at__gte=start, dispatched_at__lt=end
    )
    if area is not None:
        qs = qs.filter(place_path__startswith=area.path)
    if department is not None:
        qs = qs.filter(handling_department=department)
    if config.exclude_not_accepted:
        qs = qs.exclude(state=State.NOT_ACCEPTED)
    if config.exclude_merged:
        qs = qs.exclude(state=State.MERGED)
    if config.exclude_malicious:
        qs = qs.exclude(is_malicious=True)
    return qs


# The facts each count tests, named once: the live report (`_aggregates`) and the dashboard's
# daily rollup (`daily_aggregates`, dashboard/rollup.py) count with the same conditions.
RESPONDED = Q(sign_on_time=True, contact_on_time=True)
CALLED_BACK = Q(callback_solved__isnull=False)
SOLVED = Q(callback_solved=True)
RATED = Q(rating__isnull=False)
SATISFIED = Q(rating__in=[int(r) for r in SATISFIED_RATINGS])
RESOLVED = Q(resolved_at__isnull=False)
RESOLVED_ON_TIME = Q(resolved_on_time=True)
RESOLVED_LATE = Q(resolved_on_time=False)
HANDLING = ExpressionWrapper(F("resolved_at") - F("dispatched_at"), output_field=DurationField())


def late_open(now: datetime) -> Q:
    """Still open past the resolve deadline at `now` (the other half of "overdue")."""
    return Q(state__in=OPEN_STATES, resolved_at__isnull=True, resolve_due__lt=now)


def _aggregates(now: datetime) -> dict:
    """The aggregate expressions, keyed k_<name> (plain names would clash with fields)."""
    exprs = {
        "dispatched": Count("pk"),
        "responded": Count("pk", filter=RESPONDED),
        "called_back": Count("pk", filter=CALLED_BACK),
        "solved": Count("pk", filter=SOLVED),
        "rated": Count("pk", filter=RATED),
        "satisfied": Count("pk", filter=SATISFIED),
        "resolved": Count("pk", filter=RESOLVED),
        "resolved_on_time": Count("pk", filter=RESOLVED_ON_TIME),
        "overdue": Count("pk", filter=RESOLVED_LATE | late_open(now)),
        "mean_handling": Avg(HANDLING, filter=RESOLVED),
    }
    return {f"k_{name}": expr for name, expr in exprs.items()}


def daily_aggregates(only: Q | None = None) -> dict:
    """The counts that do not depend on the time of reading, for a stored rollup: `_aggregates`
    without "open past the deadline" (read live: `late_open`) and with the handling time as a
    sum (a mean of means would be wrong). `only` narrows every count (the rows of the days a
    reader takes live). Keyed k_<name>, as `_aggregates`; `finish_sums` turns summed rows
    into Kpis."""
    only = only if only is not None else Q()

    def count(q: Q | None = None):
        q = only & q if q is not None else only
        return Count("pk", filter=q) if q else Count("pk")

    exprs = {
        "dispatched": count(),
        "responded": count(RESPONDED),
        "called_back": count(CALLED_BACK),
        "solved": count(SOLVED),
        "rated": count(RATED),
        "satisfied": count(SATISFIED),
        "resolved": count(RESOLVED),
        "resolved_on_time": count(RESOLVED_ON_TIME),
        "resolved_late": count(RESOLVED_LATE),
        "handling_total": Sum(HANDLING, filter=only & RESOLVED),
    }
    return {f"k_{name}": expr for name, expr in exprs.items()}


def finish_sums(sums: dict, late_open_count: int, config: KpiConfig) -> Kpis:
    """Kpis from summed `daily_aggregates` counts (k_<name>) plus the cases still open past their
    deadline now (counted live, those not already late-resolved): the same arithmetic as
    `kpis` on the cases themselves."""
    total = sums.get("k_handling_total")
    resolved = sums.get("k_resolved") or 0
    row = {
        f"k_{k}": sums.get(f"k_{k}") or 0
        for k in (
            "dispatched",
            "responded",
            "called_back",
            "solved",
            "rated",
            "satisfied",
            "resolved",
            "resolved_on_time",
        )
    }
    row["k_overdue"] = (sums.get("k_resolved_late") or 0) + late_open_count
    row["k_mean_handling"] = total / resolved if total is not None and resolved else None
    return _finish(row, config)


def _finish(row: dict, config: KpiConfig) -> Kpis:
    row = {k.removeprefix("k_"): v for k, v in row.items()}
    mean = row.pop("mean_handling", None)
    hours = round(mean.total_seconds() / 3600, 2) if mean is not None else None
    response = _rate(row["responded"], row["dispatched"])
    resolution = _rate(row["solved"], row["called_back"])
    satisfaction = _rate(row["satisfied"], row["rated"])
    parts = [
        (response, config.response_weight),
        (resolution, config.resolution_weight),
        (satisfaction, config.satisfaction_weight),
    ]
    known = [(v, w) for v, w in parts if v is not None]
    score = None
    if known:
        # Weights of rates with no data are left out and the rest rescaled to 100.
        weight = sum(w for _v, w in known)
        score = round(sum(v * w for v, w in known) * 100 / weight, 2) if weight else None
    return Kpis(
        **{
            k: row[k]
            for k in (
                "dispatched",
                "responded",
                "called_back",
                "solved",
                "rated",
                "satisfied",
                "resolved",
                "resolved_on_time",
                "overdue",
            )
        },
        mean_handling_hours=hours,
        response_rate=response,
        resolution_rate=resolution,
        satisfaction_rate=satisfaction,
        on_time_rate=_rate(row["resolved_on_time"], row["resolved"]),
        score=score,
    )


def kpis(
    *,
    start: datetime,
    end: datetime,
    area=None,
    department=None,
    base: QuerySet | None = None,
    now: datetime | None = None,
    config: KpiConfig | None = None,
) -> Kpis:
    """The KPIs of one area subtree or department for one period: one SQL query (and one
    for the settings, unless the caller read them already: `config`)."""
    config = config or KpiConfig.current()
    qs = cohort(start=start, end=end, area=area, department=department, config=config, base=base)
    row = qs.aggregate(**_aggregates(now or timezone.now()))
    return _finish(row, config)


def breakdown(
    *,
    area,
    start: datetime,
    end: datetime,
    base: QuerySet | None = None,
    now=None,
    config: KpiConfig | None = None,
) -> list[tuple[object, Kpis]]:
    """The KPIs of each child of `area` (each street of a district, each community of a
    street …), in one grouped query."""
    from grids.models import Area

    config = config or KpiConfig.current()
    children = list(Area.objects.filter(path__startswith=area.path, depth=area.depth + 1))
    if not children:
        return []
    width = len(children[0].path)
    rows = (
        cohort(start=start, end=end, area=area, config=config, base=base)
        .annotate(unit_path=Substr("place_path", 1, width))
        .values("unit_path")
        .annotate(**_aggregates(now or timezone.now()))
        .order_by("unit_path")
    )
    by_path = {r.pop("unit_path"): r for r in rows}
    out = []
    for child in children:
        row = by_path.get(child.path)
        if row is not None:
            out.append((child, _finish(dict(row), config)))
    return out


def monthly(
    *,
    start: datetime,
    end: datetime,
    area=None,
    department=None,
    base: QuerySet | None = None,
    now=None,
    tz=None,
    config: KpiConfig | None = None,
) -> list[tuple[datetime, Kpis]]:
    """The KPIs of each calendar month in [start, end) (months in `tz`, local time by
    default), in one grouped query: the same aggregates as `kpis`, so a month of the trend
    equals that month's report. Months without cases are left out."""
    from django.db.models.functions import TruncMonth

    config = config or KpiConfig.current()
    rows = (
        cohort(start=start, end=end, area=area, department=department, config=config, base=base)
        .annotate(k_month=TruncMonth("dispatched_at", tzinfo=tz or timezone.get_current_timezone()))
        .values("k_month")
        .annotate(**_aggregates(now or timezone.now()))
        .order_by("k_month")
    )
    out = []
    for r in rows:
        r = dict(r)
        month = r.pop("k_month")
        out.append((month, _finish(r, config)))
    return out
