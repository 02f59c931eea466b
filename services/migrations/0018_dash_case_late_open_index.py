# The dashboard's rollup readers count the open cases past their deadline live: every column
# they test is in this index, so the count reads the index alone. Built concurrently.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("services", "0017_dash_case_rollup_indexes"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    ("state__in", ["dispatched", "signed", "in_progress"]),
                    ("resolved_at__isnull", True),
                ),
                fields=["place_path", "resolve_due"],
                include=("dispatched_at", "state", "is_malicious", "resolved_on_time"),
                name="services_case_late_open",
            ),
        ),
    ]
