"""The daily rollup of the 12345 figures: closed days from dashboard.DailyCaseFigures, today
(and any day whose cases changed since the last refresh) from the cases themselves.

At a million cases a district's twelve-month trend reads about 80,000 cases; the rollup holds
one row per street, day and excluded-class (about 40,000 rows for the whole city's four
months), so the trend, the month's KPIs and the ranking of a district's streets (or of the
city's districts) sum a few hundred rows instead.

Exactness: every count is services.kpis.daily_aggregates (the report's own conditions), and

- a day is in the rollup only once it has closed (`covered_to`: the refresh's today);
- a case changed since the refresh (`updated_at` ≥ the watermark, a margin before the refresh
  began, so a transaction still open then is caught too) makes its dispatch day "dirty": that
  day is read live until the next refresh rewrites it;
- "open past its deadline" depends on the time of reading, so it is always counted live (the
  open cases of the period: the open-case index);
- the rollup is used only where the viewer's scope covers the whole area (so "the cases the
  viewer may see under the area" is "the cases under the area") and the area is at most a
  street (ROLLUP_DEPTH); a community, a grid or a department is read live (they are small).

The refresh is dashboard.actions.refresh_rollup, run by dashboard.tasks.refresh_rollup: by
beat (LINLI_DASHBOARD_ROLLUP_SECONDS) and, debounced, when a case changes (sent on commit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncDate, TruncMonth
from django.utils import timezone

from dashboard.models import DailyCaseFigures, RollupState
from grids.models import Area
from services import kpis as kpi_rules
from services.calendar import TZ
from services.figures import Target, visible
from services.models import Case, KpiConfig

ROLLUP_DEPTH = 3  # the rollup's finest level: streets (a district's children)
SUMS = (
    "dispatched",
    "responded",
    "called_back",
    "solved",
    "rated",
    "satisfied",
    "resolved",
    "resolved_on_time",
    "resolved_late",
    "handling_total",
    "proactive",
)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=TZ)


@dataclass(frozen=True)
class Plan:
    """Which days a reading takes from the rollup: those before `covered_to` except `dirty`."""

    covered_to: date | None = None
    refreshed_at: datetime | None = None
    dirty: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def now(cls) -> Plan:
        """The rollup's state and the days changed since its watermark: two queries."""
        from django.conf import settings

        if not settings.LINLI.get("DASHBOARD_ROLLUP", True):
            return cls()
        state = RollupState.objects.filter(pk=1).first()
        if state is None or state.covered_to is None or state.watermark is None:
            return cls()
        dirty = frozenset(
            Case.objects.filter(
                updated_at__gte=state.watermark,
                dispatched_at__isnull=False,
                dispatched_at__lt=midnight(state.covered_to),
            )
            .annotate(r_day=TruncDate("dispatched_at", tzinfo=TZ))
            .values_list("r_day", flat=True)
            .distinct()
            .order_by()
        )
        return cls(state.covered_to, state.refreshed_at, dirty)

    def applies(self, user, area) -> bool:
        from grids.scope import scope_for

        return (
            self.covered_to is not None
            and area is not None
            and area.depth <= ROLLUP_DEPTH
            and scope_for(user).covers_path(area.path)
        )

    def rolled_days(self, start: datetime, end: datetime) -> tuple[date, date] | None:
        """The [first, last) days of the period the rollup may give (dirty ones excepted)."""
        if self.covered_to is None:
            return None
        first = timezone.localtime(start, TZ).date()
        last = min(timezone.localtime(end, TZ).date(), self.covered_to)
        return (first, last) if first < last else None

    def live_q(self, start: datetime, end: datetime) -> Q:
        """The cases of [start, end) read live: dispatched since `covered_to`, or on a dirty
        day."""
        q = Q(dispatched_at__gte=midnight(self.covered_to)) if self.covered_to else Q()
        for day in sorted(self.dirty):
            if start <= midnight(day) < end:
                q |= Q(dispatched_at__gte=midnight(day), dispatched_at__lt=midnight(day) + ONE)
        return q


ONE = timedelta(days=1)


def _rows(plan: Plan, area, start: datetime, end: datetime, config: KpiConfig) -> QuerySet:
    days = plan.rolled_days(start, end)
    if days is None:
        return DailyCaseFigures.objects.none()
    qs = DailyCaseFigures.objects.filter(
        area_path__startswith=area.path, day__gte=days[0], day__lt=days[1]
    ).exclude(day__in=sorted(plan.dirty))
    if config.exclude_not_accepted:
        qs = qs.exclude(excluded="not_accepted")
    if config.exclude_merged:
        qs = qs.exclude(excluded="merged")
    if config.exclude_malicious:
        qs = qs.exclude(malicious=True)
    return qs


def _live(user, plan: Plan, area, start, end, now, config) -> tuple[QuerySet, dict, QuerySet]:
    """The live half: the cohort's cases on live days (every count), and, in a query of its
    own (an index-only read of services_case_late_open), the cohort's cases open past their
    deadline now (not already counted as resolved late), on every day."""
    live = plan.live_q(start, end)
    late = kpi_rules.late_open(now) & ~kpi_rules.RESOLVED_LATE
    cohort = kpi_rules.cohort(start=start, end=end, area=area, config=config, base=visible(user))
    aggregates = kpi_rules.daily_aggregates()
    aggregates["k_proactive"] = Count("pk", filter=Q(raised_before_complaint=True))
    return cohort.filter(live), aggregates, cohort.filter(late)


def _stored() -> dict:
    return {f"k_{name}": Sum(name) for name in SUMS}


def _add(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        if v is None:
            continue
        out[k] = v if out.get(k) is None else out[k] + v
    return out


@dataclass(frozen=True)
class Read:
    """What `read` gives: the period's (Kpis, 未诉先办 count), the months' [(month, Kpis)] since
    the trend's start, and the children's [(child, Kpis)] (None when not asked for)."""

    totals: tuple
    monthly: list
    breakdown: list | None


def read(
    user,
    target: Target,
    start,
    end,
    trend_start=None,
    now=None,
    config=None,
    plan=None,
    children=None,
    units: bool = False,
) -> Read | None:
    """The period [start, end)'s totals, the months of [trend_start, end) (trend_start ≤ start,
    a month's first day) and, with `units`, the period's figures per child (the children must
    be at most ROLLUP_DEPTH deep: a district's streets, the city's districts; `children`: those
    to report, when the caller has read them): one grouped read of each of the three sources
    (the stored days, the live days, the open cases past their deadline), each row keyed by
    month, child and whether it falls in the period, so the page's three panels cost three
    queries, not nine. None when the rollup does not apply (the caller reads live)."""
    plan = plan if plan is not None else Plan.now()
    area = target.area
    if target.department is not None or area is None or not plan.applies(user, area):
        return None
    if units and area.depth + 1 > ROLLUP_DEPTH:
        return None
    now = now or timezone.now()
    config = config or KpiConfig.current()
    trend_start = trend_start if trend_start is not None else start
    width = None
    if units:
        if children is None:
            children = list(Area.objects.filter(path__startswith=area.path, depth=area.depth + 1))
        if not children:
            units = False
        else:
            width = len(children[0].path)
    split = trend_start < start  # rows before the period count for the months only
    first_day = timezone.localtime(start, TZ).date()
    cells: dict[tuple, dict] = {}

    def keyed(qs, month, unit_of, in_period):
        annotations = {"k_month": month}
        if width:
            annotations["unit_path"] = Substr(unit_of, 1, width)
        if split:
            annotations["k_in"] = in_period
        return qs.annotate(**annotations).values(*annotations)

    def collect(rows):
        for r in rows:
            month = r.pop("k_month")
            month = timezone.localtime(month, TZ).date() if isinstance(month, datetime) else month
            key = (month, r.pop("unit_path", None), r.pop("k_in", True))
            cells[key] = _add(cells.get(key, {}), r)

    in_stored = ExpressionWrapper(Q(day__gte=first_day), output_field=BooleanField())
    in_live = ExpressionWrapper(Q(dispatched_at__gte=start), output_field=BooleanField())
    collect(
        keyed(
            _rows(plan, area, trend_start, end, config),
            TruncMonth("day"),
            "area_path",
            in_stored,
        )
        .annotate(**_stored())
        .order_by()
    )
    qs, aggregates, late_qs = _live(user, plan, area, trend_start, end, now, config)
    month_of = TruncMonth("dispatched_at", tzinfo=TZ)
    collect(keyed(qs, month_of, "place_path", in_live).annotate(**aggregates).order_by())
    collect(
        keyed(late_qs, month_of, "place_path", in_live).annotate(k_late_open=Count("pk")).order_by()
    )

    def finish(sums: dict):
        sums = dict(sums)
        late = sums.pop("k_late_open", 0) or 0
        return kpi_rules.finish_sums(sums, late, config)

    period: dict = {}
    by_month: dict[date, dict] = {}
    by_unit: dict[str, dict] = {}
    for (month, unit, inside), sums in cells.items():
        by_month[month] = _add(by_month.get(month, {}), sums)
        if inside:
            period = _add(period, sums)
            if unit is not None:
                by_unit[unit] = _add(by_unit.get(unit, {}), sums)
    monthly = [
        (midnight(month), finish(by_month[month]))
        for month in sorted(by_month)
        if by_month[month].get("k_dispatched")  # a month without cases (kpis.monthly: left out)
    ]
    breakdown = None
    if units:
        breakdown = [
            (child, finish(by_unit[child.path]))
            for child in children
            if by_unit.get(child.path, {}).get("k_dispatched")
        ]
    return Read((finish(period), period.get("k_proactive") or 0), monthly, breakdown)


def totals(user, target: Target, start, end, now=None, config=None, plan=None):
    """The period's Kpis and 未诉先办 count for a target, or None when the rollup does not
    apply (the caller reads live): three queries (`read`)."""
    r = read(user, target, start, end, now=now, config=config, plan=plan)
    return r.totals if r is not None else None


def monthly(user, target: Target, start, end, now=None, config=None, plan=None):
    """`services.kpis.monthly` from the rollup: [(month, Kpis)], or None (read live)."""
    r = read(user, target, start, end, now=now, config=config, plan=plan)
    return r.monthly if r is not None else None


def breakdown(user, area, start, end, now=None, config=None, plan=None, children=None):
    """`services.kpis.breakdown` from the rollup: [(child, Kpis)], or None (read live). The
    children must be at most ROLLUP_DEPTH deep (a district's streets, the city's districts);
    `children`: those to report, when the caller has read them."""
    if area is None:
        return None
    r = read(
        user,
        Target(area=area),
        start,
        end,
        now=now,
        config=config,
        plan=plan,
        children=children,
        units=True,
    )
    if r is None:
        return None
    return r.breakdown if r.breakdown is not None else []


def day_rows(days: list[date]) -> list[DailyCaseFigures]:
    """The rollup rows of closed days, computed from the cases in one grouped read (every
    case, whatever the scope: the rollup is read only where the reader's scope covers the
    area)."""
    from django.db.models import Case as Choose
    from django.db.models import CharField, Value, When
    from django.db.models.functions import TruncDate

    if not days:
        return []
    excluded = Choose(
        When(state="not_accepted", then=Value("not_accepted")),
        When(state="merged", then=Value("merged")),
        default=Value(""),
        output_field=CharField(),
    )
    rows = (
        Case.objects.filter(
            dispatched_at__gte=midnight(min(days)), dispatched_at__lt=midnight(max(days)) + ONE
        )
        .annotate(
            r_day=TruncDate("dispatched_at", tzinfo=TZ),
            r_path=Substr("place_path", 1, ROLLUP_DEPTH * Area.steplen),
            r_excluded=excluded,
            r_malicious=F("is_malicious"),
        )
        .filter(r_day__in=days)
        .values("r_day", "r_path", "r_excluded", "r_malicious")
        .annotate(
            **kpi_rules.daily_aggregates(),
            k_proactive=Count("pk", filter=Q(raised_before_complaint=True)),
        )
        .order_by()
    )
    return [
        DailyCaseFigures(
            day=r["r_day"],
            area_path=r["r_path"],
            excluded=r["r_excluded"],
            malicious=r["r_malicious"],
            **{k.removeprefix("k_"): v for k, v in r.items() if k.startswith("k_")},
        )
        for r in rows
    ]
