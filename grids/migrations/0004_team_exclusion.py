"""At most one full-time worker per grid at any date, enforced by PostgreSQL itself.

The exclusion constraint needs btree_gist (for `grid_id WITH =` inside a GiST index). It is
declared on GridTeamMember.Meta since 0009, which adds it to the migration state; this
migration keeps creating it in the database for the history in between.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CREATE = """
ALTER TABLE grids_gridteammember
    ADD CONSTRAINT grids_team_one_full_time_worker
    EXCLUDE USING gist (grid_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&)
    WHERE (role = 'full_time')
"""
DROP = "ALTER TABLE grids_gridteammember DROP CONSTRAINT IF EXISTS grids_team_one_full_time_worker"


class Migration(migrations.Migration):
    dependencies = [("grids", "0003_grid_teams")]

    operations = [BtreeGistExtension(), migrations.RunSQL(CREATE, DROP)]
