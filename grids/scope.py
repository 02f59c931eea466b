"""The area scope: the one module that answers "what may this user see and change".

A user's role assignments (grids.RoleAssignment) become a `Scope`: the area subtrees they
cover, plus the departments, centres, units and households they act for. Admin querysets, form
choices, API viewsets, public views and tasks all filter through it; an object outside it is
treated as if it did not exist (404), never as forbidden (403), so nothing leaks its existence.

The scope is read once per request (one query) and cached on the user object.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Model, Q
from django.utils import timezone

from grids.models.roles import STAFF_ROLES, TERRITORIAL_ROLES, Role, RoleAssignment

_CACHE_ATTR = "_linli_scope"
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Scope:
    user_id: int | None = None
    is_superuser: bool = False
    roles: frozenset[str] = frozenset()
    area_paths: tuple[str, ...] = ()  # territorial subtrees covered (redundant ones dropped)
    area_ids: tuple[int, ...] = ()  # the areas the territorial roles sit on
    department_ids: tuple[int, ...] = ()
    centre_ids: tuple[int, ...] = ()
    unit_ids: tuple[int, ...] = ()
    household_ids: tuple[int, ...] = ()
    paths_by_role: dict[str, tuple[str, ...]] = field(default_factory=dict)

    # --- what kind of user ------------------------------------------------------------------
    @property
    def is_staff(self) -> bool:
        return self.is_superuser or bool(self.roles & STAFF_ROLES)

    @property
    def is_territorial(self) -> bool:
        return self.is_superuser or bool(self.area_paths)

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles & set(roles))

    # --- areas ------------------------------------------------------------------------------
    def covers_path(self, path: str) -> bool:
        return self.is_superuser or any(path.startswith(p) for p in self.area_paths)

    def covers_area(self, area) -> bool:
        """True when the area (or anything with `.path`) lies inside a covered subtree."""
        return area is not None and self.covers_path(area.path)

    def area_q(self, field: str = "", paths: Iterable[str] | None = None) -> Q:
        """A Q selecting rows whose area (reached through `field`) lies in the scope."""
        if self.is_superuser and paths is None:
            return Q()
        lookup = f"{field}__path__startswith" if field else "path__startswith"
        q = NOTHING
        for path in self.area_paths if paths is None else paths:
            q |= Q(**{lookup: path})
        return q

    # --- any scoped model -------------------------------------------------------------------
    def q_for(self, model: type[Model], action: str = "view") -> Q:
        """The filter that limits `model` to this scope. Models describe themselves with the
        `scope_*_field` attributes (see grids.querysets.ScopedQuerySetMixin)."""
        if self.is_superuser:
            return Q()
        q = NOTHING
        area_field = getattr(model, "scope_area_field", None)
        if area_field is not None and self.area_paths:
            q |= self.area_q(area_field)
        for attr, ids in (
            ("scope_department_field", self.department_ids),
            ("scope_centre_field", self.centre_ids),
            ("scope_unit_field", self.unit_ids),
        ):
            name = getattr(model, attr, None)
            if name and ids:
                q |= Q(**{f"{name}__in": ids})
        if action == "view":
            # Residents read what belongs to their own household or to themselves; their
            # writes go through domain operations that check ownership themselves.
            household_field = getattr(model, "scope_household_field", None)
            if household_field and self.household_ids:
                q |= Q(**{f"{household_field}__in": self.household_ids})
            user_field = getattr(model, "scope_user_field", None)
            if user_field and self.user_id:
                q |= Q(**{user_field: self.user_id})
        return q

    def covers(self, obj: Model, action: str = "view") -> bool:
        """Is this one object inside the scope? One indexed query (none for superusers)."""
        if self.is_superuser:
            return True
        return type(obj)._default_manager.filter(self.q_for(type(obj), action), pk=obj.pk).exists()


ANONYMOUS = Scope()


def _collapse(paths: Iterable[str]) -> tuple[str, ...]:
    """Drop paths already covered by a shorter one (a street makes its communities redundant)."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(kept)


def build_scope(user, today: date | None = None) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    if user.is_superuser:
        return Scope(user_id=user.pk, is_superuser=True)
    today = today or timezone.localdate()
    rows = (
        RoleAssignment.objects.current(today)
        .filter(user_id=user.pk)
        .values_list(
            "role", "area_id", "area__path", "department_id", "centre_id", "unit_id", "household_id"
        )
    )
    roles, paths, area_ids = set(), [], []
    departments, centres, units, households = [], [], [], []
    by_role: dict[str, list[str]] = {}
    for role, area_id, path, department_id, centre_id, unit_id, household_id in rows:
        roles.add(role)
        if role in TERRITORIAL_ROLES and path:
            paths.append(path)
            area_ids.append(area_id)
            by_role.setdefault(role, []).append(path)
        elif role == Role.DEPARTMENT_HANDLER and department_id:
            departments.append(department_id)
        elif role == Role.CENTRE_OPERATOR and centre_id:
            centres.append(centre_id)
        elif role == Role.UNIT_MEMBER and unit_id:
            units.append(unit_id)
        elif role == Role.RESIDENT and household_id:
            households.append(household_id)
    return Scope(
        user_id=user.pk,
        roles=frozenset(roles),
        area_paths=_collapse(paths),
        area_ids=tuple(area_ids),
        department_ids=tuple(departments),
        centre_ids=tuple(centres),
        unit_ids=tuple(units),
        household_ids=tuple(households),
        paths_by_role={role: _collapse(p) for role, p in by_role.items()},
    )


def scope_for(user) -> Scope:
    """The user's scope, computed once per request (cached on the user object) and shared
    between requests through the cache until a role or an area changes."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = _shared_scope(user)
        setattr(user, _CACHE_ATTR, cached)
    return cached


# --- the scope shared between requests ---------------------------------------------------------
# A scope is read on every request; building it is one query (≈ 1-3 ms with ORM overhead on a
# busy server), fetching it from the cache one round trip. Entries carry the generation they
# were built in; any change to role assignments or to the tree (a move changes paths) starts a
# new generation (grids.apps connects the signals), so a stale entry is never used. Dates are
# in the key because roles start and end on dates. Activity and superuser flags are read from
# the user row itself, never from the cache.
_GEN_KEY = "grids:scope:gen"


def _entry_key(user_id: int, today: date) -> str:
    return f"grids:scope:{user_id}:{today.isoformat()}"


def _shared_scope(user) -> Scope:
    if not user.is_active or user.is_superuser:
        return build_scope(user)
    from django.core.cache import cache

    today = timezone.localdate()
    key = _entry_key(user.pk, today)
    try:
        got = cache.get_many([_GEN_KEY, key])
        generation = got.get(_GEN_KEY)
        if generation is None:
            cache.add(_GEN_KEY, uuid.uuid4().hex, None)
            generation = cache.get(_GEN_KEY)
        entry = got.get(key)
        if entry is not None and entry[0] == generation:
            return entry[1]
        scope = build_scope(user, today)
        cache.set(key, (generation, scope), 24 * 3600)
        return scope
    except Exception:  # the cache is an optimisation: without it, read the database
        return build_scope(user, today)


def invalidate_scopes(**_ignored) -> None:
    """Start a new scope generation: every shared scope is rebuilt on its next use. Called on
    role and area changes (signals), and after the transaction commits as well, so a scope
    read between the change and the commit is not kept."""
    from django.core.cache import cache
    from django.db import transaction

    def bump() -> None:
        with contextlib.suppress(Exception):
            cache.set(_GEN_KEY, uuid.uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


def forget_scope(user) -> None:
    """Call after changing a user's role assignments within the same request or task."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def may_act_on(user, area) -> bool:
    """THE answer to "may this actor act on this area": staff (superusers, territorial staff,
    handlers, operators) whose territorial scope covers the area. Operations of every app ask
    this before they write on someone's behalf; reading is Scope.q_for / visible_to."""
    scope = scope_for(user)
    return scope.is_staff and scope.covers_area(area)


def covers_city(user) -> bool:
    """Is the user's scope the whole city (a superuser, or city staff)? Only they write what
    holds everywhere: city-wide catalogues, routing rules for everywhere, the city's items."""
    return scope_for(user).has_role(Role.CITY_STAFF)


def get_visible_or_404(queryset, user, **lookup):
    """Fetch one object the user may see, or raise Http404 (never 403)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(queryset.visible_to(user), **lookup)


# Which roles may use a model in the admin and the API, per action. A model overrides this
# with a `scope_roles` dict of the same shape; superusers may do everything.
DEFAULT_SCOPE_ROLES: dict[str, frozenset[str]] = {
    "view": frozenset(TERRITORIAL_ROLES),
    "add": frozenset(TERRITORIAL_ROLES),
    "change": frozenset(TERRITORIAL_ROLES),
    "delete": frozenset(TERRITORIAL_ROLES) - {Role.GRID_WORKER},
}


def may(user, action: str, model: type[Model]) -> bool:
    """May this user use `action` (view/add/change/delete) on `model` at all? Which objects
    is answered separately, by `Scope.q_for`."""
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    allowed = getattr(model, "scope_roles", DEFAULT_SCOPE_ROLES).get(action, frozenset())
    return bool(scope.roles & allowed)
