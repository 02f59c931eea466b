"""Grid workers' rounds (每日巡): one entry per stop, in the worker's own grids only."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import Area
from grids.scope import scope_for
from services import routing
from services.actions.core import _now
from services.models import Case, PatrolLog


@transaction.atomic
def log_patrol(
    *,
    actor,
    seen: str,
    place: Area | None = None,
    grid: Area | None = None,
    all_well: bool = True,
    case: Case | None = None,
    lat: float | None = None,
    lng: float | None = None,
) -> PatrolLog:
    """Record a stop of the round: where (a place in the worker's area, or their grid), what
    was seen, and the case raised there if any."""
    scope = scope_for(actor)
    errors = {}
    if not (seen or "").strip():
        errors["seen"] = [_("Write what you saw.")]
    where = place or grid
    if where is None:
        errors["place"] = [_("Choose where you are.")]
    elif not scope.covers_area(where):
        errors["place"] = [_("This place is outside your area.")]
    if errors:
        raise ValidationError(errors)
    assert where is not None  # else errors["place"] was raised above
    return PatrolLog.objects.create(
        worker=actor,
        grid=routing.grid_of(where) or where,
        place=place,
        at=_now(),
        seen=seen.strip(),
        all_well=all_well,
        case=case,
        lat=lat,
        lng=lng,
    )
