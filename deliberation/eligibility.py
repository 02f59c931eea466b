"""Who lives where, for deliberation: a resident's households (through a current resident role
or their resident record), whether they belong to a matter's area, and the electorate of a
vote. Read once per request (cached on the user object)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from grids.models import Household, Resident

_ATTR = "_delib_households"


def households_of(user) -> list[tuple[int, str]]:
    """(household id, building path) of the households the user lives in, lowest id first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _ATTR, None)
    if cached is None:
        from grids.scope import scope_for

        ids = set(scope_for(user).household_ids)
        q = Q(pk__in=ids) | Q(pk__in=Resident.objects.filter(user=user).values("household_id"))
        cached = list(
            Household.objects.filter(q).order_by("pk").values_list("pk", "building__path")
        )
        setattr(user, _ATTR, cached)
    return cached


def building_paths(user) -> list[str]:
    return [path for _pk, path in households_of(user)]


def household_in(user, area) -> int | None:
    """The user's household inside `area` (the lowest id when several), or None."""
    for pk, path in households_of(user):
        if path.startswith(area.path):
            return pk
    return None


def electorate(matter) -> tuple[int, Decimal]:
    """How many may vote on the matter, and their floor area (weighted matters): households
    (registered owners when weighted) or residents of the area."""
    households = Household.objects.filter(building__path__startswith=matter.area.path)
    if matter.weighted_by_area:
        row = households.filter(owner_share__isnull=False).aggregate(
            n=Count("pk"), area=Sum("owner_share__floor_area")
        )
        return row["n"] or 0, row["area"] or Decimal(0)
    if matter.vote_unit == "household":
        return households.count(), Decimal(0)
    return Resident.objects.filter(household__in=households).count(), Decimal(0)
