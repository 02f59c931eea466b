"""The bookings' no-overlap rule moves from raw SQL (0003) into Booking.Meta.

0003 created the same exclusion constraint by hand, under the same name, because the embedded
database of the time could not express it. PostgreSQL is the only database now, so the
constraint is declared on the model
(django.contrib.postgres ExclusionConstraint) and the migration state knows it. The hand-made
one is dropped and Django's created in its place, so the database holds exactly the definition
the model declares (same name, same rule: space_id WITH =, tstzrange(starts_at, ends_at, '[)')
WITH &&, for pending, confirmed and used bookings)."""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models

import centres.models.spaces

DROP_RAW = "ALTER TABLE centres_booking DROP CONSTRAINT IF EXISTS centres_booking_no_overlap"
# Unapplied, the hand-made one of 0003 comes back.
CREATE_RAW = """
ALTER TABLE centres_booking ADD CONSTRAINT centres_booking_no_overlap
  EXCLUDE USING gist (space_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
  WHERE (status IN ('pending', 'confirmed', 'used'))
"""


class KeepBtreeGist(BtreeGistExtension):
    """Created if missing; left in place when unapplied: grids' team constraint needs it too."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


class Migration(migrations.Migration):
    dependencies = [("centres", "0005_priority_counter")]

    operations = [
        # Already there on every database 0003 ran on; declared so the state says it is needed.
        KeepBtreeGist(),
        migrations.RunSQL(DROP_RAW, reverse_sql=CREATE_RAW),
        migrations.AddConstraint(
            model_name="booking",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                condition=models.Q(("status__in", ("pending", "confirmed", "used"))),
                expressions=[
                    (models.F("space"), "="),
                    (
                        centres.models.spaces.TsTzRange(
                            "starts_at",
                            "ends_at",
                            django.contrib.postgres.fields.ranges.RangeBoundary(),
                        ),
                        "&&",
                    ),
                ],
                name="centres_booking_no_overlap",
                violation_error_message="The space is already booked then.",
            ),
        ),
    ]
