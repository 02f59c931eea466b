# The dashboard's map reads a district's open cases with coordinates, newest first: every
# column it shows is in this index, so the read touches no heap. Built concurrently.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("services", "0019_caseevent_partitioned"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("state__in", ["dispatched", "signed", "in_progress"]),
                    ("lat__isnull", False),
                    ("lng__isnull", False),
                ),
                fields=["place_path", "created_at"],
                include=("number", "lat", "lng", "resolve_due", "card_level"),
                name="services_case_map_open",
            ),
        ),
    ]
