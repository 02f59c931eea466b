"""The inbox becomes everyone's: the tables take notifications' names, inbox rows get a kind
and a link (the page they are about), the outbox a link and a not-before time (quiet hours),
and people get preferences.

Rows are kept. An inbox row takes its kind from the outbox row it was delivered from, and a
case's link (the desk's case page for staff, the phone page for residents). Inbox messages
still waiting in the outbox are written to the inbox now (the inbox no longer goes through
the outbox). The content types follow the models, so permissions and admin history stay
attached, and the beat entry of the old flush task is dropped (portal/beat.py names the new
one)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.urls import NoReverseMatch, reverse

import notifications.models


def _prefix(name: str) -> tuple[str, str] | None:
    try:
        url = reverse(name, args=["__n__"])
    except NoReverseMatch:
        return None
    head, tail = url.split("__n__")
    return head, tail


def keep_rows(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        # Foreign keys checked per statement: the table is altered again in this transaction,
        # which PostgreSQL refuses while checks of inserted rows are still pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Inbox messages still waiting in the outbox: into the inbox, once.
        cursor.execute(
            """
            INSERT INTO notifications_notification
                (recipient_id, case_id, title, body, created_at, outbox_id, kind, link)
            SELECT o.recipient_id, o.case_id, o.title, o.body, o.created_at, o.id, o.kind, ''
            FROM notifications_notificationoutbox o
            WHERE o.channel = 'inbox' AND o.status = 'pending' AND o.recipient_id IS NOT NULL
              AND NOT EXISTS (
                  SELECT 1 FROM notifications_notification n WHERE n.outbox_id = o.id
              )
            """
        )
        cursor.execute(
            """
            UPDATE notifications_notificationoutbox SET status = 'sent', sent_at = now()
            WHERE channel = 'inbox' AND status = 'pending'
            """
        )
        cursor.execute(
            """
            UPDATE notifications_notification n SET kind = o.kind
            FROM notifications_notificationoutbox o
            WHERE n.outbox_id = o.id AND n.kind = ''
            """
        )
        staff, resident = _prefix("desk:case"), _prefix("services:case")
        if staff and resident:
            cursor.execute(
                """
                UPDATE notifications_notification n
                SET link = CASE WHEN u.is_staff THEN %s || c.number || %s
                                ELSE %s || c.number || %s END
                FROM services_case c, portal_user u
                WHERE n.case_id = c.id AND n.recipient_id = u.id AND n.link = ''
                """,
                [*staff, *resident],
            )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def follow_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("notification", "notificationoutbox"):
        if not ContentType.objects.filter(app_label="notifications", model=model).exists():
            ContentType.objects.filter(app_label="services", model=model).update(
                app_label="notifications"
            )
    connection = schema_editor.connection
    if "django_celery_beat_periodictask" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM django_celery_beat_periodictask WHERE task = %s",
                ["services.tasks.flush_outbox"],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("services", "0012_notifications_move_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelTable(name="notification", table=None),
        migrations.AlterModelTable(name="notificationoutbox", table=None),
        migrations.RemoveIndex(model_name="notification", name="services_notif_unread"),
        migrations.RenameIndex(
            model_name="notificationoutbox",
            new_name="notifications_outbox_pending",
            old_name="services_outbox_pending",
        ),
        migrations.AddField(
            model_name="notification",
            name="kind",
            field=models.CharField(default="", max_length=24, verbose_name="kind"),
        ),
        migrations.AddField(
            model_name="notification",
            name="link",
            field=models.CharField(blank=True, default="", max_length=300, verbose_name="link"),
        ),
        migrations.AddField(
            model_name="notificationoutbox",
            name="link",
            field=models.CharField(blank=True, default="", max_length=300, verbose_name="link"),
        ),
        migrations.AddField(
            model_name="notificationoutbox",
            name="not_before",
            field=models.DateTimeField(blank=True, null=True, verbose_name="not before"),
        ),
        migrations.RunPython(keep_rows, migrations.RunPython.noop),
        migrations.RemoveField(model_name="notification", name="outbox"),
        migrations.AlterModelOptions(
            name="notification",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "notification",
                "verbose_name_plural": "notifications",
            },
        ),
        migrations.AlterField(
            model_name="notification",
            name="body",
            field=models.TextField(blank=True, default="", verbose_name="message"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="case",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="services.case",
                verbose_name="case",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="sent at"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="recipient",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to=settings.AUTH_USER_MODEL,
                verbose_name="recipient",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="title",
            field=models.CharField(max_length=200, verbose_name="title"),
        ),
        migrations.AlterField(
            model_name="notificationoutbox",
            name="title",
            field=models.CharField(max_length=200, verbose_name="title"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(fields=["recipient", "-created_at"], name="notifications_inbox"),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("read_at__isnull", True)),
                fields=["recipient", "-created_at"],
                name="notifications_unread",
            ),
        ),
        migrations.CreateModel(
            name="NotificationPreference",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="notification_preference",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
                ("channels", models.JSONField(blank=True, default=dict, verbose_name="channels")),
                ("quiet_hours", models.BooleanField(default=True, verbose_name="quiet hours")),
                (
                    "quiet_start",
                    models.TimeField(
                        default=notifications.models._default_quiet_start,
                        verbose_name="quiet from",
                    ),
                ),
                (
                    "quiet_end",
                    models.TimeField(
                        default=notifications.models._default_quiet_end,
                        verbose_name="quiet until",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={
                "verbose_name": "notification preference",
                "verbose_name_plural": "notification preferences",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("quiet_hours", True),
                            ("quiet_start", models.F("quiet_end")),
                            _negated=True,
                        ),
                        name="notifications_quiet_hours_not_empty",
                        violation_error_message=(
                            "Quiet hours must start and end at different times."
                        ),
                    )
                ],
            },
        ),
        migrations.RunPython(follow_content_types, migrations.RunPython.noop),
    ]
