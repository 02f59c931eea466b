"""System checks of the case engine: a year without holiday data is a visible problem.

`manage.py check` (and runserver, migrate, every management command that checks) warns for
this year and, from calendar.WARN_AHEAD_DAYS before 1 January, for next year, when neither
chinesecalendar nor an imported notice covers it. It reads the database; with none reachable
or not migrated yet it stays silent (/healthz and the admin banner say the same later)."""

from __future__ import annotations

from django.core.checks import CheckMessage, Warning
from django.db import DatabaseError


def holiday_data(app_configs=None, **kwargs) -> list[CheckMessage]:
    from services import calendar
    from services.models import HolidayYear

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
