"""Which households are due a visit: the rule of the visit log, in SQL.

A household is due when it has had no visit for `VISIT_DUE_DAYS` (default 90) or, when one of
its residents carries a priority tag (`VISIT_PRIORITY_DAYS`, e.g. living alone: 30), for that
shorter time; never visited is due at once. `with_visit_due` annotates a household queryset
with `last_visit`, `visit_days` (the period that applies) and `visit_due` (the date the next
visit is due), so a page lists the most overdue first in one query."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db.models import (
    Case,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from grids.models import HouseholdVisit, Resident

# The priority tags as resident fields (grids.models.people.ResidentTag values).
TAG_FIELDS = {"lives_alone": "lives_alone", "disabled": "disabled", "subsistence": "subsistence"}
NEVER = date(1900, 1, 1)


def due_days() -> int:
    return int(settings.LINLI.get("VISIT_DUE_DAYS", 90))


def priority_days() -> list[tuple[str, int]]:
    """(tag, days) of the configured priority tags, shortest period first."""
    conf = settings.LINLI.get("VISIT_PRIORITY_DAYS", {}) or {}
    return sorted(
        ((tag, int(days)) for tag, days in conf.items() if tag in TAG_FIELDS),
        key=lambda item: item[1],
    )


def with_visit_due(households: QuerySet) -> QuerySet:
    """Annotate households with `last_visit`, `visit_days`, `visit_due` and `priority`."""
    whens = [
        When(
            Exists(Resident.objects.filter(household=OuterRef("pk"), **{TAG_FIELDS[tag]: True})),
            then=Value(days),
        )
        for tag, days in priority_days()
    ]
    days = Case(*whens, default=Value(due_days()), output_field=IntegerField())
    last = HouseholdVisit.objects.filter(household=OuterRef("pk")).order_by("-visited_on")
    return households.annotate(
        # A subquery, not Max over a join: no GROUP BY, so callers may count and group the
        # result (the places page counts overdue households per building).
        last_visit=Subquery(last.values("visited_on")[:1], output_field=DateField()),
        visit_days=days,
        priority=Case(*[When(w.condition, then=Value(True)) for w in whens], default=Value(False))
        if whens
        else Value(False),
    ).annotate(
        # date + integer is a date in PostgreSQL; never visited counts as due long ago.
        visit_due=Coalesce(
            ExpressionWrapper(F("last_visit") + F("visit_days"), output_field=DateField()),
            Value(NEVER),
            output_field=DateField(),
        )
    )


def overdue_q(today: date | None = None) -> Q:
    """Households (annotated by with_visit_due) whose visit is due today or earlier."""
    return Q(visit_due__lte=today or timezone.localdate())
