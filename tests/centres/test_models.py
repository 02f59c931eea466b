"""The centre's data: six functions for every centre, open-now, and the invariants the
database keeps."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from centres.models import (
    SIX,
    Activity,
    Centre,
    Closure,
    Function,
    OpeningHours,
    Service,
)
from tests.centres.conftest import at

pytestmark = pytest.mark.django_db


def test_every_centre_has_the_six_functions_and_its_own_x(world):
    codes = sorted(world.a.functions.values_list("code", flat=True))
    assert codes == sorted(c.value for c in SIX)
    Function.objects.create(centre=world.a, code="x", name="邻里议事")
    Function.objects.create(centre=world.a, code="x", name="楼道自治")
    with pytest.raises(IntegrityError), transaction.atomic():
        Function.objects.create(centre=world.a, code="elderly", name="再来一个养老")


def test_open_now_follows_weekday_hours_and_closures(world):
    centre = world.b
    OpeningHours.objects.filter(centre=centre).delete()
    monday_morning = at(0, 9)
    weekday = monday_morning.weekday()
    OpeningHours.objects.create(centre=centre, weekday=weekday, opens=time(8), closes=time(12))
    OpeningHours.objects.create(centre=centre, weekday=weekday, opens=time(14), closes=time(18))
    centre = Centre.objects.prefetch_related("hours", "closures").get(pk=centre.pk)
    assert centre.is_open_at(at(0, 9))
    assert not centre.is_open_at(at(0, 13))  # lunch break
    assert centre.is_open_at(at(0, 17, 59))
    assert not centre.is_open_at(at(0, 18))
    assert not centre.is_open_at(at(1, 9))  # no hours on the next weekday
    Closure.objects.create(centre=centre, date=at(0).date(), reason="国庆节")
    centre = Centre.objects.prefetch_related("hours", "closures").get(pk=centre.pk)
    assert not centre.is_open_at(at(0, 9))


@pytest.mark.parametrize(
    "make",
    [
        lambda w: Centre.objects.create(name="x", community=w.t.a.community, stars=6),
        lambda w: Centre.objects.create(name="x", community=w.t.a.community, lat=24.9),
        lambda w: OpeningHours.objects.create(
            centre=w.a, weekday=0, opens=time(12), closes=time(8)
        ),
        lambda w: Service.objects.create(
            centre=w.a, function=w.function(w.a), name="x", price_tier="free", price=5
        ),
        lambda w: w.activity(capacity=5, reserved_places=6),
        lambda w: w.activity(starts_at=at(2, 10), ends_at=at(2, 9)),
        lambda w: Closure.objects.bulk_create(
            [Closure(centre=w.a, date=date(2030, 1, 1)), Closure(centre=w.a, date=date(2030, 1, 1))]
        ),
    ],
    ids=["stars", "half-a-point", "hours", "free-not-free", "reserved", "period", "closure-twice"],
)
def test_the_database_refuses_bad_rows(world, make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make(world)


def test_the_database_refuses_an_overbooked_count(world):
    activity = world.activity(capacity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(confirmed_count=3)


def test_demo_seed_runs_twice_without_changes(db, settings):
    settings.DEBUG = True  # seed_demo refuses to write demo logins with DEBUG off
    call_command("seed_demo", "--quiet-logins", verbosity=0)
    counts = (Centre.objects.count(), Service.objects.count(), Activity.objects.count())
    call_command("seed_demo", "--quiet-logins", verbosity=0)
    assert (Centre.objects.count(), Service.objects.count(), Activity.objects.count()) == counts
    # Each of the six functions of every demo centre has real services and activities use them.
    for centre in Centre.objects.all():
        for code in [c.value for c in SIX]:
            services = Service.objects.filter(centre=centre, function__code=code)
            assert services.exists(), code
            assert services.filter(operator__status="approved").exists(), code
        assert centre.spaces.exists() and centre.activities.exists()
        assert centre.contracts.filter(operator__status="approved").exists()
