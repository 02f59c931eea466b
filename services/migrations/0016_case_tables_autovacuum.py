"""Autovacuum and analyze thresholds for the case tables, in rows rather than shares.

PostgreSQL's defaults vacuum a table once a fifth of it is dead and analyze it once a tenth
has changed. At a province's volume (bench/province.py, docs/scaling.md: 850,000 cases and
about three million events a month) that is millions of dead case rows between vacuums and
planner statistics weeks old for the partial indexes of open cases, which the sweep, the
desk and the grid worker's list all read. The case table is updated on every step; the
event table only grows (insert-triggered vacuum keeps its visibility map current for
index-only scans)."""

from django.db import migrations

CASE = (
    "autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 5000, "
    "autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 5000"
)
EVENT = (
    "autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_insert_threshold = 50000, "
    "autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 50000"
)


def _reset(settings: str) -> str:
    return ", ".join(part.split(" = ")[0] for part in settings.split(", "))


class Migration(migrations.Migration):
    dependencies = [("services", "0015_o311_event_at_index")]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE services_case SET ({CASE})",
            f"ALTER TABLE services_case RESET ({_reset(CASE)})",
        ),
        migrations.RunSQL(
            f"ALTER TABLE services_caseevent SET ({EVENT})",
            f"ALTER TABLE services_caseevent RESET ({_reset(EVENT)})",
        ),
    ]
