"""The dashboard's survey figures for an area's subtree and month: surveys open now and the
answers received in the month, by channel (two queries)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from surveys.models import Channel, Kind, Response, Round


def for_area(user, area, start: datetime, end: datetime, now: datetime | None = None) -> dict:
    """Questionnaires of the user's scope under `area` (general surveys and activity
    follow-ups; the order ratings are the centres panel's 满意度)."""
    now = now or timezone.now()
    rounds = Round.objects.visible_to(user).filter(
        questionnaire__area__path__startswith=area.path,
        questionnaire__kind__in=[Kind.GENERAL, Kind.ACTIVITY],
    )
    open_now = (
        rounds.filter(opens_at__lte=now)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .count()
    )
    by_channel = dict(
        Response.objects.filter(
            round__in=rounds.values("pk"), created_at__gte=start, created_at__lt=end
        )
        .values("channel")
        .annotate(n=Count("pk"))
        .values_list("channel", "n")
    )
    labels = dict(Channel.choices)
    return {
        "open": open_now,
        "responses": sum(by_channel.values()),
        "channels": [
            {"channel": str(labels[c]), "n": by_channel[c]}
            for c in Channel.values
            if c in by_channel
        ],
    }
