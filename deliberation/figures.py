"""Deliberation figures of the dashboard (一屏观), in one aggregate query: for the matters in
an area's subtree that the viewer may see, and a period [start, end):

- raised: matters raised in the period;
- open: matters still moving now (gathering co-signers … being carried out);
- decided / passed: votes counted in the period, and those passed;
- done: matters carried out in the period;
- turnout: voters / eligible over the votes counted in the period (None without votes).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, IntegerField, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from deliberation.models import OPEN_STATUSES, Matter, Outcome


def figures(user, area, start: datetime, end: datetime) -> dict:
    decided = Q(decided_at__gte=start, decided_at__lt=end)
    row = (
        Matter.objects.visible_to(user)
        .filter(area__path__startswith=area.path)
        .aggregate(
            raised=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            decided=Count("pk", filter=decided),
            passed=Count("pk", filter=decided & Q(outcome=Outcome.PASSED)),
            done=Count("pk", filter=Q(done_at__gte=start, done_at__lt=end)),
            eligible=Sum("eligible_count", filter=decided),
            voters=Sum(Cast(KT("tally__voters"), IntegerField()), filter=decided),
        )
    )
    counted, eligible = row.pop("voters") or 0, row.pop("eligible") or 0
    row["turnout"] = counted / eligible if eligible else None
    return row
