"""Mediation figures per community (the dashboard's panel and the desk list's header): for the
communities under an area and a period [start, end):

- disputes: taken in during the period;
- settled / referred: closed that way during the period;
- settled share: settled ÷ (settled + referred) closed in the period (withdrawn left out);
- days to settle: the mean of (settled_at − created_at) in days, of those settled in the period;
- open: not closed now.

One aggregate query grouped by community, limited to the viewer's scope.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

from grids.models import Area
from mediation.choices import OPEN_STATUSES, Status
from mediation.models import Dispute


def per_community(user, area: Area | None, start: datetime, end: datetime) -> list[dict]:
    """One row per community with disputes in the viewer's scope (under `area` if given)."""
    qs = Dispute.objects.visible_to(user)
    if area is not None:
        qs = qs.filter(community__path__startswith=area.path)
    settled_q = Q(status=Status.SETTLED, settled_at__gte=start, settled_at__lt=end)
    referred_q = Q(status=Status.REFERRED, closed_at__gte=start, closed_at__lt=end)
    rows = (
        qs.values("community_id", "community__name")
        .annotate(
            disputes=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
            settled=Count("pk", filter=settled_q),
            referred=Count("pk", filter=referred_q),
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            to_settle=Avg(
                ExpressionWrapper(F("settled_at") - F("created_at"), output_field=DurationField()),
                filter=settled_q,
            ),
        )
        .order_by("community__name")
    )
    out = []
    for r in rows:
        closed = r["settled"] + r["referred"]
        out.append(
            {
                "community": r["community_id"],
                "name": r["community__name"],
                "disputes": r["disputes"],
                "settled": r["settled"],
                "referred": r["referred"],
                "open": r["open"],
                "settled_share": round(r["settled"] / closed, 3) if closed else None,
                "days_to_settle": (
                    round(r["to_settle"].total_seconds() / 86400, 1) if r["to_settle"] else None
                ),
            }
        )
    return out


def totals(rows: list[dict]) -> dict:
    """The rows summed (the days weighted by the settled counts)."""
    settled = sum(r["settled"] for r in rows)
    referred = sum(r["referred"] for r in rows)
    weighted = sum((r["days_to_settle"] or 0) * r["settled"] for r in rows)
    return {
        "disputes": sum(r["disputes"] for r in rows),
        "settled": settled,
        "referred": referred,
        "open": sum(r["open"] for r in rows),
        "settled_share": round(settled / (settled + referred), 3) if settled + referred else None,
        "days_to_settle": round(weighted / settled, 1) if settled else None,
    }


def figures(user, area: Area, start: datetime, end: datetime) -> dict:
    """The dashboard's panel: totals and the per-community rows."""
    rows = per_community(user, area, start, end)
    return {"totals": totals(rows), "communities": rows}
