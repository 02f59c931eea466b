"""Notification and NotificationOutbox now belong to the notifications app (its 0001 took
them over, tables and rows included): services lets go of them in its state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0011_intake_channels"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="NotificationOutbox"),
            ],
            database_operations=[],
        )
    ]
