"""The demo seed: idempotent, cases in every state; the bulk seed for benchmarks."""

from __future__ import annotations

import pytest

from services import demo
from services.models import Case, CaseEvent, Category, RoutingRule, TimeLimit


@pytest.mark.django_db
def test_demo_seed_makes_cases_in_many_states_and_is_idempotent(django_capture_on_commit_callbacks):
    from grids.demo import seed_territory

    ctx = seed_territory()
    demo.seed(ctx)
    states = set(Case.objects.values_list("state", flat=True))
    assert {
        "submitted",
        "dispatched",
        "in_progress",
        "resolved",
        "archived",
        "returned",
        "merged",
        "not_accepted",
        "signed",
    } <= states
    water = Case.objects.get(category__code="water")
    assert water.level == "department" and water.handling_department.name == "区住房和城乡建设局"
    counts = (
        Case.objects.count(),
        Category.objects.count(),
        TimeLimit.objects.count(),
        RoutingRule.objects.count(),
    )
    demo.seed(ctx)
    assert counts == (
        Case.objects.count(),
        Category.objects.count(),
        TimeLimit.objects.count(),
        RoutingRule.objects.count(),
    )


@pytest.mark.django_db
def test_seed_city_bulk_loads_numbered_back_dated_cases(territory):
    assert demo.seed_city(territory.city, count=120) == 120
    cases = Case.objects.filter(place_path__startswith=territory.city.path)
    assert cases.count() == 120 and CaseEvent.objects.count() == 360
    assert len(set(cases.values_list("number", flat=True))) == 120
    assert cases.filter(created_at__lt=cases.order_by("-created_at")[0].created_at).exists()
    assert demo.seed_city(territory.city, count=150) == 30  # tops up, numbers stay unique
    assert Case.objects.values("number").distinct().count() == 150
