"""The inbox and the outbox move from services to notifications with their rows: this
migration only takes the two models over in Django's state, as they were in services (tables
services_notification and services_notificationoutbox, which exist already on an existing
database and were created by services 0001 on a fresh one). 0002 renames the tables and
changes them; services 0009 lets go of the models."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("services", "0008_routing_level_label"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name="NotificationOutbox",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("channel", models.CharField(max_length=12, verbose_name="channel")),
                ("address", models.CharField(blank=True, max_length=200, verbose_name="address")),
                ("kind", models.CharField(max_length=24, verbose_name="kind")),
                ("title", models.CharField(max_length=120, verbose_name="title")),
                ("body", models.TextField(blank=True, verbose_name="message")),
                ("status", models.CharField(choices=[("pending", "pending"), ("sent", "sent"), ("failed", "failed")], default="pending", max_length=8, verbose_name="status")),
                ("attempts", models.PositiveSmallIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("case", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="outbox", to="services.case")),
                ("recipient", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "outgoing notification",
                "verbose_name_plural": "outgoing notifications",
                "db_table": "services_notificationoutbox",
                "indexes": [models.Index(condition=models.Q(("status", "pending")), fields=["created_at"], name="services_outbox_pending")],
            },
        ),
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=120, verbose_name="title")),
                ("body", models.TextField(blank=True, verbose_name="message")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("read_at", models.DateTimeField(blank=True, null=True, verbose_name="read at")),
                ("case", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="services.case")),
                ("recipient", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to=settings.AUTH_USER_MODEL)),
                ("outbox", models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="inbox_message", to="notifications.notificationoutbox")),
            ],
            options={
                "verbose_name": "notification",
                "verbose_name_plural": "notifications",
                "ordering": ["-created_at"],
                "db_table": "services_notification",
                "indexes": [models.Index(fields=["recipient", "read_at"], name="services_notif_unread")],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])
    ]
