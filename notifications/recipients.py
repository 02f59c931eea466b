"""Who to tell, for apps whose notices go to "the staff of" something rather than a named
person. Reads grids' role assignments (the current holders, grids.querysets.current_q)."""

from __future__ import annotations

from collections.abc import Iterable

from grids.models.roles import Role, RoleAssignment


def community_staff(community_ids: Iterable[int]) -> dict[int, list[int]]:
    """Community id → the user ids holding community staff roles on it today. One query."""
    ids = {i for i in community_ids if i}
    found: dict[int, list[int]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = (
        RoleAssignment.objects.current()
        .filter(role=Role.COMMUNITY_STAFF, area_id__in=ids, user__is_active=True)
        .values_list("area_id", "user_id")
        .distinct()
    )
    for area_id, user_id in rows:
        found[area_id].append(user_id)
    return found
