"""Grid teams 1+1+N+Z: periods, the one-full-time-worker rule (in the database too), and the
scope a full-time worker's account gets."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from grids import actions
from grids.models import GridTeamMember, TeamRole
from grids.scope import build_scope
from grids.teams import current_full_time_worker, current_team
from services.routing import grid_worker_for
from tests.territory import make_user

TODAY = timezone.localdate()


def test_a_full_team_and_its_current_members(territory):
    grid = territory.a.grids[0]
    worker = make_user("worker-new", staff=True)
    actions.appoint_team_member(grid, role=TeamRole.GRID_HEAD, name="陈网格长")
    actions.appoint_team_member(grid, role=TeamRole.FULL_TIME, name="李专职", user=worker)
    for n in range(2):
        actions.appoint_team_member(grid, role=TeamRole.INSTRUCTOR, name=f"指导员{n}")
    actions.appoint_team_member(
        grid, role=TeamRole.AUXILIARY, name="民警", auxiliary_kind="police", organisation="派出所"
    )
    actions.appoint_team_member(
        grid,
        role=TeamRole.INSTRUCTOR,
        name="已离任",
        starts_on=TODAY - timedelta(days=90),
        ends_on=TODAY - timedelta(days=1),
    )
    names = {m.name for m in current_team(grid)}
    assert names == {"陈网格长", "李专职", "指导员0", "指导员1", "民警"}
    assert current_full_time_worker(grid) == worker
    # The account got the grid's scope for the same period; routing of 12345 cases follows.
    scope = build_scope(worker)
    assert scope.covers_area(grid) and not scope.covers_area(territory.a.grids[1])
    assert grid_worker_for(grid) == worker.pk


def test_two_old_street_roles_sit_beside_the_grid_worker(territory):
    grid = territory.a.grids[1]
    actions.appoint_team_member(grid, role=TeamRole.BUILDING_HEAD, name="党员楼长")
    actions.appoint_team_member(grid, role=TeamRole.LANE_HEAD, name="巷长")
    actions.appoint_team_member(grid, role=TeamRole.FULL_TIME, name="网格员")
    assert sorted(m.role for m in current_team(grid)) == [
        "building_head",
        "full_time",
        "lane_head",
    ]


def test_a_second_overlapping_full_time_worker_is_refused_with_the_field(territory):
    grid = territory.a.grids[0]
    actions.appoint_team_member(
        grid, role=TeamRole.FULL_TIME, name="甲", starts_on=date(2026, 1, 1)
    )
    with pytest.raises(ValidationError) as err:
        actions.appoint_team_member(
            grid, role=TeamRole.FULL_TIME, name="乙", starts_on=date(2026, 6, 1)
        )
    assert "starts_on" in err.value.message_dict
    # A grid next door may have its own.
    actions.appoint_team_member(territory.a.grids[1], role=TeamRole.FULL_TIME, name="丙")


def test_a_handover_without_overlap_is_fine_and_routing_follows_it(territory):
    grid = territory.a.grids[0]
    old, new = make_user("old-worker", staff=True), make_user("new-worker", staff=True)
    member = actions.appoint_team_member(
        grid, role=TeamRole.FULL_TIME, name="旧", user=old, starts_on=TODAY - timedelta(days=30)
    )
    actions.end_team_membership(member, TODAY - timedelta(days=1))
    actions.appoint_team_member(grid, role=TeamRole.FULL_TIME, name="新", user=new)
    assert current_full_time_worker(grid) == new
    assert current_full_time_worker(grid, on=TODAY - timedelta(days=2)) == old
    # The old account lost the grid with its role.
    assert not build_scope(old).covers_area(grid)
    assert build_scope(new).covers_area(grid)


def test_the_database_refuses_overlapping_full_time_workers(territory):
    """Bypassing grids.actions (a raw create) still cannot make two current workers."""
    grid = territory.a.grids[0]
    GridTeamMember.objects.create(
        grid=grid, role=TeamRole.FULL_TIME, name="一", starts_on=date(2026, 1, 1)
    )
    overlap = pytest.raises(IntegrityError, match="grids_team_one_full_time_worker")
    with overlap, transaction.atomic():
        GridTeamMember.objects.create(
            grid=grid,
            role=TeamRole.FULL_TIME,
            name="二",
            starts_on=date(2025, 1, 1),
            ends_on=date(2026, 1, 1),  # inclusive: the one shared day is an overlap
        )
    # Other roles, and the day after, are allowed.
    GridTeamMember.objects.create(
        grid=grid, role=TeamRole.INSTRUCTOR, name="三", starts_on=date(2026, 1, 1)
    )
    GridTeamMember.objects.create(
        grid=grid,
        role=TeamRole.FULL_TIME,
        name="四",
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 12, 31),
    )
    with pytest.raises(IntegrityError, match="grids_team_period_ordered"), transaction.atomic():
        GridTeamMember.objects.create(
            grid=grid,
            role=TeamRole.GRID_HEAD,
            name="五",
            starts_on=date(2026, 2, 1),
            ends_on=date(2026, 1, 1),
        )


def test_appointing_outside_ones_area_or_on_a_non_grid_is_refused(territory):
    with pytest.raises(ValidationError) as err:
        actions.appoint_team_member(
            territory.b.grids[0],
            role=TeamRole.GRID_HEAD,
            name="越界",
            actor=territory.user("community_a"),
        )
    assert "grid" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        actions.appoint_team_member(territory.a.community, role=TeamRole.GRID_HEAD, name="x")
    assert "grid" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        actions.appoint_team_member(
            territory.a.grids[0],
            role=TeamRole.GRID_HEAD,
            name="x",
            starts_on=TODAY,
            ends_on=TODAY - timedelta(days=1),
        )
    assert "ends_on" in err.value.message_dict
    assert not GridTeamMember.objects.exists()


def test_routing_falls_back_to_the_grid_worker_role_without_a_roster(territory):
    assert current_full_time_worker(territory.a.grids[0]) == territory.user("grid_a")
    assert current_full_time_worker(territory.b.grids[1]) is None


def test_two_concurrent_appointments_leave_one_full_time_worker(transactional_territory):
    grid = transactional_territory.a.grids[0]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def appoint(name):
        try:
            barrier.wait(5)
            actions.appoint_team_member(grid, role=TeamRole.FULL_TIME, name=name)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=appoint, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert GridTeamMember.objects.filter(grid=grid, role=TeamRole.FULL_TIME).count() == 1
