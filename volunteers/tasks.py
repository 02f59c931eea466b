"""Celery tasks of the time bank. The database is the source of truth: every task re-reads
the stored state, so running one twice (beat overlap, a redelivered message) does nothing
twice — order transitions lock their row and points carry idempotency keys."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from volunteers import actions, ledger
from volunteers.checks import check_ledger
from volunteers.models import Account, AccountKind, PointsPolicy

logger = logging.getLogger("volunteers.tasks")


@shared_task(acks_late=True)
def flag_untaken_orders() -> int:
    """Flag open orders nobody has taken in time, for staff (beat, every 10 minutes)."""
    flagged = actions.flag_untaken()
    if flagged:
        logger.info("flagged %s untaken orders", flagged)
    return flagged


@shared_task(acks_late=True)
def auto_confirm_orders() -> int:
    """Confirm served orders left unrated for the community's N days (beat, hourly)."""
    return actions.auto_confirm_due()


@shared_task(acks_late=True)
def expire_points() -> int:
    """Move expired lots to the expired accounts, only in communities that turned expiry on
    (off by default). Keys are per account and day, so a rerun is harmless (beat, daily)."""
    communities = PointsPolicy.objects.filter(expiry_days__isnull=False).values("community_id")
    today = timezone.localdate()
    moved = 0
    for account in Account.objects.filter(kind=AccountKind.MEMBER, community__in=communities):
        if ledger.expire(account, today):
            moved += 1
    return moved


@shared_task(acks_late=True)
def nightly_ledger_check() -> dict:
    """Recompute every balance from the entries; drift is logged as an error (beat, daily)."""
    report = check_ledger()
    if not report.clean:
        logger.error(
            "points ledger drift: %s balances, %s unbalanced transactions",
            len(report.drift),
            len(report.unbalanced),
        )
    return {"accounts": report.accounts, "drift": len(report.drift)}
