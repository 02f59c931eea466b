"""A balance row is its entries' sum, checked by PostgreSQL at commit, and the ledger's tables
refuse TRUNCATE (volunteers/sql/ledger_triggers.sql): the file is installed again with them.

Existing balance rows are not re-checked here (check_ledger does that); the triggers hold from
the first posting or change after this migration."""

from django.db import migrations

from volunteers import sql


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0006_volunteer_location_labels")]

    operations = [
        migrations.RunPython(sql.install("ledger_triggers"), migrations.RunPython.noop),
    ]
