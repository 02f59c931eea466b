"""The move of the inbox out of services keeps every row: the database is taken back to before
notifications existed, filled as services and centres left it (inbox rows, outbox rows still
pending, centres' own notices), and migrated forward."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("services", "0011_intake_channels"),
    ("centres", "0007_affairitem_area"),
    ("notifications", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    nodes = [(app, name) for app, name in targets if name is not None]
    return MigrationExecutor(connection).loader.project_state(nodes).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_survive_the_move(transactional_desk):
    desk = transactional_desk
    case = desk.file()
    worker, resident = desk.user("grid_a"), desk.user("resident_a")
    try:
        old = _migrate(BEFORE)
        Outbox = old.get_model("services", "NotificationOutbox")
        Inbox = old.get_model("services", "Notification")
        Notice = old.get_model("centres", "Notice")
        now = timezone.now()

        def outbox(channel, status, user):
            return Outbox.objects.create(
                channel=channel,
                recipient_id=user.pk,
                case_id=case.pk,
                kind="assigned",
                title="您有新工单",
                status=status,
                created_at=now,
            )

        delivered = outbox("inbox", "sent", worker)
        Inbox.objects.create(
            recipient_id=worker.pk, case_id=case.pk, title="已送达", outbox=delivered
        )
        outbox("inbox", "pending", resident)  # its delivery message never ran
        outbox("sms", "pending", worker)
        Notice.objects.create(recipient_id=resident.pk, kind="promoted", title="候补转正")
        Notice.objects.create(recipient_id=resident.pk, kind="reminder", title="明天", read_at=now)
    finally:
        new = _migrate(_latest())
    Notification = new.get_model("notifications", "Notification")
    NotificationOutbox = new.get_model("notifications", "NotificationOutbox")
    rows = {
        (n.recipient_id, n.kind, n.title, n.link, n.read_at is not None)
        for n in Notification.objects.all()
    }
    assert rows == {
        (worker.pk, "assigned", "已送达", f"/desk/c/{case.number}/", False),
        (resident.pk, "assigned", "您有新工单", f"/cases/c/{case.number}/", False),
        (resident.pk, "promoted", "候补转正", "", False),
        (resident.pk, "reminder", "明天", "", True),
    }
    # The waiting inbox row is done; the SMS still waits for its delivery.
    statuses = dict(NotificationOutbox.objects.values_list("channel", "status").distinct())
    assert statuses == {"inbox": "sent", "sms": "pending"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM django_content_type WHERE app_label = 'services'"
            " AND model LIKE 'notification%%'"
        )
        assert cursor.fetchone() == (0,)
