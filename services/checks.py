"""System checks of the case engine: a year without holiday data is a visible problem.

A database check (it reads the holiday tables): `manage.py migrate` (every deploy) and
`manage.py check --database default` warn for this year and, from calendar.WARN_AHEAD_DAYS
before 1 January, for next year, when neither chinesecalendar nor an imported notice covers
it. Plain `check` and runserver do not read the database, as Django's checks go; /healthz,
the admin's holiday pages and the log say the same at run time. With the database not
reachable or not migrated yet it stays silent."""

from __future__ import annotations

from django.core.checks import CheckMessage, Warning
from django.db import DatabaseError


def holiday_data(app_configs=None, databases=None, **kwargs) -> list[CheckMessage]:
    from services import calendar
    from services.models import HolidayYear

    if not databases or "default" not in databases:
        return []
    try:
        HolidayYear.objects.exists()  # reachable and migrated? (the calendar hides errors)
    except DatabaseError:
        return []
    calendar.clear_cache()
    gaps = calendar.years_needing_data()
    return [
        Warning(
            calendar.describe_gap(year, status),
            hint="manage.py import_holidays <the notice: .html/.txt, .ics or .xlsx> "
            "(docs/operations.md, Holiday calendar)",
            id="services.W001",
        )
        for year, status in gaps
    ]
