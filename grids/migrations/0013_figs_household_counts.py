"""Per-area household counts for the dashboard's figures (grids.figures, workforce.figures):
the columns, their values for the households already there, and the triggers that keep them
(grids.sql.HOUSEHOLD_COUNTS). The backfill runs before the guard on the area exists."""

from django.db import migrations, models

from grids import sql


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0012_area_boundary"),
    ]

    operations = [
        migrations.AddField(
            model_name="area",
            name="figs_households",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="households registered (figures)"
            ),
        ),
        migrations.AddField(
            model_name="area",
            name="figs_people",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="household members (figures)"
            ),
        ),
        migrations.RunSQL(sql.HOUSEHOLD_COUNTS_BACKFILL, migrations.RunSQL.noop),
        migrations.RunSQL(sql.HOUSEHOLD_COUNTS, sql.DROP_HOUSEHOLD_COUNTS),
    ]
