"""The access log is append-only: PostgreSQL refuses UPDATE and DELETE on it for everyone."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION grids_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'grids_accesslog is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER grids_accesslog_append_only
    BEFORE UPDATE OR DELETE ON grids_accesslog
    FOR EACH ROW EXECUTE FUNCTION grids_accesslog_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS grids_accesslog_append_only ON grids_accesslog;
DROP FUNCTION IF EXISTS grids_accesslog_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("grids", "0006_access_log")]

    operations = [migrations.RunPython(forwards, backwards)]
