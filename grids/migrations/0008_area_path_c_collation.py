"""Area paths compare byte by byte, whatever the database's collation.

Materialised paths (treebeard MP_Node) are ordered and range-scanned as strings: the tree's
order, `path__startswith` and the counts per node assume "0001" < "000A" < "0010" bytewise. A
database created with a linguistic collation (en_US.UTF-8, zh_CN.UTF-8) sorts differently; the
"C" collation on the one column makes the order right everywhere. The column's indexes are
rebuilt by the ALTER. The SQL lives in grids/sql.py.
"""

from django.db import migrations

from grids.sql import AREA_PATH_C_COLLATION, AREA_PATH_DEFAULT_COLLATION


class Migration(migrations.Migration):
    dependencies = [("grids", "0007_access_log_append_only")]

    operations = [migrations.RunSQL(AREA_PATH_C_COLLATION, AREA_PATH_DEFAULT_COLLATION)]
