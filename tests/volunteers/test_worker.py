"""Tasks through a real Celery worker: untaken orders flagged, 评单 auto-confirmed and paid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from tests.conftest import wait_until
from tests.volunteers.conftest import make_volunteer, place, serve
from volunteers import tasks
from volunteers.models import AccountBalance, OrderStatus, ServiceOrder

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_flags_untaken_and_auto_confirms(transactional_territory, celery_worker_process):
    t = transactional_territory
    helper = make_volunteer(t.user("grid_a"), t.a.community)
    stale = place(t)
    fresh = place(t)
    ServiceOrder.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=2))
    served = serve(place(t), helper.user, minutes=45)
    ServiceOrder.objects.filter(pk=served.pk).update(
        checked_in_at=F("checked_in_at") - timedelta(days=4),
        checked_out_at=F("checked_out_at") - timedelta(days=4),
    )

    tasks.flag_untaken_orders.delay()
    tasks.auto_confirm_orders.delay()
    tasks.auto_confirm_orders.delay()  # twice: pays once

    wait_until(lambda: ServiceOrder.objects.get(pk=stale.pk).flagged_at is not None)
    settled = wait_until(
        lambda: ServiceOrder.objects.filter(pk=served.pk, status=OrderStatus.SETTLED).first()
    )
    assert settled.auto_confirmed and settled.hours == 0.75
    assert ServiceOrder.objects.get(pk=fresh.pk).flagged_at is None
    wait_until(lambda: "auto_confirm_orders" in celery_worker_process.output())
    assert AccountBalance.objects.get(account__owner=helper.user).balance == 75
