"""Per-activity counts for the dashboard's sign-up figures (centres.figures): the columns, their
values for the sign-ups already there, and the triggers that keep them (centres.sql:
SIGNUP_COUNTS_SQL). The backfill runs before the guard on the activity exists (the guard keeps
the columns out of any UPDATE but the sign-up trigger's)."""

from django.db import migrations, models

from centres import sql


class Migration(migrations.Migration):
    dependencies = [
        ("centres", "0010_figs_signup_confirmed_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="figs_checked_in",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="checked in (figures)"
            ),
        ),
        migrations.AddField(
            model_name="activity",
            name="figs_confirmed",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="confirmed places (figures)"
            ),
        ),
        migrations.RunSQL(sql.SIGNUP_COUNTS_BACKFILL, migrations.RunSQL.noop),
        migrations.RunSQL(sql.SIGNUP_COUNTS_SQL, sql.SIGNUP_COUNTS_DROP),
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.CheckConstraint(
                condition=models.Q(("figs_checked_in__lte", models.F("figs_confirmed"))),
                name="centres_activity_figs_checked_in_within_confirmed",
            ),
        ),
    ]
