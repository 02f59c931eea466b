"""Reading the ladder: a city's ladder for an area, the pay in force on a date, a worker's
years in grade, the assessment total, and the promotion a worker is due by the rules. Pure
reads; workforce.actions writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from grids.models import Area
from workforce.models import (
    AssessmentResult,
    Ladder,
    PayRate,
    PromotionRule,
    Qualification,
    Worker,
)


def ladder_for(area: Area) -> Ladder | None:
    """The ladder of the city `area` lies in (one query), or None."""
    city_path = area.path[: Area.steplen]
    return Ladder.objects.filter(city__path=city_path).select_related("city").first()


def pay_rates_on(ladder: Ladder, on: date) -> dict[tuple[int, int], Decimal]:
    """{(sequence id, grade): monthly pay} of the table in force on `on` (one query)."""
    rows = PayRate.objects.filter(
        Q(table__effective_to__isnull=True) | Q(table__effective_to__gte=on),
        table__ladder=ladder,
        table__effective_from__lte=on,
    ).values_list("sequence_id", "grade", "monthly_pay")
    return {(s, g): pay for s, g, pay in rows}


def full_years(since: date, until: date) -> int:
    """Whole years from `since` to `until` (a grade held from 2023-03-01 is 2 years on
    2025-03-01 and still 1 year on 2025-02-28)."""
    years = until.year - since.year
    if (until.month, until.day) < (since.month, since.day):
        years -= 1
    return max(years, 0)


def weighted_total(
    ladder: Ladder,
    *,
    report: Decimal | None,
    residents: Decimal | None,
    street: Decimal | None,
    party: Decimal | None = None,
    secretary: bool = False,
) -> Decimal:
    """The weighted mean of the scores given (a weight whose score is missing is left out;
    the party-building score counts for secretaries only)."""
    parts = [
        (report, ladder.weight_report),
        (residents, ladder.weight_residents),
        (street, ladder.weight_street),
    ]
    if secretary:
        parts.append((party, ladder.weight_party))
    num = sum((Decimal(s) * w for s, w in parts if s is not None and w), Decimal(0))
    den = sum((w for s, w in parts if s is not None and w), 0)
    if not den:
        return Decimal(0)
    return (num / den).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def result_for(ladder: Ladder, total: Decimal) -> str:
    if total >= ladder.excellent_from:
        return AssessmentResult.EXCELLENT
    if total >= ladder.competent_from:
        return AssessmentResult.COMPETENT
    if total >= ladder.basic_from:
        return AssessmentResult.BASIC
    return AssessmentResult.INCOMPETENT


@dataclass(frozen=True)
class Due:
    """A promotion the rules give a worker for a year."""

    rule: PromotionRule
    to_grade: int
    reasons: str


def cap_for(worker: Worker, ladder: Ladder, rule: PromotionRule | None = None) -> int:
    cap = min(worker.sequence.max_grade, ladder.grade_count)
    if rule is not None and rule.max_grade:
        cap = min(cap, rule.max_grade)
    return cap


def due_promotion(
    worker: Worker,
    ladder: Ladder,
    rules: Iterable[PromotionRule],
    results: dict[int, str],
    year: int,
) -> Due | None:
    """The rule giving `worker` the most grades for `year` (its end is the reference date),
    or None. `results` are the worker's assessment results by year. No query."""
    on = date(year, 12, 31)
    years = full_years(worker.grade_since, on)
    best: Due | None = None
    for rule in rules:
        if rule.sequence_id is not None and rule.sequence_id != worker.sequence_id:
            continue
        if years < rule.min_years_in_grade:
            continue
        if Qualification.rank(worker.qualification) < Qualification.rank(rule.min_qualification):
            continue
        wanted = range(year - rule.result_years + 1, year + 1)
        floor = AssessmentResult.rank(rule.min_result)
        if any(AssessmentResult.rank(results.get(y, "")) < floor for y in wanted):
            continue
        to_grade = min(worker.grade + rule.steps, cap_for(worker, ladder, rule))
        if to_grade <= worker.grade or (best is not None and to_grade <= best.to_grade):
            continue
        reasons: list[str] = [
            _("%(years)s full years in grade %(grade)s") % {"years": years, "grade": worker.grade}
        ]
        if rule.result_years:
            shown = "、".join(
                f"{y} {AssessmentResult(results[y]).label}" for y in wanted if y in results
            )
            reasons.append(_("assessment: %(results)s") % {"results": shown})
        if rule.min_qualification != Qualification.NONE:
            reasons.append(str(Qualification(worker.qualification).label))
        best = Due(rule=rule, to_grade=to_grade, reasons="；".join(str(r) for r in reasons))
    return best
