"""One "current holder" rule (grids.querysets.current_q): the scope, the team roster and
routing all ask RoleAssignment.objects.current(), so a role that ended yesterday or starts
tomorrow gives neither the area's scope nor the area's cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grids.models import Role, RoleAssignment
from grids.scope import build_scope
from services import routing
from services.models import Case
from tests.territory import make_user


def _grid_worker(territory, name, **dates):
    grid = territory.a.grids[1]  # the sibling grid: no roster, no worker in the territory
    user = make_user(name, staff=True)
    RoleAssignment.objects.create(user=user, role=Role.GRID_WORKER, area=grid, **dates)
    return grid, user


@pytest.mark.django_db
@pytest.mark.parametrize(
    "dates",
    [{"ends_on": -1}, {"starts_on": 1}],
    ids=["ended-yesterday", "starts-tomorrow"],
)
def test_a_grid_worker_out_of_their_dates_is_not_routed_to(territory, dates):
    today = timezone.localdate()
    grid, user = _grid_worker(
        territory,
        "out-of-dates",
        **{k: today + timedelta(days=v) for k, v in dates.items()},
        **({"starts_on": today - timedelta(days=30)} if "ends_on" in dates else {}),
    )
    assert routing.grid_worker_for(grid) is None
    cache: dict = {"somewhere": {"grid": grid}}
    routing.prefetch_grid_workers(cache)
    assert cache[("worker", grid.pk)] is None
    case = Case(level="grid", handling_area=grid)
    assert routing.unit_user_ids(case) == []
    chains = {"p": {"grid": grid}}
    batch: dict = {}
    routing.prefetch_unit_users(chains, batch, [Case(level="grid", place_path="p")])
    assert batch[("grid", grid.pk, None)] == []
    assert not build_scope(user).covers_area(grid)


@pytest.mark.django_db
def test_a_grid_worker_within_their_dates_is_routed_to(territory):
    today = timezone.localdate()
    grid, user = _grid_worker(territory, "in-dates", starts_on=today, ends_on=today)
    assert routing.grid_worker_for(grid) == user.pk
    assert routing.unit_user_ids(Case(level="grid", handling_area=grid)) == [user.pk]
    batch: dict = {}
    routing.prefetch_unit_users({"p": {"grid": grid}}, batch, [Case(level="grid", place_path="p")])
    assert batch[("grid", grid.pk, None)] == [user.pk]
    assert build_scope(user).covers_area(grid)


@pytest.mark.django_db
def test_current_is_the_one_rule_for_roles_and_team_members(territory):
    today = timezone.localdate()
    grid, user = _grid_worker(territory, "window", starts_on=today - timedelta(days=3))
    role = RoleAssignment.objects.get(user=user)
    for ends_on, expected in ((today, True), (today - timedelta(days=1), False), (None, True)):
        RoleAssignment.objects.filter(pk=role.pk).update(ends_on=ends_on)
        assert RoleAssignment.objects.current().filter(pk=role.pk).exists() is expected
    assert not RoleAssignment.objects.current(today - timedelta(days=4)).filter(pk=role.pk)
