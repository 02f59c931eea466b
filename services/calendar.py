"""Working-day arithmetic on the Chinese calendar (Asia/Shanghai).

Semantics (whole-day, as in Chinese administrative practice 期间开始之日不计算在内):

- A day is a working day if the editable Holiday table says so; otherwise chinesecalendar
  decides for the years it knows (statutory holidays and adjusted working weekends 调休);
  for other years Monday–Friday are working days.
- "N working days" from a moment ends at the end (23:59:59) of the N-th working day after the
  moment's date; the start day never counts, whatever the hour. 0 working days = end of today.
- "N hours" runs round the clock (emergencies do not wait for Monday).
- "The same day" ends at 23:59:59 of the start date.
- Elapsed working time (for the 80 % yellow card) counts every second of working days and
  none of the rest; `fraction_point` finds the moment a share of a clock has elapsed.
- Reminders (催办) and supervision (督办) fire at the start of a working day, WORKDAY_START.

A year is *covered* when chinesecalendar knows it or the State Council's notice for it has been
imported (HolidayYear). Monday–Friday for an uncovered year is a guess that is wrong around
every festival, so it is never silent: `years_needing_data()` feeds a system check, the admin's
holiday pages and /healthz, and arithmetic that falls back to the guess logs a warning.
"""

from __future__ import annotations

import logging
import time as monotime
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as _package_data

from portal.memo import TTLMemo

logger = logging.getLogger("services.calendar")

TZ = ZoneInfo("Asia/Shanghai")
WORKDAY_START = time(8, 30)
END_OF_DAY = time(23, 59, 59)
DAY = timedelta(days=1)
RELOAD_SECONDS = 60.0  # how long another process may still use a table staff just changed
WARN_AHEAD_DAYS = 60  # next year's data is wanted from this many days before 1 January
WARN_EVERY = 600.0  # seconds between two log lines about the same uncovered year

# The years the installed chinesecalendar knows (it raises NotImplementedError outside them).
_PACKAGE_YEARS = frozenset(
    d.year for table in (_package_data.holidays, _package_data.workdays) for d in table
)
PACKAGE_LAST_YEAR = max(_PACKAGE_YEARS)

# The Holiday table and the imported years, re-read every RELOAD_SECONDS: other processes see a
# staff edit within that time.
_overrides: TTLMemo[tuple[dict[date, bool], dict[int, bool]]] = TTLMemo(
    ttl=RELOAD_SECONDS, maxsize=1
)
_days: dict[date, bool] = {}  # answers so far; emptied whenever the overrides are (re)loaded
# Deadlines computed so far, emptied with _days: a sweep starts the same clock at the same
# moment for thousands of cases, and every answer depends only on the arguments and the days.
_memo: dict[tuple, datetime] = {}
_MEMO_MAX = 4096
_warned: dict[int, float] = {}  # uncovered year → when it was last logged (monotonic)


def _read_overrides() -> tuple[dict[date, bool], dict[int, bool]]:
    from services.models import Holiday, HolidayYear

    try:
        overrides = dict(Holiday.objects.values_list("date", "is_workday"))
        years = dict(HolidayYear.objects.values_list("year", "provisional"))
    except Exception:  # table not migrated yet (first migrate, checks)
        overrides, years = {}, {}
    _days.clear()  # answers from the previous table
    _memo.clear()
    return overrides, years


def _load_overrides() -> dict[date, bool]:
    return _overrides.get("holidays", _read_overrides)[0]


def _imported_years() -> dict[int, bool]:
    """{year: provisional} for the years whose notice was imported."""
    return _overrides.get("holidays", _read_overrides)[1]


def clear_cache() -> None:
    """Forget the Holiday overrides; called when staff edit the table."""
    _overrides.clear()
    _days.clear()
    _memo.clear()


def _remember(key: tuple, compute) -> datetime:
    _load_overrides()  # a reload empties the memo first
    hit = _memo.get(key)
    if hit is None:
        if len(_memo) >= _MEMO_MAX:
            _memo.clear()
        hit = _memo[key] = compute()
    return hit


# --- which years are covered -----------------------------------------------------------------
MISSING, PROVISIONAL, NOTICE, PACKAGE = "missing", "provisional", "notice", "package"


def year_status(year: int) -> str:
    """PACKAGE (chinesecalendar knows it), NOTICE (its notice was imported), PROVISIONAL (only
    the statutory days were entered) or MISSING."""
    imported = _imported_years()
    if year in imported:
        return PROVISIONAL if imported[year] else NOTICE
    return PACKAGE if year in _PACKAGE_YEARS else MISSING


def is_covered(year: int) -> bool:
    return year_status(year) in (PACKAGE, NOTICE)


def years_needing_data(today: date | None = None) -> list[tuple[int, str]]:
    """[(year, status)] for this year and, from WARN_AHEAD_DAYS before 1 January, next year,
    when their holiday data is missing or provisional: what the system check, the admin's
    holiday pages and /healthz report."""
    today = today or datetime.now(TZ).date()
    years = [today.year]
    if (date(today.year + 1, 1, 1) - today).days <= WARN_AHEAD_DAYS:
        years.append(today.year + 1)
    return [(y, year_status(y)) for y in years if not is_covered(y)]


def describe_gap(year: int, status: str) -> str:
    """What is wrong with a year's holiday data, for people (the check, the admin banner)."""
    from django.utils.translation import gettext as _

    if status == PROVISIONAL:
        return _(
            "%(year)s holds only the statutory holidays: the State Council's notice for it, with "
            "its adjusted working days, is not imported yet."
        ) % {"year": year}
    return _(
        "%(year)s has no holiday data: its deadlines count Monday to Friday as working days, "
        "which is wrong around every festival. Import the State Council's notice for %(year)s."
    ) % {"year": year}


def _guessed(day: date) -> bool:
    """Monday–Friday for a day of an uncovered year, with a warning (at most one line per
    year every WARN_EVERY seconds in a process): a deadline computed this way may be a day or
    a week early around a festival."""
    year = day.year
    now = monotime.monotonic()
    if now - _warned.get(year, -WARN_EVERY) >= WARN_EVERY:
        _warned[year] = now
        logger.warning(
            "deadline computed for %s, a year without the State Council's holiday notice "
            "(%s): Monday-Friday counted as working days; import the notice "
            "(manage.py import_holidays, or the admin's holiday page)",
            year,
            year_status(year),
        )
    return day.weekday() < 5


def default_workday(day: date) -> bool:
    """Whether `day` is a working day without the Holiday table: chinesecalendar for the years
    it knows, else Monday–Friday (no warning: callers compare tables, they compute nothing)."""
    if day.year in _PACKAGE_YEARS:
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def is_workday(day: date) -> bool:
    _load_overrides()  # a reload empties _days first
    return _workday(day)


def _workday(day: date) -> bool:
    """is_workday for the loops inside one computation, whose entry point has just made the
    reload check (the memo's lookup costs more than the rest of this; a yellow-card point asks
    ~30 days)."""
    known = _days.get(day)
    if known is not None:
        return known
    override = _load_overrides().get(day)
    if override is not None:
        value = override
    elif day.year in _PACKAGE_YEARS:
        value = chinese_calendar.is_workday(day)
    elif year_status(day.year) == NOTICE:
        # The notice is in the table (holidays and 调休): every other day is an ordinary
        # weekday or weekend.
        value = day.weekday() < 5
    else:
        value = _guessed(day)
    _days[day] = value
    return value


# --- arithmetic under another table (moving deadlines after a change) ------------------------
def add_working_days_with(start: datetime, days: int, flips: dict[date, bool]) -> datetime:
    """add_working_days with some days' status replaced (`flips`): the calendar as it was
    before a change, to tell which deadlines that change moves. Not memoised."""
    _load_overrides()
    day = local(start).date()
    for _ in range(days):
        day += DAY
        while not flips.get(day, _workday(day)):
            day += DAY
    return end_of_day(day)


def working_days_with(start: datetime, due: datetime, flips: dict[date, bool]) -> int:
    """How many working days lie after start's date up to due's date, with `flips`."""
    _load_overrides()
    day, last, count = local(start).date() + DAY, local(due).date(), 0
    while day <= last:
        count += flips.get(day, _workday(day))
        day += DAY
    return count


def local(moment: datetime) -> datetime:
    return moment.astimezone(TZ)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=TZ)


def next_workday(day: date) -> date:
    """The first working day strictly after `day`."""
    _load_overrides()
    return _next_workday(day)


def _next_workday(day: date) -> date:
    day += DAY
    while not _workday(day):
        day += DAY
    return day


def add_working_days(start: datetime, days: int) -> datetime:
    """The end of the `days`-th working day after start's date (0: the end of that date)."""
    return _remember(("days", local(start).date(), days), lambda: _add_working_days(start, days))


def _add_working_days(start: datetime, days: int) -> datetime:
    day = local(start).date()
    for _ in range(days):
        day = _next_workday(day)
    return end_of_day(day)


def add_clock(start: datetime, amount: int, unit: str) -> datetime:
    """A deadline from a TimeLimit clock: working days, round-the-clock hours or same day."""
    if unit == "hours":
        return start + timedelta(hours=amount)
    if unit == "same_day":
        return end_of_day(local(start).date())
    return add_working_days(start, amount)


def working_seconds_between(a: datetime, b: datetime) -> float:
    """Seconds of working days between two moments (0 if b ≤ a)."""
    if b <= a:
        return 0.0
    _load_overrides()
    a, b = local(a), local(b)
    total = 0.0
    day = a.date()
    while day <= b.date():
        if _workday(day):
            lo = max(a, datetime.combine(day, time.min, tzinfo=TZ))
            hi = min(b, datetime.combine(day + DAY, time.min, tzinfo=TZ))
            total += max((hi - lo).total_seconds(), 0.0)
        day += DAY
    return total


def add_working_seconds(start: datetime, seconds: float) -> datetime:
    """The moment when `seconds` of working time have passed after start."""
    _load_overrides()
    moment = local(start)
    day = moment.date()
    remaining = seconds
    while True:
        day_end = datetime.combine(day + DAY, time.min, tzinfo=TZ)
        if _workday(day):
            available = (day_end - moment).total_seconds()
            if remaining <= available:
                return moment + timedelta(seconds=remaining)
            remaining -= available
        day += DAY
        moment = day_end


def fraction_point(start: datetime, due: datetime, fraction: float, unit: str) -> datetime:
    """When `fraction` of the clock from start to due has elapsed (the yellow-card moment).

    Round-the-clock clocks use wall time; working-day clocks count working time only, so a
    week-long holiday inside a clock does not turn it yellow."""
    if unit in ("hours", "same_day"):
        return start + (due - start) * fraction
    return _remember(
        ("fraction", start, due, fraction),
        lambda: add_working_seconds(start, working_seconds_between(start, due) * fraction),
    )


def workday_start_after(moment: datetime, working_days: int = 1) -> datetime:
    """WORKDAY_START on the `working_days`-th working day after moment's date (催办/督办)."""
    start = local(moment).date()

    def compute() -> datetime:
        day = start
        for _ in range(working_days):
            day = _next_workday(day)
        return datetime.combine(day, WORKDAY_START, tzinfo=TZ)

    return _remember(("start_after", start, working_days), compute)
