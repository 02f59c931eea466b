"""Coverage figures for an area's subtree, each one SQL aggregate over indexed path ranges.

- estates with a branch: an estate counts when a party branch sits on the estate itself or on
  the grid directly above it (网格(小区)党支部: one branch may serve its grid's estate);
- households with a contact party member (党员联系户);
- party members organised or reported in the subtree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Length, Substr

from grids.models import Area, ContactHousehold, Household, PartyMember, PartyOrg, PartyOrgKind


@dataclass(frozen=True)
class Coverage:
    grids: int
    estates: int
    estates_with_branch: int
    households: int
    households_with_contact: int
    party_members: int

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    @property
    def branch_share(self) -> float | None:
        return self.share(self.estates_with_branch, self.estates)

    @property
    def contact_share(self) -> float | None:
        return self.share(self.households_with_contact, self.households)


def estate_has_branch():
    """For Area rows that are estates: a branch on the estate
    or on its parent grid. Two EXISTS, each an index lookup (one OR inside a single EXISTS
    made PostgreSQL probe every branch for every estate)."""
    branches = PartyOrg.objects.filter(kind=PartyOrgKind.BRANCH)
    return Exists(branches.filter(area_id=OuterRef("pk"))) | Exists(
        branches.filter(
            area__path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Area.steplen)
        )
    )


def household_has_contact():
    return Exists(ContactHousehold.objects.filter(household_id=OuterRef("pk")))


def coverage(area: Area, households: int | None = None) -> Coverage:
    """Coverage of `area`'s subtree in four aggregate queries (three when the caller has
    counted the subtree's households already: `households`)."""
    prefix = area.path
    areas = Area.objects.filter(path__startswith=prefix, kind__in=["grid", "estate"]).aggregate(
        grids=Count("pk", filter=Q(kind="grid")),
        estates=Count("pk", filter=Q(kind="estate")),
        covered=Count("pk", filter=Q(kind="estate") & estate_has_branch()),
    )
    # Two plain counts: a correlated EXISTS per household makes the planner's row estimate
    # for the path range (far too low) expensive; counting distinct contacted households from
    # the small contact table is not.
    counts = {
        "total": households
        if households is not None
        else Household.objects.filter(building__path__startswith=prefix).count(),
        "covered": ContactHousehold.objects.filter(household__building__path__startswith=prefix)
        .values("household_id")
        .distinct()
        .count(),
    }
    members = PartyMember.objects.filter(area__path__startswith=prefix).count()
    return Coverage(
        grids=areas["grids"],
        estates=areas["estates"],
        estates_with_branch=areas["covered"],
        households=counts["total"],
        households_with_contact=counts["covered"],
        party_members=members,
    )


__all__ = ["Coverage", "coverage", "estate_has_branch", "household_has_contact"]
