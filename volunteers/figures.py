"""Time-bank and 双报到 figures of the dashboard (一屏观), by SQL aggregates.

For the communities under an area and a period [start, end):

- volunteers: active volunteers registered in the communities (now);
- hours served: hours credited on orders settled (福分 awarded) in the period;
- 福分 earned: points paid to members' accounts by awards for service in the period;
- 福分 spent: points that left members' accounts by redemptions in the period;
- 双报到: party members whose report to the community is confirmed (now), and their claims of
  service posts made in the period;
- micro-wishes fulfilled in the period.

Points are stored in 1/100 point (LedgerEntry.amount); the figures are in points.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Q, Sum

from volunteers.models import (
    LedgerEntry,
    MicroWish,
    PartyReport,
    PostClaim,
    ServiceOrder,
    Volunteer,
)
from volunteers.models.ledger import AccountKind, TxKind
from volunteers.models.orders import OrderStatus
from volunteers.models.people import ReportStatus, VolunteerStatus


def figures(user, area, start: datetime, end: datetime) -> dict:
    """Six aggregate queries, each limited to the viewer's scope and `area`'s subtree."""
    under = area.path
    volunteers = (
        Volunteer.objects.visible_to(user)
        .filter(community__path__startswith=under, status=VolunteerStatus.ACTIVE)
        .count()
    )
    hours = ServiceOrder.objects.visible_to(user).filter(
        community__path__startswith=under,
        status=OrderStatus.SETTLED,
        settled_at__gte=start,
        settled_at__lt=end,
    ).aggregate(h=Sum("hours"))["h"] or Decimal(0)
    points = (
        LedgerEntry.objects.visible_to(user)
        .filter(
            account__community__path__startswith=under,
            account__kind=AccountKind.MEMBER,
            # The entry's copy of its transaction's time and kind (written by the database on
            # insert, volunteers/sql/entry_figures.sql): no join to 200,000 transactions at a
            # district, the (account, occurred_at) index covers the sum.
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .aggregate(
            earned=Sum("amount", filter=Q(tx_kind=TxKind.AWARD, amount__gt=0)),
            spent=Sum("amount", filter=Q(tx_kind=TxKind.REDEEM, amount__lt=0)),
        )
    )
    reports = (
        PartyReport.objects.visible_to(user)
        .filter(community__path__startswith=under, status=ReportStatus.CONFIRMED)
        .count()
    )
    claims = (
        PostClaim.objects.visible_to(user)
        .filter(post__community__path__startswith=under, created_at__gte=start, created_at__lt=end)
        .count()
    )
    wishes = (
        MicroWish.objects.visible_to(user)
        .filter(community__path__startswith=under, fulfilled_at__gte=start, fulfilled_at__lt=end)
        .count()
    )
    return {
        "volunteers": volunteers,
        "hours": float(hours),
        "points_earned": (points["earned"] or 0) / 100,
        "points_spent": -(points["spent"] or 0) / 100,
        "party_reports": reports,
        "post_claims": claims,
        "wishes_fulfilled": wishes,
    }
