"""The admin side of the phone features: the patrol log by scope, the city outbox for the
superuser (failed events can be queued again)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from services import actions
from services.models import CityOutbox, PatrolLog


def test_patrol_log_is_scoped(client, desk, django_assert_max_num_queries):
    worker = desk.user("grid_a")
    for i in range(3):
        actions.log_patrol(actor=worker, seen=f"巡查{i}", place=desk.t.a.buildings[0])
    actions.log_patrol(actor=desk.user("grid_b"), seen="乙侧巡查", place=desk.t.b.buildings[0])
    client.force_login(desk.user("community_a"))
    with django_assert_max_num_queries(12):
        body = client.get("/admin/services/patrollog/").content.decode()
    assert "巡查0" in body and "乙侧巡查" not in body
    theirs = PatrolLog.objects.get(seen="乙侧巡查")
    assert client.get(f"/admin/services/patrollog/{theirs.pk}/change/").status_code == 404


def test_city_outbox_requeue_for_the_superuser_only(client, desk):
    case = desk.file()
    row = CityOutbox.objects.create(
        case=case, kind="collected", payload={}, status="failed", next_attempt_at=timezone.now()
    )
    client.force_login(desk.user("community_a"))
    assert client.get("/admin/services/cityoutbox/").status_code == 403
    client.force_login(desk.user("superuser"))
    assert client.get("/admin/services/cityoutbox/").status_code == 200
    r = client.post(
        "/admin/services/cityoutbox/",
        {"action": "requeue", "_selected_action": [row.pk]},
    )
    assert r.status_code == 302
    row.refresh_from_db()
    assert row.status == "pending"


def test_requeue_city_events_is_the_superusers_and_leaves_sent_events(desk):
    case = desk.file()
    now = timezone.now()
    failed, sent = (
        CityOutbox.objects.create(
            case=case, kind=kind, payload={}, status=status, next_attempt_at=now, sent_at=sent_at
        )
        for kind, status, sent_at in (("collected", "failed", None), ("dispatch", "sent", now))
    )
    with pytest.raises(ValidationError):
        actions.requeue_city_events([failed.pk], actor=desk.user("community_a"))
    assert actions.requeue_city_events([failed.pk, sent.pk], actor=desk.user("superuser")) == 1
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, sent.status) == ("pending", "sent")
