"""What a case shows to someone who only follows it.

A follower is a neighbour who reported the same problem (or followed it from the similar-cases
hint, or whose own case was merged into it): they learn how the problem is being handled —
category, place, state, the steps and their dates — and nothing about the person who reported
it: not the text they wrote, their name, number, address, position or photos, nor the notes
and answers on the timeline. The reporter and the staff whose scope reaches the case (its
territory, its handling or joint department, its assignee) see it whole."""

from __future__ import annotations

from grids.scope import scope_for

# Fields of a case that are about its reporter or written by them (API and pages).
REPORTER_FIELDS = (
    "description",
    "address",
    "lat",
    "lng",
    "reporter_name",
    "reporter_phone",
    "result",
)


def sees_reporter(user, case) -> bool:
    """May `user` see who reported `case` and what they wrote? In memory for the reporter and
    for staff by territory or handling department; one query for a joint unit's handler."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if case.reporter_id == user.pk or case.assignee_id == user.pk:
        return True
    scope = scope_for(user)
    if scope.is_superuser or scope.covers_path(case.place_path or ""):
        return True
    if not scope.department_ids:
        return False
    if case.handling_department_id in scope.department_ids:
        return True
    prefetched = getattr(case, "_prefetched_objects_cache", {}).get("joint_units")
    if prefetched is not None:
        return any(unit.department_id in scope.department_ids for unit in prefetched)
    return case.joint_units.filter(department_id__in=scope.department_ids).exists()
