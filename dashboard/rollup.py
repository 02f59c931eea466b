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

from django.db.models import Count, F, Q, QuerySet, Sum
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


def totals(user, target: Target, start, end, now=None, config=None, plan=None):
    """The period's Kpis and 未诉先办 count for a target, or None when the rollup does not
    apply (the caller reads live): two queries."""
    plan = plan if plan is not None else Plan.now()
    area = target.area
    if target.department is not None or not plan.applies(user, area):
        return None
    now = now or timezone.now()
    config = config or KpiConfig.current()
    stored = _rows(plan, area, start, end, config).aggregate(**_stored())
    qs, aggregates, late_qs = _live(user, plan, area, start, end, now, config)
    sums = _add(stored, qs.aggregate(**aggregates))
    late = late_qs.order_by().count()
    return kpi_rules.finish_sums(sums, late, config), sums.get("k_proactive") or 0


def monthly(user, target: Target, start, end, now=None, config=None, plan=None):
    """`services.kpis.monthly` from the rollup: [(month, Kpis)], or None (read live)."""
    plan = plan if plan is not None else Plan.now()
    area = target.area
    if target.department is not None or not plan.applies(user, area):
        return None
    now = now or timezone.now()
    config = config or KpiConfig.current()
    by: dict[date, dict] = {}
    for r in (
        _rows(plan, area, start, end, config)
        .annotate(k_month=TruncMonth("day"))
        .values("k_month")
        .annotate(**_stored())
        .order_by()
    ):
        by[r.pop("k_month")] = r
    qs, aggregates, late_qs = _live(user, plan, area, start, end, now, config)
    for q, aggs in ((qs, aggregates), (late_qs, {"k_late_open": Count("pk")})):
        for r in (
            q.annotate(k_month=TruncMonth("dispatched_at", tzinfo=TZ))
            .values("k_month")
            .annotate(**aggs)
            .order_by()
        ):
            month = r.pop("k_month")
            key = timezone.localtime(month, TZ).date() if isinstance(month, datetime) else month
            by[key] = _add(by.get(key, {}), r)
    out = []
    for month in sorted(by):
        sums = by[month]
        if not sums.get("k_dispatched"):
            continue  # a month without cases (kpis.monthly leaves it out)
        late = sums.pop("k_late_open", 0) or 0
        out.append((midnight(month), kpi_rules.finish_sums(sums, late, config)))
    return out


def breakdown(user, area, start, end, now=None, config=None, plan=None, children=None):
    """`services.kpis.breakdown` from the rollup: [(child, Kpis)], or None (read live). The
    children must be at most ROLLUP_DEPTH deep (a district's streets, the city's districts);
    `children`: those to report, when the caller has read them."""
    plan = plan if plan is not None else Plan.now()
    if area is None or area.depth + 1 > ROLLUP_DEPTH or not plan.applies(user, area):
        return None
    now = now or timezone.now()
    config = config or KpiConfig.current()
    if children is None:
        children = list(Area.objects.filter(path__startswith=area.path, depth=area.depth + 1))
    if not children:
        return []
    width = len(children[0].path)
    by: dict[str, dict] = {}
    for r in (
        _rows(plan, area, start, end, config)
        .annotate(unit_path=Substr("area_path", 1, width))
        .values("unit_path")
        .annotate(**_stored())
        .order_by()
    ):
        by[r.pop("unit_path")] = r
    qs, aggregates, late_qs = _live(user, plan, area, start, end, now, config)
    for q, aggs in ((qs, aggregates), (late_qs, {"k_late_open": Count("pk")})):
        for r in (
            q.annotate(unit_path=Substr("place_path", 1, width))
            .values("unit_path")
            .annotate(**aggs)
            .order_by()
        ):
            key = r.pop("unit_path")
            by[key] = _add(by.get(key, {}), r)
    out = []
    for child in children:
        sums = by.get(child.path)
        if not sums or not sums.get("k_dispatched"):
            continue
        late = sums.pop("k_late_open", 0) or 0
        out.append((child, kpi_rules.finish_sums(sums, late, config)))
    return out


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
