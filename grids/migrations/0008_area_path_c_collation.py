"""Area paths compare byte by byte on PostgreSQL, whatever the database's collation.

Materialised paths (treebeard MP_Node) are ordered and range-scanned as strings: the tree's
order, `path__startswith` and the counts per node assume "0001" < "000A" < "0010" bytewise. A
database created with a linguistic collation (en_US.UTF-8, zh_CN.UTF-8) sorts differently; the
"C" collation on the one column makes the order right everywhere. SQLite compares bytes
already (BINARY). The column's indexes are rebuilt by the ALTER.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE grids_area ALTER COLUMN path TYPE varchar(255) COLLATE "C"'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE grids_area ALTER COLUMN path TYPE varchar(255) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [("grids", "0007_access_log_append_only")]

    operations = [migrations.RunPython(forwards, backwards)]
