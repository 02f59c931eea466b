"""The outboxes drop what they delivered after LINLI_OUTBOX_KEEP_DAYS: sent rows older than
that go (in batches); pending and failed rows stay whatever their age; 0 keeps everything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import tasks as notification_tasks
from notifications.models import NotificationOutbox
from services import tasks
from services.models import CityOutbox


@pytest.mark.parametrize("keep", [30, 0])
def test_sent_rows_past_the_keep_days_are_pruned(desk, settings, keep):
    settings.LINLI_OUTBOX_KEEP_DAYS = keep
    case = desk.file()
    now = timezone.now()
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    for status, sent_at in (("sent", old), ("sent", old), ("sent", recent), ("pending", None)):
        CityOutbox.objects.create(
            case=case, kind="status", next_attempt_at=old, status=status, sent_at=sent_at
        )
        NotificationOutbox.objects.create(
            channel="sms", kind="case_status", title="t", status=status, sent_at=sent_at
        )
    CityOutbox.objects.create(case=case, kind="status", next_attempt_at=old, status="failed")
    NotificationOutbox.objects.create(channel="sms", kind="x", title="t", status="failed")
    city_before = CityOutbox.objects.count()
    outbox_before = NotificationOutbox.objects.count()

    assert tasks.prune_city_outbox() == (2 if keep else 0)
    assert notification_tasks.prune_outbox() == (2 if keep else 0)
    assert CityOutbox.objects.count() == city_before - (2 if keep else 0)
    assert NotificationOutbox.objects.count() == outbox_before - (2 if keep else 0)
    assert not CityOutbox.objects.filter(sent_at__lt=now - timedelta(days=30)).exists() or not keep


def test_pruning_goes_in_batches(desk):
    from services import actions

    case = desk.file()
    old = timezone.now() - timedelta(days=100)
    for _ in range(5):
        CityOutbox.objects.create(
            case=case, kind="status", next_attempt_at=old, status="sent", sent_at=old
        )
    assert actions.prune_city_outbox(old + timedelta(seconds=1), batch=2) == 5
