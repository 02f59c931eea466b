"""List pages cost the same number of queries however long the list."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.urls import reverse

from centres import actions
from centres.models import Centre, OpeningHours
from tests.centres.conftest import at

pytestmark = pytest.mark.django_db


def _fill(world, n: int) -> None:
    for i in range(n):
        centre = Centre.objects.create(
            name=f"中心{i}", community=world.t.a.community, lat=24.9 + i / 1000, lng=118.6
        )
        OpeningHours.objects.create(centre=centre, weekday=0, opens=time(8), closes=time(9))
        world.activity(title=f"活动{i}", starts_at=at(1, 9) + timedelta(minutes=i), capacity=3)


@pytest.mark.parametrize("n", [2, 25])
def test_public_lists(client, world, django_assert_max_num_queries, n):
    _fill(world, n)
    user = world.resident_user("r1")
    for activity in world.a.activities.all()[:n]:
        actions.sign_up(activity, actor=user)
    with django_assert_max_num_queries(4):
        assert client.get(reverse("centres:finder"), {"lat": 24.9, "lng": 118.6}).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("centres:activities", args=[world.a.pk])).status_code == 200
    client.force_login(user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("centres:mine"))
    assert response.status_code == 200 and "活动0" in response.content.decode()


@pytest.mark.parametrize("n", [2, 25])
def test_admin_lists(client, world, django_assert_max_num_queries, n):
    _fill(world, n)
    for i, activity in enumerate(world.a.activities.all()[:n]):
        actions.sign_up(activity, actor=world.resident_user(f"r{i}"))
    client.force_login(world.user("community_a"))
    for name in ("activity", "signup", "centre", "service", "booking"):
        with django_assert_max_num_queries(12):
            response = client.get(reverse(f"admin:centres_{name}_changelist"))
        assert response.status_code == 200, name
