"""The one-full-time-worker exclusion constraint is declared on GridTeamMember.Meta.

Migration 0004 created it in raw SQL (btree_gist was installed there); the constraint Django
builds from Meta is the same one (`EXCLUDE USING gist (grid_id WITH =, daterange(starts_on,
ends_on, '[]') WITH &&) WHERE role = 'full_time'`, same name), so this only tells the migration
state about it: no table is rewritten.
"""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
from django.db import migrations, models

import grids.models.teams


class Migration(migrations.Migration):
    dependencies = [("grids", "0008_area_path_c_collation")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="gridteammember",
                    constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                        condition=models.Q(("role", "full_time")),
                        expressions=[
                            ("grid", "="),
                            (
                                grids.models.teams.TeamPeriod(
                                    "starts_on",
                                    "ends_on",
                                    django.contrib.postgres.fields.ranges.RangeBoundary(True, True),
                                ),
                                "&&",
                            ),
                        ],
                        name="grids_team_one_full_time_worker",
                        violation_error_message=(
                            "This grid already has a full-time worker in that period."
                        ),
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
