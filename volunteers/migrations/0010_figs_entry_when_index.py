"""The index of the dashboard's 福分 figures: each account's entries by time, with the kind and
the amount, so a district's period sum reads the index only. Built concurrently (5,000,000
entries at city scale), hence atomic = False."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("volunteers", "0009_figs_entry_copies")]

    operations = [
        AddIndexConcurrently(
            model_name="ledgerentry",
            index=models.Index(
                fields=["account", "occurred_at"],
                include=["tx_kind", "amount"],
                name="volunteers_entry_figs_when",
            ),
        ),
    ]
