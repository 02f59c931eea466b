"""The ledger's SQL now lives in volunteers/sql/ (one module for the app's SQL): re-create the
triggers of 0002 and the volunteers_award() function of 0004 from its files. PostgreSQL is the
only database, so this runs unconditionally. 0002 and 0004 stay as history."""

from django.db import migrations

from volunteers import sql


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0004_award_function")]

    operations = [
        migrations.RunPython(sql.install("ledger_triggers"), migrations.RunPython.noop),
        migrations.RunPython(sql.install("award"), migrations.RunPython.noop),
    ]
