"""The desk's live counts: every tile of the home page in one query.

Each tile is a rule of services.desk.filters (the same Q the list's filter applies), counted
with `COUNT(*) FILTER (WHERE …)` over the viewer's cases that still need work
(`ACTIVE_STATES`). PostgreSQL reads those rows once, from the partial covering index
`services_case_desk` (place path, with the columns the rules read): for a district of a
1,000,000-case city about 25,000 index entries and no table rows. Nothing is cached: the
numbers are as of the page load."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import urlencode

from services.desk.filters import ACTIVE_STATES, RULES, TILES, Viewer, rule_param
from services.models import Case


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


def counts(user, viewer: Viewer | None = None) -> list[Tile]:
    """The viewer's tiles with their counts, in one query."""
    viewer = viewer or Viewer.of(user)
    keys = tiles_for(viewer)
    if not keys:
        return []
    aggregates = {key: Count("pk", filter=RULES[key].q(viewer)) for key in keys}
    row = (
        Case.objects.visible_to(user)
        .filter(Q(state__in=ACTIVE_STATES))
        .order_by()
        .aggregate(**aggregates)
    )
    return [
        Tile(
            key=key,
            label=RULES[key].label,
            hint=RULES[key].hint,
            count=row[key] or 0,
            url=tile_url(key),
            urgent=RULES[key].urgent,
        )
        for key in keys
    ]
