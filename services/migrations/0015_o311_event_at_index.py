"""An index on CaseEvent(at, id) for Open311's servicerequestupdates feed (steps in a time
window, oldest first). Built CONCURRENTLY: case events are the busiest table, and a plain
CREATE INDEX would block every step being written while it builds."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("services", "0014_case_tracking_code"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="caseevent",
            index=models.Index(fields=["at", "id"], name="services_event_at"),
        ),
    ]
