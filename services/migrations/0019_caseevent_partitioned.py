"""The case-event table partitioned by month on `at` (services.partitions says why and how).

A table below services.partitions.DIRECT_LIMIT rows (a fresh install, the test database, a
small district) is converted here, in the migration's transaction. A bigger one is left as it
is: copying it here would hold every intake behind this migration's lock for minutes. The
operator converts it online with `manage.py partition_case_events` (docs/operations.md); until
then the portal runs as before on the unpartitioned table. Django's model is unchanged (its
key stays `id`), so there is no state operation."""

from django.db import migrations

from services import partition_convert, partitions


def forwards(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        if partitions.is_partitioned(cursor):
            return
        if partition_convert.row_count_above(cursor, partitions.TABLE, partitions.DIRECT_LIMIT):
            print(
                f"\n  {partitions.TABLE} holds more than {partitions.DIRECT_LIMIT} rows: it is "
                "left unpartitioned. Convert it online with `manage.py partition_case_events` "
                "(docs/operations.md, 'Case events by month')."
            )
            return
        partition_convert.convert_directly(cursor)


def backwards(apps, schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        partition_convert.unpartition_directly(cursor)


class Migration(migrations.Migration):
    dependencies = [("services", "0018_dash_case_late_open_index")]

    # Backwards (tests that migrate back to older states, a rollback of a release): one plain
    # table again, copied in one transaction — for a small table; a big one is better restored.
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
