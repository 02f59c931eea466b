"""Case place paths compare byte by byte on PostgreSQL, whatever the database's collation.

`place_path__startswith` (the area scope, the KPIs, the inbox) is a LIKE 'prefix%'. PostgreSQL
can answer it from a btree index only under the "C" collation; under any other (en_US.UTF-8,
C.UTF-8, zh_CN.UTF-8) every inbox and KPI query scanned the whole table. Same fix as
grids/migrations/0008 for the area paths. The column's indexes are rebuilt by the ALTER.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE services_case ALTER COLUMN place_path TYPE varchar(255) COLLATE "C"'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE services_case ALTER COLUMN place_path TYPE varchar(255) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [("services", "0004_open_deadline_index")]

    operations = [migrations.RunPython(forwards, backwards)]
