"""On the demo city (manage.py seed_demo): the staffing figures, and the workload sheet equal
to counts taken from the case, grid and centre tables directly."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import reset_queries
from django.db.models import Sum
from django.utils import timezone

from centres import actions as centre_actions
from centres.models import Activity, Appointment, Booking, Centre, SignUp
from dashboard.scope import month_bounds
from grids.models import Area, Household, HouseholdVisit
from services.models import Callback, Case
from workforce import figures
from workforce.models import Assessment, Ladder, PayTable, Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--quiet-logins", verbosity=0)
    reset_queries()  # the seed fills the query log; a full log counts nothing new
    users = get_user_model().objects
    return {
        u.username: u
        for u in users.filter(
            username__in=["street1", "community1", "grid1", "resident1", "district"]
        )
    }


def test_demo_city_staffing_and_workload(demo, django_assert_num_queries):
    ladder = Ladder.objects.get(city__code="DEMO")
    assert ladder.sequences.count() == 4 and ladder.grade_count == 18
    assert PayTable.objects.filter(ladder=ladder).count() == 1
    assert Worker.objects.count() == 4 * 7 + 4 * 7 + 4 * 4  # every third community short
    assert Assessment.objects.exists()
    # A second run changes nothing.
    call_command("seed_demo", "--quiet-logins", verbosity=0)
    assert Worker.objects.count() == 72
    reset_queries()

    street = Area.objects.get(code="DEMO-S1")
    # The viewer's scope, the communities, the ladder, households, planned households,
    # workers, centres: whatever the number of communities.
    with django_assert_num_queries(7):
        rows = figures.staffing(demo["street1"], street)
    assert [r.community for r in rows] == ["阔口社区", "南门社区", "西街社区", "新华社区"]
    for row in rows:
        community = Area.objects.get(pk=row.community_id)
        registered = Household.objects.filter(building__path__startswith=community.path)
        planned = Area.objects.filter(path__startswith=community.path, grid_level=2).aggregate(
            n=Sum("households_planned")
        )["n"]
        assert row.households == max(registered.count(), planned)
        people = registered.aggregate(n=Sum("member_count"))["n"]
        assert row.residents == round(planned * people / registered.count())
        assert (
            row.workers == Worker.objects.filter(community=community, left_on__isnull=True).count()
        )
        assert row.required == -(-row.residents * 18 // 10000)  # ceil
        assert row.vacancies == max(row.required - row.workers, 0)
        area = Centre.objects.filter(community=community).aggregate(m2=Sum("floor_area"))["m2"]
        assert row.floor_area == float(area)
        assert row.floor_required == row.households * 30 / 100
    xijie = rows[2]
    assert xijie.workers == 4 and xijie.vacancies == xijie.required - 4 > 0
    totals = figures.staffing_totals(rows)
    assert totals["below_norm"] == 1 and totals["vacancies"] == xijie.vacancies

    # An activity run and a check-in by the community's secretary, for the centre figures.
    head = demo["community1"]
    source = Activity.objects.filter(centre__community__code="DEMO-S1C1").first()
    start = timezone.now() + timedelta(hours=1)
    activity = centre_actions.create_activity(
        Activity(
            centre=source.centre,
            function=source.function,
            title="工作量测试活动",
            kind=source.kind,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=5,
        ),
        actor=head,
    )
    signup = centre_actions.sign_up(activity, actor=demo["resident1"])
    centre_actions.check_in(signup.code, actor=head, now=start)

    month = timezone.localtime(start).date().replace(day=1)
    begin, end = month_bounds(month)
    workers = list(Worker.objects.filter(community__path__startswith=street.path))
    reset_queries()
    with django_assert_num_queries(8):
        sheet = figures.workload(workers, begin, end)
    linked = [w for w in workers if w.user_id]
    assert {w.user.username for w in linked} == {"community1", "grid1"}
    for w in linked:
        u = w.user_id
        cases = Case.objects.filter(assignee_id=u)
        resolved = cases.filter(resolved_at__gte=begin, resolved_at__lt=end)
        rated = resolved.exclude(rating__isnull=True)
        expected = {
            "cases_signed": cases.filter(signed_at__gte=begin, signed_at__lt=end).count(),
            "cases_resolved": resolved.count(),
            "resolved_on_time": resolved.filter(resolved_on_time=True).count(),
            "callbacks": Callback.objects.filter(by_id=u, at__gte=begin, at__lt=end).count(),
            "rated": rated.count(),
            "satisfaction": round(sum(c.rating for c in rated) / rated.count(), 2)
            if rated.exists()
            else None,
            "patrol_reports": Case.objects.filter(
                reporter_id=u, channel="grid_worker", created_at__gte=begin, created_at__lt=end
            ).count(),
            "visits": HouseholdVisit.objects.filter(
                worker_id=u, visited_on__gte=begin.date(), visited_on__lt=end.date()
            ).count(),
            "activities": SignUp.objects.filter(
                checked_in_by_id=u, activity__starts_at__gte=begin, activity__starts_at__lt=end
            )
            .values("activity")
            .distinct()
            .count(),
            "bookings": Booking.objects.filter(
                decided_by_id=u, starts_at__gte=begin, starts_at__lt=end
            ).count()
            + Appointment.objects.filter(
                handled_by_id=u, handled_at__gte=begin, handled_at__lt=end
            ).count(),
        }
        assert sheet[w.pk] == expected, w.user.username
    grid1 = next(w for w in linked if w.user.username == "grid1")
    assert sheet[grid1.pk]["cases_signed"] >= 3 and sheet[grid1.pk]["cases_resolved"] >= 2
    assert next(v for k, v in sheet.items() if k != grid1.pk and v["activities"])["activities"] == 1
    unlinked = next(w for w in workers if not w.user_id)
    assert sheet[unlinked.pk]["cases_signed"] == 0


def test_demo_dashboard_shows_the_workforce_panel(demo, client):
    client.force_login(demo["street1"])
    street = Area.objects.get(code="DEMO-S1")
    response = client.get(f"/dashboard/?area={street.pk}")
    assert response.status_code == 200
    assert "Community workforce" in response.content.decode()
    data = client.get(f"/dashboard/data/?area={street.pk}").json()
    assert data["workforce"]["workers"] == 7 + 7 + 4 + 7
    assert data["workforce"]["below_norm"] == 1
