"""The three KPIs on a hand-built data set with exact expected numbers."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from services import kpis
from services.calendar import TZ
from services.models import Case, KpiConfig

T = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)
H = timedelta(hours=1)
START, END = datetime(2026, 11, 1, tzinfo=TZ), datetime(2026, 12, 1, tzinfo=TZ)
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=TZ)
_n = itertools.count(1)


def make(desk, place=None, **fields) -> Case:
    place = place or desk.t.a.buildings[0]
    n = next(_n)
    defaults = {
        "number": f"20261110{n:05d}",
        "tracking_token": f"tok{n}",
        "channel": "hotline",
        "case_type": "help",
        "category": desk.potholes,
        "description": "x",
        "place": place,
        "place_path": place.path,
        "dispatched_at": T,
        "state": "called_back",
        "resolve_due": T + 24 * H,
    }
    defaults.update(fields)
    return Case.objects.create(**defaults)


@pytest.fixture
def data(desk):
    ok = {"sign_on_time": True, "contact_on_time": True}
    make(
        desk,
        **ok,
        resolved_at=T + 10 * H,
        resolved_on_time=True,
        callback_solved=True,
        rating=5,
        handling_department=desk.t.department,
    )
    make(
        desk,
        sign_on_time=True,
        contact_on_time=False,
        resolved_at=T + 30 * H,
        resolved_on_time=False,
        callback_solved=True,
        rating=3,
    )
    make(
        desk,
        sign_on_time=False,
        contact_on_time=True,
        resolved_at=T + 20 * H,
        resolved_on_time=True,
        callback_solved=False,
        rating=2,
    )
    make(desk, **ok, state="in_progress", resolve_due=NOW - H)  # open and overdue
    make(desk, **ok, resolved_at=T + 4 * H, resolved_on_time=True)  # callback: no answer
    make(desk, state="not_accepted")
    master = Case.objects.order_by("pk").first()
    make(desk, state="merged", master=master)
    make(
        desk,
        **ok,
        is_malicious=True,
        resolved_at=T + H,
        resolved_on_time=True,
        rating=1,
        callback_solved=False,
    )
    make(desk, **ok, dispatched_at=T - timedelta(days=30))  # October: another period
    make(desk, place=desk.t.b.buildings[0], **ok, rating=1, callback_solved=False)  # side b
    return desk


def test_kpis_of_a_community_for_a_month(data, django_assert_num_queries):
    desk = data
    KpiConfig.objects.create()  # defaults: 30/35/35, all exclusions on
    with django_assert_num_queries(2):  # the settings row and one aggregate
        k = kpis.kpis(start=START, end=END, area=desk.t.a.community, now=NOW)
    assert (k.dispatched, k.responded, k.response_rate) == (5, 3, 0.6)
    assert (k.called_back, k.solved, k.resolution_rate) == (3, 2, 0.6667)
    assert (k.rated, k.satisfied, k.satisfaction_rate) == (3, 2, 0.6667)
    assert (k.resolved, k.resolved_on_time, k.on_time_rate) == (4, 3, 0.75)
    assert k.overdue == 2
    assert k.mean_handling_hours == 16.0  # (10 + 30 + 20 + 4) / 4
    assert k.score == round(0.6 * 30 + 0.6667 * 35 + 0.6667 * 35, 2)


def test_exclusions_and_weights_are_configurable(data):
    desk = data
    KpiConfig.objects.create(
        exclude_not_accepted=False,
        exclude_merged=False,
        exclude_malicious=False,
        response_weight=50,
        resolution_weight=25,
        satisfaction_weight=25,
    )
    k = kpis.kpis(start=START, end=END, area=desk.t.a.community, now=NOW)
    assert k.dispatched == 8 and k.responded == 4 and k.response_rate == 0.5
    assert (k.rated, k.satisfied) == (4, 2)
    assert k.score == round(0.5 * 50 + 0.5 * 25 + 0.5 * 25, 2)


def test_department_and_breakdown(data):
    desk = data
    k = kpis.kpis(start=START, end=END, department=desk.t.department, now=NOW)
    assert (k.dispatched, k.satisfaction_rate) == (1, 1.0)
    rows = dict(kpis.breakdown(area=desk.t.street, start=START, end=END, now=NOW))
    assert rows[desk.t.a.community].dispatched == 5
    assert (
        rows[desk.t.b.community].dispatched == 1
        and rows[desk.t.b.community].satisfaction_rate == 0.0
    )


def test_an_empty_period_has_no_rates(desk):
    k = kpis.kpis(start=START, end=END, area=desk.t.a.community)
    assert k.dispatched == 0 and k.response_rate is None and k.score is None


# --- the KPI API: every read through the user's scope ---------------------------------------


def _kpi_api(desk, key, **params):
    from rest_framework.test import APIClient

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(desk.user(key) if isinstance(key, str) else key)
    return api.get("/api/services/kpis/", {"start": "2026-11-01", "end": "2026-12-01", **params})


@pytest.fixture
def elsewhere(data):
    """Another district beside the test one, its staff, and a case of it that the test
    district's 城管局 handles (a department may work across districts)."""
    from grids.models import Role
    from tests.territory import add, assign, make_user

    desk = data
    other = add(desk.t.city, name="另一区", kind="district")
    staff = make_user("other-district", staff=True)
    assign(staff, Role.DISTRICT_STAFF, area=other)
    ok = {"sign_on_time": True, "contact_on_time": True}
    make(desk, place=other, handling_department=desk.t.department, **ok)
    return other, staff


def test_kpi_api_out_of_scope_is_404_and_the_default_is_the_users_own(data, elsewhere):
    desk = data
    other, staff = elsewhere
    assert _kpi_api(desk, "community_b", area=desk.t.a.community.pk).status_code == 404
    assert _kpi_api(desk, "community_b").data["kpis"]["dispatched"] == 1  # their community
    assert _kpi_api(desk, "community_a").data["kpis"]["dispatched"] == 5
    # Another district's staff: not the test district, not its department; their own is empty.
    assert _kpi_api(desk, staff, area=desk.t.district.pk).status_code == 404
    assert _kpi_api(desk, staff, department=desk.t.department.pk).status_code == 404
    mine = _kpi_api(desk, staff)
    assert mine.status_code == 200 and mine.data["area"] == other.pk
    assert mine.data["kpis"]["dispatched"] == 1  # the other district's own case
    # A grid worker does not read a district department; a handler not another department.
    assert _kpi_api(desk, "grid_a", department=desk.t.department.pk).status_code == 404
    assert _kpi_api(desk, "dept", department=desk.t.other_department.pk).status_code == 404
    assert _kpi_api(desk, "resident_a").status_code == 404


def test_kpi_api_counts_only_the_cases_the_user_may_see(data, elsewhere):
    desk = data
    # The handler sees every case of their department (one here, one in the other district) and
    # gets their department's report without asking for it.
    own = _kpi_api(desk, "dept")
    assert own.data["department"] == desk.t.department.pk
    assert own.data["kpis"]["dispatched"] == 2
    # The test district's staff read the department's report, but not its other district's case.
    report = _kpi_api(desk, "district", department=desk.t.department.pk)
    assert report.status_code == 200 and report.data["kpis"]["dispatched"] == 1
    assert (
        _kpi_api(desk, "superuser", department=desk.t.department.pk).data["kpis"]["dispatched"] == 2
    )
