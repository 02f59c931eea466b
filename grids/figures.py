"""Organisation figures of the dashboard (一屏观): grid teams and party coverage, by SQL
aggregates over indexed path ranges.

- grid team coverage (一格一员): grids whose current roster has a full-time worker with an
  account, or (rosters not yet kept) a current grid_worker role on the grid: the same two
  sources grids.teams.full_time_worker_ids routes by;
- party coverage: grids.coverage (estates with a branch, contact households, members) plus
  the number of party branches;
- per child area: households, grids and grids with a worker, for the map's colours and the
  ranking (one grouped query each).

Areas are territory, not personal data: these counts are read for the area the dashboard
shows, which the view has already checked against the viewer's scope.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, OuterRef, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from grids.coverage import coverage
from grids.models import (
    Area,
    GridTeamMember,
    PartyOrg,
    PartyOrgKind,
    Role,
    RoleAssignment,
    TeamRole,
)


def grid_has_worker(on: date | None = None):
    """For Area rows that are grids: a full-time worker now (roster, else role)."""
    on = on or timezone.localdate()
    roster = GridTeamMember.objects.current(on).filter(
        grid_id=OuterRef("pk"), role=TeamRole.FULL_TIME, user__isnull=False
    )
    roles = RoleAssignment.objects.current(on).filter(area_id=OuterRef("pk"), role=Role.GRID_WORKER)
    return Exists(roster) | Exists(roles)


def organisation(area: Area, on: date | None = None, totals: dict | None = None) -> dict:
    """Grid team and party coverage of `area`'s subtree: six aggregate queries, four when the
    caller has the subtree's grid and household totals already (`totals`: subtree()'s, the
    same counts summed over every child)."""
    if totals is None:
        grids = Area.objects.filter(path__startswith=area.path, kind="grid").aggregate(
            n=Count("pk"), staffed=Count("pk", filter=grid_has_worker(on))
        )
        cov = coverage(area)
    else:
        grids = {"n": totals["grids"], "staffed": totals["grids_staffed"]}
        cov = coverage(area, households=totals["households"])
    branches = PartyOrg.objects.filter(
        area__path__startswith=area.path, kind=PartyOrgKind.BRANCH
    ).count()
    return {
        "grids": grids["n"],
        "grids_staffed": grids["staffed"],
        "grid_share": cov.share(grids["staffed"], grids["n"]),
        "estates": cov.estates,
        "estates_with_branch": cov.estates_with_branch,
        "branch_share": cov.branch_share,
        "households": cov.households,
        "households_with_contact": cov.households_with_contact,
        "contact_share": cov.contact_share,
        "party_members": cov.party_members,
        "branches": branches,
    }


def children(area: Area, on: date | None = None, kids: list[Area] | None = None) -> dict[int, dict]:
    """Per child area of `area` (by id): households, grids, grids with a worker. Two grouped
    queries, whatever the number of children."""
    return subtree(area, on, kids)[0]


def subtree(
    area: Area, on: date | None = None, kids: list[Area] | None = None
) -> tuple[dict[int, dict], dict | None]:
    """children()'s figures per child and their totals over the whole subtree (every grouped
    row summed, so a household or grid outside every child still counts, as in
    organisation()); `kids`: the children when the caller has read them (any subset of
    them: only those are reported). ({}, None) when the area has no children."""
    if kids is None:
        kids = list(Area.objects.filter(path__startswith=area.path, depth=area.depth + 1))
    if not kids:
        return {}, None
    width = len(kids[0].path)
    by_path = {k.path: k.pk for k in kids}
    out = {k.pk: {"households": 0, "grids": 0, "grids_staffed": 0} for k in kids}
    totals = {"households": 0, "grids": 0, "grids_staffed": 0}
    # The households registered on each area of the subtree, as the database keeps them
    # (Area.figs_households: grids.sql.HOUSEHOLD_COUNTS), summed per child: the district's
    # areas from the path index instead of its 45,000 households joined to their buildings.
    households = (
        Area.objects.filter(path__startswith=area.path, figs_households__gt=0)
        .annotate(unit=Substr("path", 1, width))
        .values("unit")
        .annotate(n=Sum("figs_households"))
        .order_by()
    )
    for r in households:
        totals["households"] += r["n"]
        if r["unit"] in by_path:
            out[by_path[r["unit"]]]["households"] = r["n"]
    grids = (
        Area.objects.filter(path__startswith=area.path, kind="grid")
        .annotate(unit=Substr("path", 1, width))
        .values("unit")
        .annotate(n=Count("pk"), staffed=Count("pk", filter=grid_has_worker(on)))
        .order_by()
    )
    for r in grids:
        totals["grids"] += r["n"]
        totals["grids_staffed"] += r["staffed"]
        if r["unit"] in by_path:
            out[by_path[r["unit"]]].update(grids=r["n"], grids_staffed=r["staffed"])
    return out, totals


__all__ = ["children", "grid_has_worker", "organisation", "subtree"]
