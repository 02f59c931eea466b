"""At most one full-time worker per grid at any date, enforced by PostgreSQL itself.

The exclusion constraint needs btree_gist (for `grid_id WITH =` inside a GiST index). SQLite
has no exclusion constraints: there grids.actions checks overlaps under a row lock instead.
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


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("grids", "0003_grid_teams")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(forwards, backwards),
    ]
