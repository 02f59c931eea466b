"""End to end with a real Celery worker process on Redis: submit → dispatch → escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from services import tasks
from services.models import Case, CaseEvent
from tests.conftest import wait_until


@pytest.mark.worker
def test_submit_dispatch_and_escalate_with_a_real_worker(celery_worker_process, transactional_desk):
    desk = transactional_desk
    case = desk.file()  # the dispatch task is sent on commit to the worker's queue

    def dispatched():
        return Case.objects.filter(pk=case.pk, state="dispatched").first()

    case = wait_until(dispatched, timeout=60)
    assert case.assignee == desk.user("grid_a") and case.level == "grid"
    wait_until(
        lambda: Notification.objects.filter(recipient=desk.user("grid_a"), case=case).exists()
    )

    # The sign-for clock runs out (moved into the past, as time would move it).
    past = timezone.now() - timedelta(minutes=5)
    Case.objects.filter(pk=case.pk).update(
        sign_warn_at=past - timedelta(hours=1),
        sign_due=past,
        next_check_at=past - timedelta(hours=1),
    )
    tasks.sweep_deadlines.delay()
    tasks.sweep_deadlines.delay()  # a duplicate message must not escalate twice

    def escalated():
        return Case.objects.filter(pk=case.pk, level="community").first()

    case = wait_until(escalated, timeout=60)
    assert case.handling_area == desk.t.a.community and case.card_level == 2
    wait_until(
        lambda: Notification.objects.filter(recipient=desk.user("community_a"), case=case).exists()
    )
    # Let the second sweep message run, then check the escalation happened once.
    tasks.sweep_deadlines.delay()
    wait_until(
        lambda: (
            "succeeded" in celery_worker_process.output()
            and celery_worker_process.output().count("sweep_deadlines") >= 6
        )
    )
    assert CaseEvent.objects.filter(case=case, action="escalate").count() == 1
    assert Case.objects.get(pk=case.pk).escalation_level == 1
