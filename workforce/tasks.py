"""Celery tasks of the workforce: the yearly promotion round, proposed by beat."""

from __future__ import annotations

import logging
from datetime import date

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from grids.models import Area
from workforce import actions
from workforce.models import Ladder

logger = logging.getLogger("workforce.tasks")


def propose_on(year: int) -> date:
    """The day of `year` from which the round of that year is proposed
    (LINLI_WORKFORCE_PROPOSE_ON, "MM-DD")."""
    month, day = (int(part) for part in settings.LINLI_WORKFORCE_PROPOSE_ON.split("-"))
    return date(year, month, day)


@shared_task(acks_late=True)
def propose_yearly_promotions(today: str | None = None) -> dict[str, int]:
    """Run daily by beat. Once the configured day of the year has passed, propose the year's
    promotions (the grades from 1 January next) for every street of every city with a ladder,
    through actions.propose_promotions. Idempotent: a worker with a proposal for the year keeps
    it, so running again proposes only for workers newly due (an assessment recorded since);
    before the day, nothing. Returns {street code or name: new proposals}. `today` (ISO) is for
    tests and catching up by hand."""
    on = date.fromisoformat(today) if today else timezone.localdate()
    if on < propose_on(on.year):
        return {}
    made: dict[str, int] = {}
    for ladder in Ladder.objects.select_related("city"):
        streets = Area.objects.filter(kind="street", path__startswith=ladder.city.path)
        for street in streets.order_by("path"):
            try:
                new = actions.propose_promotions(street, on.year)
            except ValidationError:
                logger.exception("promotions for %s not proposed", street.pk)
                continue
            if new:
                made[street.code or street.name] = len(new)
    if made:
        logger.info("proposed %s promotions for %s", sum(made.values()), on.year)
    return made
