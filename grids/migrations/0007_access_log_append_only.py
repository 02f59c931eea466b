"""The access log is append-only: PostgreSQL refuses UPDATE and DELETE on it for everyone.
The trigger's source lives in grids/sql.py."""

from django.db import migrations

from grids.sql import ACCESS_LOG_APPEND_ONLY, DROP_ACCESS_LOG_APPEND_ONLY


class Migration(migrations.Migration):
    dependencies = [("grids", "0006_access_log")]

    operations = [migrations.RunSQL(ACCESS_LOG_APPEND_ONLY, DROP_ACCESS_LOG_APPEND_ONLY)]
