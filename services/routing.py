"""Where a case goes: routing rules, the handling unit at each level, and who is in it.

Who serves a grid comes from the grids team roster (grids.teams.full_time_worker_ids); who
holds a role at a unit is RoleAssignment.objects.current(), the rule grids.scope reads too. The
functions take an optional `cache` dict for a batch of cases: place chains keyed by place path,
and ("worker", grid id), ("rules",), ("categories",) entries, each read once per batch."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from grids.models import Area, Department, Role, RoleAssignment
from grids.teams import full_time_worker_ids
from services.choices import LEVEL_ORDER, Level
from services.models import Case, Category, RoutingRule
from services.models.catalogue import lineage

STEPLEN = Area.steplen
# The kinds a chain holds: the ones a case can be handled at. Estates and buildings below the
# grid are most of a place's ancestors and nearly all distinct, so a batch skips them.
UNIT_KINDS = ("city", "district", "street", "community", "grid")
# What routing, escalation and notices read of a chain's areas (a batch loads thousands).
CHAIN_FIELDS = ("id", "path", "depth", "numchild", "name", "kind", "grid_level")


@dataclass(frozen=True)
class Target:
    """A handling unit: a level plus either an area (grid/community/street/city) or a
    department, and optionally the person who handles it."""

    level: str
    area: Area | None = None
    department: Department | None = None
    assignee_id: int | None = None

    @property
    def label(self) -> str:
        return str(self.department or self.area or "—")


def path_prefixes(path: str) -> list[str]:
    return [path[:i] for i in range(STEPLEN, len(path) + 1, STEPLEN)]


def place_chain(case: Case, cache: dict | None = None) -> dict[str, Area]:
    """The place's ancestors by kind (city, district, street, community, grid = deepest)."""
    key = case.place_path
    if cache is not None and key in cache:
        return cache[key]
    chain: dict[str, Area] = {}
    units = Area.objects.filter(path__in=path_prefixes(case.place_path), kind__in=UNIT_KINDS)
    for area in units.order_by("depth"):
        chain[area.kind] = area  # deeper grids overwrite shallower ones
    if cache is not None:
        cache[key] = chain
    return chain


def prefetch_chains(cases, cache: dict) -> None:
    """Fill `cache` (as place_chain uses it) for many cases with one query. The areas read
    are kept in the cache by path too (None for a prefix that is no unit), so the next batch
    of a sweep reads only prefixes it has not seen: the communities, streets and districts
    above one batch's grids are mostly those above the last one's."""
    wanted = {c.place_path for c in cases if c.place_path not in cache}
    if not wanted:
        return
    prefixes = {p for path in wanted for p in path_prefixes(path)}
    unseen = [p for p in prefixes if ("area", p) not in cache]
    if unseen:
        found = dict.fromkeys(unseen)
        units = Area.objects.filter(path__in=unseen, kind__in=UNIT_KINDS).only(*CHAIN_FIELDS)
        found.update((a.path, a) for a in units)
        cache.update((("area", p), a) for p, a in found.items())
    for path in wanted:
        chain: dict[str, Area] = {}
        for prefix in path_prefixes(path):
            area = cache[("area", prefix)]
            if area is not None:
                chain[area.kind] = area  # deeper grids overwrite shallower ones
        cache[path] = chain


def tree_entries(cache: dict):
    """The entries of a batch cache that hold the area tree (place chains, areas by path):
    a sweep keeps these across its batches; people and rules are read afresh each batch."""
    return ((k, v) for k, v in cache.items() if isinstance(k, str) or k[0] == "area")


def attach_units(cases: list[Case], cache: dict) -> None:
    """Give each case its handling area and department objects, from the batch's place
    chains where the area is on one and otherwise in one query each, instead of a join on
    every locked row (the sweep locks without select_related)."""
    by_id = {a.pk: a for c in cases for a in cache.get(c.place_path, {}).values()}
    missing = {
        area_id
        for c in cases
        if (area_id := c.handling_area_id) is not None and area_id not in by_id
    }
    if missing:
        by_id.update((a.pk, a) for a in Area.objects.filter(pk__in=missing).only(*CHAIN_FIELDS))
    department_ids = {d for c in cases if (d := c.handling_department_id) is not None}
    departments = {}
    if department_ids:
        departments = {d.pk: d for d in Department.objects.filter(pk__in=department_ids)}
    area_field = Case._meta.get_field("handling_area")
    department_field = Case._meta.get_field("handling_department")
    for case in cases:
        if case.handling_area_id:
            area_field.set_cached_value(case, by_id[case.handling_area_id])
        if case.handling_department_id:
            department_field.set_cached_value(case, departments[case.handling_department_id])


def prefetch_unit_users(chains: dict, cache: dict, cases: Iterable[Case]) -> None:
    """Fill unit_user_ids' cache with one query: every area unit on these cases' place chains
    (`chains` as prefetch_chains fills it; it may hold earlier batches' too), and the unit each
    case sits with now (which need not be on its place's chain)."""
    wanted: set[tuple[str, int]] = set()
    cases = list(cases)
    for chain in (chains[c.place_path] for c in cases if c.place_path in chains):
        for kind, area in chain.items():
            if kind in _LEVEL_ROLES:
                wanted.add((kind, area.pk))
    for case in cases:
        if not case.assignee_id and case.handling_area_id and case.level in _LEVEL_ROLES:
            wanted.add((case.level, case.handling_area_id))
    missing = {(kind, pk) for kind, pk in wanted if (kind, pk, None) not in cache}
    if not missing:
        return
    found: dict[tuple, set[int]] = {(kind, pk, None): set() for kind, pk in missing}
    rows = (
        RoleAssignment.objects.current()
        .filter(area_id__in={pk for _kind, pk in missing}, role__in=list(_LEVEL_ROLES.values()))
        .values_list("area_id", "role", "user_id")
    )
    for area_id, role, user_id in rows:
        for kind, role_of_kind in _LEVEL_ROLES.items():
            if role_of_kind == role and (kind, area_id) in missing:
                found[(kind, area_id, None)].add(user_id)
    cache.update({k: sorted(v) for k, v in found.items()})


def grid_of(place: Area) -> Area | None:
    """The deepest grid at or above a place."""
    grids = Area.objects.filter(path__in=path_prefixes(place.path), kind="grid").order_by("-depth")
    return grids.first()


def grid_worker_for(grid: Area, cache: dict | None = None) -> int | None:
    """The grid's current full-time worker (user id), or None (grids.teams holds the rule)."""
    key = ("worker", grid.pk)
    if cache is not None and key in cache:
        return cache[key]
    worker = full_time_worker_ids([grid.pk])[grid.pk]
    if cache is not None:
        cache[key] = worker
    return worker


def prefetch_grid_workers(cache: dict) -> None:
    """Fill grid_worker_for's cache for the grid of every chain in `cache` (two queries)."""
    grid_ids = {
        chain["grid"].pk
        for key, chain in cache.items()
        if isinstance(key, str) and "grid" in chain  # place chains only
    }
    missing = [pk for pk in grid_ids if ("worker", pk) not in cache]
    if missing:
        for pk, worker in full_time_worker_ids(missing).items():
            cache[("worker", pk)] = worker


def _active_rules(cache: dict | None) -> list[RoutingRule]:
    rules = cache.get(("rules",)) if cache is not None else None
    if rules is None:
        rules = list(
            RoutingRule.objects.filter(is_active=True).select_related("area", "department")
        )
        if cache is not None:
            cache[("rules",)] = rules
    return rules


def _lineage(category_id: int, cache: dict | None) -> list[int]:
    parents = cache.get(("categories",)) if cache is not None else None
    if parents is None:
        parents = Category.tree()
        if cache is not None:
            cache[("categories",)] = parents
    return lineage(category_id, parents)


def matching_rule(case: Case, cache: dict | None = None) -> RoutingRule | None:
    """The most specific active rule: deepest category, then deepest area, then priority.
    With a `cache` (a batch of cases) the rules and the category tree are read once."""
    lineage = _lineage(case.category_id, cache)
    prefixes = set(path_prefixes(case.place_path))
    rules = [
        rule
        for rule in _active_rules(cache)
        if (rule.category_id is None or rule.category_id in lineage)
        and (rule.area is None or rule.area.path in prefixes)
    ]
    if not rules:
        return None

    def specificity(rule: RoutingRule):
        cat = lineage.index(rule.category_id) if rule.category_id else len(lineage)
        depth = rule.area.depth if rule.area is not None else 0
        return (cat, -depth, -rule.priority, rule.pk)

    return min(rules, key=specificity)


def target_at(case: Case, level: str, cache: dict | None = None, rule=None) -> Target | None:
    """The unit at `level` for this case's place, or None if there is none."""
    chain = place_chain(case, cache)
    if level == Level.GRID:
        grid = chain.get("grid")
        if grid is None:
            return None
        return Target(Level.GRID, area=grid, assignee_id=grid_worker_for(grid, cache))
    if level in (Level.COMMUNITY, Level.STREET, Level.CITY):
        area = chain.get(level)
        return Target(level, area=area) if area else None
    if level == Level.DEPARTMENT:
        department = rule.department if rule is not None and rule.department_id else None
        if department is None:
            department = department_for(case, chain)
        return Target(Level.DEPARTMENT, department=department) if department else None
    return None


def department_for(case: Case, chain: dict[str, Area]) -> Department | None:
    """The department for a department-level step: a department rule for the category, else
    the first active department of the place's district."""
    rule = (
        RoutingRule.objects.filter(is_active=True, level=Level.DEPARTMENT)
        .filter(Q(category__isnull=True) | Q(category_id=case.category_id))
        .filter(Q(area__isnull=True) | Q(area__path__in=path_prefixes(case.place_path)))
        .select_related("department")
        .order_by("category_id", "-priority")
        .first()
    )
    if rule is not None:
        return rule.department
    district = chain.get("district")
    if district is None:
        return None
    return Department.objects.filter(area=district, is_active=True).order_by("pk").first()


def route(case: Case, cache: dict | None = None) -> Target:
    """Where a new case goes: the matching rule's level, with fallbacks upward
    (no grid → community → street → department → city). `cache` as for a batch (see
    services.tasks.dispatch_pending)."""
    rule = matching_rule(case, cache)
    level = rule.level if rule else Level.GRID
    start = LEVEL_ORDER.index(level)
    for candidate in LEVEL_ORDER[start:]:
        target = target_at(case, candidate, cache, rule=rule)
        if target is not None:
            return target
    raise LookupError("no handling unit above this place")


def next_level_target(case: Case, cache: dict | None = None) -> Target | None:
    """One level above the case's current level (grid → community → street → department →
    city 12345), skipping levels the place lacks; None at the top."""
    try:
        start = LEVEL_ORDER.index(case.level) + 1
    except ValueError:
        start = 0
    for candidate in LEVEL_ORDER[start:]:
        target = target_at(case, candidate, cache)
        if target is not None:
            return target
    return None


_LEVEL_ROLES: dict[str, Role] = {
    Level.GRID: Role.GRID_WORKER,
    Level.COMMUNITY: Role.COMMUNITY_STAFF,
    Level.STREET: Role.STREET_STAFF,
    Level.CITY: Role.CITY_STAFF,
}


def unit_user_ids(case: Case, cache: dict | None = None) -> list[int]:
    """Who should hear about the case at its current unit: the assignee, else the unit's
    staff who hold their role today (department handlers, or the level's role on the handling
    area; RoleAssignment.objects.current is the one rule for who holds a role)."""
    if case.assignee_id:
        return [case.assignee_id]
    key = (case.level, case.handling_area_id, case.handling_department_id)
    if cache is not None and key in cache:
        return cache[key]
    qs: QuerySet[RoleAssignment] = RoleAssignment.objects.none()
    if case.handling_department_id:
        qs = RoleAssignment.objects.current().filter(
            role=Role.DEPARTMENT_HANDLER, department_id=case.handling_department_id
        )
    elif case.handling_area_id and case.level in _LEVEL_ROLES:
        qs = RoleAssignment.objects.current().filter(
            role=_LEVEL_ROLES[case.level], area_id=case.handling_area_id
        )
    ids = sorted(set(qs.values_list("user_id", flat=True)))
    if cache is not None:
        cache[key] = ids
    return ids
