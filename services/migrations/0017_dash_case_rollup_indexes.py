# The dashboard's daily rollup (dashboard/rollup.py): a closed day's cases, and the cases
# changed since the last refresh. Built concurrently: a large case table stays writable.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("services", "0016_case_tables_autovacuum"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                condition=models.Q(("dispatched_at__isnull", False)),
                fields=["dispatched_at"],
                name="services_case_dispatched",
            ),
        ),
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                condition=models.Q(("dispatched_at__isnull", False)),
                fields=["updated_at"],
                include=("dispatched_at",),
                name="services_case_updated",
            ),
        ),
    ]
