"""The desk's live counts: every tile of the home page in one query.

Each tile is a rule of services.desk.filters (the same Q the list's filter applies), counted
with `COUNT(*) FILTER (WHERE …)` over the viewer's cases that still need work
(`ACTIVE_STATES`). PostgreSQL reads those rows once, from the partial covering index
`services_case_desk` (place path, with the columns the rules read): for a district of a
1,000,000-case city about 25,000 index entries and no table rows, so the counts are live.

The whole city is another matter: about 300,000 active cases, half a second to count. For a
scope that covers the city (city staff, superusers) the counts are kept two minutes
(CITY_TTL) in the shared cache, and the page says when they were counted."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import urlencode

from grids.models.roles import Role
from services.desk.filters import ACTIVE_STATES, RULES, TILES, Viewer, rule_param
from services.models import Case

CITY_TTL = 120  # seconds a city-wide scope's counts are kept


@dataclass(frozen=True)
class Tile:
    key: str
    label: Promise
    hint: Promise
    count: int
    url: str
    urgent: bool

    @property
    def warn(self) -> bool:
        return self.urgent and self.count > 0


def tile_url(key: str) -> str:
    """The list a tile opens: its rule as the list's filter, nearest deadline first where
    the rule is about deadlines."""
    params = {rule_param(key): key}
    if rule_param(key) == "band":
        params["sort"] = "deadline"
    return f"{reverse('desk:cases')}?{urlencode(params)}"


def tiles_for(viewer: Viewer) -> list[str]:
    """The tiles this viewer's roles make sense of (a district has no unit to sign for,
    a department dispatches nothing)."""
    return [key for key in TILES if RULES[key].shown(viewer.scope)]


@dataclass(frozen=True)
class Counts:
    tiles: list[Tile]
    as_of: datetime
    cached: bool  # counted earlier (a city-wide scope) rather than for this page


def _count(user, viewer: Viewer, keys: list[str]) -> dict[str, int]:
    aggregates = {key: Count("pk", filter=RULES[key].q(viewer)) for key in keys}
    row = (
        Case.objects.visible_to(user)
        .filter(Q(state__in=ACTIVE_STATES))
        .order_by()
        .aggregate(**aggregates)
    )
    return {key: row[key] or 0 for key in keys}


def counts(user, viewer: Viewer | None = None) -> Counts:
    """The viewer's tiles with their counts, in one query (or from the cache, city-wide)."""
    viewer = viewer or Viewer.of(user)
    keys = tiles_for(viewer)
    as_of, cached = viewer.now, False
    if not keys:
        numbers: dict[str, int] = {}
    elif viewer.scope.has_role(Role.CITY_STAFF):
        scope = viewer.scope
        # The user's join time too: a database restored or rebuilt (tests) reuses user ids.
        who = (user.pk, str(getattr(user, "date_joined", "")), sorted(scope.roles))
        key = "desk:counts:" + hashlib.sha1(repr((who, scope.area_paths)).encode()).hexdigest()
        entry = cache.get(key)
        if entry is None:
            entry = (viewer.now, _count(user, viewer, keys))
            cache.set(key, entry, CITY_TTL)
        else:
            cached = True
        as_of, numbers = entry
    else:
        numbers = _count(user, viewer, keys)
    tiles = [
        Tile(
            key=key,
            label=RULES[key].label,
            hint=RULES[key].hint,
            count=numbers.get(key, 0),
            url=tile_url(key),
            urgent=RULES[key].urgent,
        )
        for key in keys
    ]
    return Counts(tiles, as_of, cached)
