"""Celery tasks of notifications: delivering outbox rows, and the flush that picks up rows
whose message was lost or which waited for the end of quiet hours.

The database is the source of truth: tasks take ids, each row is delivered under its row lock
and only while pending (notifications.actions.deliver), so a task run twice, a lost message
or a killed worker never sends a message twice or loses one."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from notifications import actions
from notifications.models import NotificationOutbox, OutboxStatus


@shared_task(acks_late=True)
def deliver_notifications(outbox_ids: list[int]) -> int:
    """Deliver pending outbox rows; a failing channel is retried per row with backoff."""
    return sum(actions.deliver(pk) == "sent" for pk in outbox_ids)


@shared_task(acks_late=True)
def deliver_notification(outbox_id: int) -> int:
    """The retry of one row (backoff: 10 s, 20 s, 40 s … up to an hour)."""
    return deliver_notifications([outbox_id])


@shared_task(acks_late=True)
def flush_outbox(older_than_seconds: int = 120, limit: int = 2000) -> int:
    """Every two minutes (portal/beat.py): deliver rows whose delivery message was lost
    (broker restart, worker killed), and rows held for quiet hours that have now ended."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    ids = list(
        NotificationOutbox.objects.filter(status=OutboxStatus.PENDING, created_at__lte=cutoff)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return deliver_notifications(ids) if ids else 0
