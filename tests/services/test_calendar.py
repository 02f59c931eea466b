"""Working-day arithmetic on the real Chinese calendar: National Day and adjusted weekends."""

from datetime import date, datetime

import pytest

from services import calendar
from services.calendar import TZ
from services.models import Holiday

pytestmark = pytest.mark.django_db


def at(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def end(y, m, d):
    return datetime(y, m, d, 23, 59, 59, tzinfo=TZ)


def test_chinesecalendar_facts_the_tests_rely_on():
    # National Day 2025 ran Oct 1-8; Sunday Sep 28 and Saturday Oct 11 were working days.
    assert not any(calendar.is_workday(date(2025, 10, d)) for d in range(1, 9))
    assert calendar.is_workday(date(2025, 9, 28)) and calendar.is_workday(date(2025, 10, 11))
    assert not calendar.is_workday(date(2025, 10, 12))


def test_one_working_day_across_national_day_2025():
    # Filed on the last working day before the holiday: due at the end of the first day after.
    assert calendar.add_working_days(at(2025, 9, 30), 1) == end(2025, 10, 9)


def test_filed_during_the_holiday_counts_from_the_next_working_day():
    assert calendar.add_working_days(at(2025, 10, 3), 1) == end(2025, 10, 9)
    assert calendar.add_working_days(at(2025, 10, 3), 0) == end(2025, 10, 3)


def test_adjusted_working_weekends_count():
    # Friday 26 Sep 2025 + 1 working day is Sunday 28 Sep (调休上班), not Monday.
    assert calendar.add_working_days(at(2025, 9, 26, 15), 1) == end(2025, 9, 28)
    # Thursday 9 Oct + 2: Friday 10th, then the working Saturday 11th.
    assert calendar.add_working_days(at(2025, 10, 9), 2) == end(2025, 10, 11)


def test_fifteen_working_days_over_mid_autumn_and_national_day_2026():
    # 2026: Sep 25-27 and Oct 1-7 off, Sat Oct 10 on. From Thu 24 Sep: 28,29,30, Oct 8,9,10,
    # 12-16, 19-22 → the 15th working day is Thursday 22 October.
    assert calendar.add_working_days(at(2026, 9, 24, 16), 15) == end(2026, 10, 22)


def test_hours_run_round_the_clock_and_same_day_ends_tonight():
    assert calendar.add_clock(at(2025, 10, 1, 10), 2, "hours") == at(2025, 10, 1, 12)
    assert calendar.add_clock(at(2025, 10, 1, 10), 0, "same_day") == end(2025, 10, 1)
    assert calendar.add_clock(at(2025, 9, 30), 1, "working_days") == end(2025, 10, 9)


def test_working_seconds_skip_the_holiday():
    # 12 h left of 30 Sep, nothing for Oct 1-8, 12 h of 9 Oct.
    assert calendar.working_seconds_between(at(2025, 9, 30, 12), at(2025, 10, 9, 12)) == 86400
    assert calendar.working_seconds_between(at(2025, 10, 9), at(2025, 9, 30)) == 0


def test_yellow_point_is_eighty_percent_of_working_time():
    start = datetime(2025, 9, 30, 0, 0, tzinfo=TZ)
    due = calendar.add_working_days(start, 1)  # end of 9 Oct: 48 working hours minus 1 s
    point = calendar.fraction_point(start, due, 0.8, "working_days")
    elapsed = calendar.working_seconds_between(start, point)
    assert elapsed == pytest.approx(0.8 * calendar.working_seconds_between(start, due))
    assert point.date() == date(2025, 10, 9)  # not inside the holiday
    # Round-the-clock clocks use wall time.
    assert calendar.fraction_point(at(2025, 10, 1, 10), at(2025, 10, 1, 12), 0.8, "hours") == (
        at(2025, 10, 1, 11, 36)
    )


def test_holiday_table_overrides_chinesecalendar():
    Holiday.objects.create(date=date(2025, 10, 9), is_workday=False, name="台风停工")
    Holiday.objects.create(date=date(2025, 10, 12), is_workday=True, name="补班")
    calendar.clear_cache()
    assert calendar.add_working_days(at(2025, 9, 30), 1) == end(2025, 10, 10)
    assert calendar.add_working_days(at(2025, 10, 10), 2) == end(2025, 10, 12)


def test_years_chinesecalendar_does_not_know_use_weekdays_plus_the_table():
    # Friday 2 Jan 2099 + 1 working day → Monday 5 Jan; a table holiday on the 5th moves it.
    assert calendar.add_working_days(at(2099, 1, 2), 1) == end(2099, 1, 5)
    Holiday.objects.create(date=date(2099, 1, 5), is_workday=False, name="元旦补休")
    calendar.clear_cache()
    assert calendar.add_working_days(at(2099, 1, 2), 1) == end(2099, 1, 6)


def test_reminder_and_supervision_times_are_workday_mornings():
    due = end(2025, 9, 30)
    assert calendar.workday_start_after(due, 1) == datetime(2025, 10, 9, 8, 30, tzinfo=TZ)
    # 5 working days after the reminder day: 10, 11 (Sat, worked), 13, 14, 15 October.
    assert calendar.workday_start_after(due, 6) == datetime(2025, 10, 15, 8, 30, tzinfo=TZ)


def test_remembered_answers_are_the_computed_ones():
    # The memo keys on the start's date for whole days, the exact moments for the yellow point.
    for day in range(20, 31):
        for hour in (0, 9, 23):
            start = at(2025, 9, day, hour)
            for days in (0, 1, 2, 15):
                assert calendar.add_working_days(start, days) == calendar._add_working_days(
                    start, days
                )
                due = calendar.add_working_days(start, days)
                expected = calendar.add_working_seconds(
                    start, calendar.working_seconds_between(start, due) * 0.8
                )
                assert calendar.fraction_point(start, due, 0.8, "working_days") == expected
    calendar.clear_cache()
    assert calendar._memo == {}
