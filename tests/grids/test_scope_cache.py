"""Scopes are shared between requests through the cache, and never outlive a change of roles
or of the tree."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids import actions
from grids.models import Area, Role, RoleAssignment
from grids.scope import scope_for


def fresh(user):
    """The user as a new request loads it (no scope cached on the object)."""
    return get_user_model().objects.get(pk=user.pk)


def test_a_second_request_reads_the_scope_without_a_query(territory):
    user = territory.user("community_a")
    first = scope_for(fresh(user))
    loaded = fresh(user)
    with CaptureQueriesContext(connection) as ctx:
        again = scope_for(loaded)
    assert ctx.captured_queries == []
    assert again == first


def test_a_new_or_removed_role_is_seen_at_once(territory):
    user = territory.user("grid_a")
    assert not scope_for(fresh(user)).covers_area(territory.a.grids[1])
    extra = RoleAssignment.objects.create(
        user=user, role=Role.GRID_WORKER, area=territory.a.grids[1]
    )
    assert scope_for(fresh(user)).covers_area(territory.a.grids[1])
    extra.delete()
    assert not scope_for(fresh(user)).covers_area(territory.a.grids[1])


def test_ending_a_team_membership_ends_the_scope_at_once(territory):
    worker = get_user_model().objects.create(username="ft", is_staff=True)
    member = actions.appoint_team_member(
        territory.b.grids[1], role="full_time", name="ft", user=worker
    )
    assert scope_for(fresh(worker)).covers_area(territory.b.grids[1])
    actions.end_team_membership(member)  # ends today: still covered today
    assert scope_for(fresh(worker)).covers_area(territory.b.grids[1])
    RoleAssignment.objects.filter(user=worker).update(ends_on="2000-01-01")
    from grids.scope import invalidate_scopes

    invalidate_scopes()
    assert not scope_for(fresh(worker)).covers_area(territory.b.grids[1])


def test_a_move_of_the_tree_reaches_cached_scopes(territory):
    user = territory.user("grid_a")
    grid = territory.a.grids[0]
    assert scope_for(fresh(user)).covers_area(territory.a.buildings[0])
    target = Area.objects.get(path=territory.a.grids[1].path[: -Area.steplen])
    Area.objects.move(Area.objects.get(pk=grid.pk), target, pos="last-child")
    moved = Area.objects.get(pk=grid.pk)
    moved.save()  # as the admin does after a move: the signal starts a new generation
    scope = scope_for(fresh(user))
    assert scope.area_paths == (moved.path,)
    assert scope.covers_area(Area.objects.get(pk=territory.a.buildings[0].pk))
