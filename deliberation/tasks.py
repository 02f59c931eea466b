"""Periodic deliberation work (portal/beat.py). Both tasks are idempotent: the database says
what is due, and each operation refuses to do its work twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from deliberation import actions
from deliberation.models import Matter, Status

logger = logging.getLogger(__name__)


@shared_task
def close_due_votes() -> int:
    """Close and tally every vote past its closing time."""
    now = timezone.now()
    closed = 0
    due = Matter.objects.filter(status=Status.VOTING, vote_closes_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in list(due):
        try:
            actions.close_vote(pk, now=now)
            closed += 1
        except ValidationError:
            continue  # closed meanwhile by staff
    return closed


@shared_task
def propose_from_cases() -> int:
    """Repeated cases on one place and category → proposed matters."""
    made = actions.propose_from_cases()
    if made:
        logger.info("deliberation: %s matters proposed from cases", len(made))
    return len(made)
