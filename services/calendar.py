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
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from portal.memo import TTLMemo

TZ = ZoneInfo("Asia/Shanghai")
WORKDAY_START = time(8, 30)
END_OF_DAY = time(23, 59, 59)
DAY = timedelta(days=1)

# The Holiday table, re-read every minute: other processes see a staff edit within that time.
_overrides: TTLMemo[dict[date, bool]] = TTLMemo(ttl=60.0, maxsize=1)
_days: dict[date, bool] = {}  # answers so far; emptied whenever the overrides are (re)loaded
# Deadlines computed so far, emptied with _days: a sweep starts the same clock at the same
# moment for thousands of cases, and every answer depends only on the arguments and the days.
_memo: dict[tuple, datetime] = {}
_MEMO_MAX = 4096


def _read_overrides() -> dict[date, bool]:
    from services.models import Holiday

    try:
        overrides = dict(Holiday.objects.values_list("date", "is_workday"))
    except Exception:  # table not migrated yet (first migrate, checks)
        overrides = {}
    _days.clear()  # answers from the previous table
    _memo.clear()
    return overrides


def _load_overrides() -> dict[date, bool]:
    return _overrides.get("holidays", _read_overrides)


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
    else:
        try:
            value = chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year chinesecalendar does not know yet
            value = day.weekday() < 5
    _days[day] = value
    return value


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
