"""The daily rollup (dashboard/rollup.py): figures from the rollup equal the figures computed
from the cases themselves (services.kpis) on the hand-built data set of test_kpis, whatever the
KPI settings; the rollup is really read (a changed row changes the figure); days changed since
the refresh are read live; the refresh is idempotent; query counts are pinned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard import actions, rollup
from dashboard.models import DailyCaseFigures, RollupState
from services import kpis
from services.figures import Target
from services.models import Case, KpiConfig
from tests.services.test_kpis import END, NOW, START, H, T, data, make  # noqa: F401

from .test_figures import YEAR


@pytest.fixture
def rolled(data):  # noqa: F811
    """test_kpis's cases (November and October 2026), plus one raised before a complaint on
    side b, as they stood a day ago; the rollup refreshed now."""
    desk = data
    make(
        desk,
        place=desk.t.b.buildings[0],
        sign_on_time=True,
        contact_on_time=True,
        state="in_progress",
        resolve_due=NOW - 2 * H,
        raised_before_complaint=True,
    )
    Case.objects.update(updated_at=timezone.now() - timedelta(days=1))
    assert actions.refresh_rollup() == 2  # 10 October and 10 November
    return desk


def _direct(area, start, end, config):
    return kpis.kpis(start=start, end=end, area=area, now=NOW, config=config)


CONFIGS = [
    {},
    {"exclude_not_accepted": False, "exclude_merged": False, "exclude_malicious": False},
    {
        "exclude_malicious": False,
        "response_weight": 50,
        "resolution_weight": 25,
        "satisfaction_weight": 25,
    },
]


@pytest.mark.parametrize("settings_row", CONFIGS)
def test_rollup_figures_equal_the_cases_figures(rolled, settings_row):
    desk = rolled
    config = KpiConfig.objects.create(**settings_row)
    plan = rollup.Plan.now()
    assert plan.covered_to == timezone.localdate() and plan.dirty == frozenset()
    for who, area in (("district", desk.t.district), ("street", desk.t.street)):
        user = desk.user(who)
        k, proactive = rollup.totals(user, Target(area=area), START, END, NOW, config, plan)
        assert k == _direct(area, START, END, config)
        cohort = kpis.cohort(start=START, end=END, area=area, config=config)
        assert proactive == cohort.filter(raised_before_complaint=True).count() == 1
        months = rollup.monthly(user, Target(area=area), YEAR, END, NOW, config, plan)
        assert months == kpis.monthly(start=YEAR, end=END, area=area, now=NOW, config=config)
        assert [m.strftime("%Y-%m") for m, _k in months] == ["2026-10", "2026-11"]
    user = desk.user("district")
    pairs = rollup.breakdown(user, desk.t.district, START, END, NOW, config, plan)
    assert pairs == kpis.breakdown(
        area=desk.t.district, start=START, end=END, now=NOW, config=config
    )
    assert [c for c, _k in pairs] == [desk.t.street]


def test_the_rollup_is_what_is_read(rolled):
    desk = rolled
    config = KpiConfig.current()
    user = desk.user("district")
    before, _p = rollup.totals(user, Target(area=desk.t.district), START, END, NOW, config)
    row = DailyCaseFigures.objects.filter(excluded="", malicious=False).order_by("-day").first()
    DailyCaseFigures.objects.filter(pk=row.pk).update(dispatched=row.dispatched + 100)
    after, _p = rollup.totals(user, Target(area=desk.t.district), START, END, NOW, config)
    assert after.dispatched == before.dispatched + 100
    # The refresh writes the day again from the cases (a no-op for days nobody changed, so
    # here the first run's rebuild: forget the state).
    RollupState.objects.all().delete()
    actions.refresh_rollup()
    again, _p = rollup.totals(user, Target(area=desk.t.district), START, END, NOW, config)
    assert again == before


def test_changed_days_are_read_live_until_the_next_refresh(rolled):
    desk = rolled
    config = KpiConfig.current()
    user = desk.user("street")
    area = desk.t.street
    stored = sorted(DailyCaseFigures.objects.values_list("day", "area_path", "dispatched"))
    # A callback answered now on a case of 10 November: that day turns live at once.
    case = Case.objects.get(rating__isnull=True, state="called_back", dispatched_at=T)
    case.rating, case.callback_solved = 5, True
    case.save()
    plan = rollup.Plan.now()
    assert plan.dirty == {timezone.localtime(case.dispatched_at).date()}
    k, _p = rollup.totals(user, Target(area=area), START, END, NOW, config, plan)
    assert k == _direct(area, START, END, config) and k.rated == 3 + 1 + 1  # a, new, b
    # Today's cases are live too.
    make(desk, sign_on_time=True, contact_on_time=True, dispatched_at=timezone.now() - H)
    month = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    nxt = (month + timedelta(days=32)).replace(day=1)
    k, _p = rollup.totals(user, Target(area=area), month, nxt, NOW, config)
    assert k == _direct(area, month, nxt, config) and k.dispatched >= 1
    # The refresh writes that one day again (idempotent: the other rows are as they were).
    later = timezone.now() + timedelta(minutes=11)  # past the margin
    assert actions.refresh_rollup(now=later) == 1
    assert actions.refresh_rollup(now=later) == 0
    assert rollup.Plan.now().dirty == frozenset()
    changed = sorted(DailyCaseFigures.objects.values_list("day", "area_path", "dispatched"))
    assert changed == stored  # the same cases dispatched: only the rated counts moved
    rated = DailyCaseFigures.objects.filter(day=case.dispatched_at.astimezone(rollup.TZ).date())
    # Side a: 3 rated + the malicious one (a row of its own) + the new one; side b: 1.
    assert sum(rated.values_list("rated", flat=True)) == 3 + 1 + 1 + 1


def test_the_rollup_applies_only_to_covered_streets_and_above(rolled):
    desk = rolled
    config = KpiConfig.current()
    plan = rollup.Plan.now()
    t = Target(area=desk.t.a.community)  # deeper than the rollup: live
    assert rollup.totals(desk.user("district"), t, START, END, NOW, config, plan) is None
    # A community's staff do not cover the street: live (their scope, not the street's).
    street = Target(area=desk.t.street)
    assert rollup.totals(desk.user("community_a"), street, START, END, NOW, config, plan) is None
    assert (
        rollup.totals(
            desk.user("dept"), Target(department=desk.t.department), START, END, NOW, config, plan
        )
        is None
    )
    assert (
        rollup.breakdown(desk.user("district"), desk.t.street, START, END, NOW, config, plan)
        is None
    )
    # No refresh yet: every figure live.
    RollupState.objects.all().delete()
    assert rollup.totals(desk.user("district"), street, START, END, NOW, config) is None


def test_rollup_reads_are_few_queries(rolled, django_assert_num_queries):
    desk = rolled
    config = KpiConfig.current()
    user = desk.user("district")
    with django_assert_num_queries(2):  # the state row, the days changed since
        plan = rollup.Plan.now()
    target = Target(area=desk.t.district)
    rollup.totals(user, target, START, END, NOW, config, plan)  # the scope, built once
    # The stored rows, the live days' cases, the open cases past their deadline (an index
    # of their own: services_case_late_open).
    with django_assert_num_queries(3):
        rollup.totals(user, target, START, END, NOW, config, plan)
    with django_assert_num_queries(3):
        rollup.monthly(user, target, YEAR, END, NOW, config, plan)
    with django_assert_num_queries(4):  # + the children
        rollup.breakdown(user, desk.t.district, START, END, NOW, config, plan)
