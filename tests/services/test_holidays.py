"""The holiday calendar is never silently wrong: a year without data shows (system check, the
admin's holiday pages, /healthz, a log line), and a year's notice is imported in one step from
the State Council's text, an iCalendar file or an Excel sheet, whole or not at all.

The notices below are the published ones (2017, 2025, 2026); every parse is checked day by
day against chinesecalendar, which carries the same notices."""

from __future__ import annotations

import io
import logging
from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from services import calendar, checks, holiday_files
from services.calendar import TZ
from services.models import Holiday, HolidayChange, HolidayYear

pytestmark = pytest.mark.django_db

NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2026年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
国务院办公厅
2025年11月4日
"""

NOTICE_2025 = """<html><head><title>国务院办公厅关于2025年部分节假日安排的通知</title></head><body>
<p>国务院办公厅关于2025年部分节假日安排的通知</p>
<p>一、元旦：1月1日（周三）放假1天，不调休。</p>
<p>二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。</p>
<p>三、清明节：4月4日（周五）至6日（周日）放假，共3天。</p>
<p>四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。</p>
<p>五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。</p>
<p>六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。</p>
</body></html>"""

NOTICE_2017 = """国务院办公厅关于2017年部分节假日安排的通知
一、元旦：1月1日放假，1月2日（星期一）补休。
二、春节：1月27日至2月2日放假调休，共7天。1月22日（星期日）、2月4日（星期六）上班。
三、清明节：4月2日至4日放假调休，共3天。4月1日（星期六）上班。
四、劳动节：5月1日放假，与周末连休。
五、端午节：5月28日至30日放假调休，共3天。5月27日（星期六）上班。
六、中秋节、国庆节：10月1日至8日放假调休，共8天。9月30日（星期六）上班。
"""

# 2026 as calendar feeds publish it: one event per span, DTEND exclusive, folded lines.
SPANS_2026 = [
    ("元旦假期", "20260101", "20260104"),
    ("上班(补元旦假期)", "20260104", "20260105"),
    ("上班(补春节假期)", "20260214", "20260215"),
    ("春节假期", "20260215", "20260224"),
    ("上班(补春节假期)", "20260228", "20260301"),
    ("清明节假期", "20260404", "20260407"),
    ("劳动节假期", "20260501", "20260506"),
    ("上班(补劳动节假期)", "20260509", "20260510"),
    ("端午节假期", "20260619", "20260622"),
    ("上班(补国庆节假期)", "20260920", "20260921"),
    ("中秋节假期", "20260925", "20260928"),
    ("国庆节假期", "20261001", "20261008"),
    ("上班(补国庆节假期)", "20261010", "20261011"),
]


def ics(spans, name="中国法定节假日") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"X-WR-CALNAME:{name}"]
    for summary, start, end in spans:
        lines += [
            "BEGIN:VEVENT",
            f"SUMMARY:{summary}",
            f"DTSTART;VALUE=DATE:{start}",
            f"DTEND;VALUE=DATE:{end}",
            f"UID:{start}/{end}/test",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    text = "\r\n".join(lines)
    return text.replace("UID:", "UID:\r\n ", 1).encode()  # one folded line, as feeds do


def xlsx(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "开始日期", "结束日期", "类型"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX_2026 = [
    ("元旦", date(2026, 1, 1), date(2026, 1, 3), "放假"),
    ("元旦", "2026-01-04", None, "上班"),
    ("春节", "2026/2/14", None, "上班"),
    # Excel cells have no time zone: a date-time cell reads back naive.
    ("春节", datetime(2026, 2, 15), datetime(2026, 2, 23), "放假"),  # noqa: DTZ001
    ("春节", "2026年2月28日", None, "上班"),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6), "放假"),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5), "放假"),
    ("劳动节", date(2026, 5, 9), None, "上班"),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21), "放假"),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27), "放假"),
    ("国庆节", date(2026, 9, 20), None, "上班"),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7), "放假"),
    ("国庆节", date(2026, 10, 10), None, "上班"),
]


def same_as_the_package(arrangement: holiday_files.Arrangement) -> list[date]:
    """The days of the arrangement's year where it and chinesecalendar disagree."""
    table = {d.date: d.is_workday for d in arrangement.days}
    day, wrong = date(arrangement.year, 1, 1), []
    while day.year == arrangement.year:
        if table.get(day, day.weekday() < 5) != chinese_calendar.is_workday(day):
            wrong.append(day)
        day += timedelta(days=1)
    return wrong


# --- reading the notice ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "year", "holidays", "workdays"),
    [
        ("notice-2026.txt", NOTICE_2026.encode(), 2026, 33, 6),
        ("notice-2026.txt", NOTICE_2026.encode("gb18030"), 2026, 33, 6),  # saved on Windows
        ("notice-2025.html", NOTICE_2025.encode(), 2025, 28, 5),
        ("notice-2017.txt", NOTICE_2017.encode(), 2017, 24, 5),
        ("holidays-2026.ics", ics(SPANS_2026), 2026, 33, 6),
        ("holidays-2026.xlsx", xlsx(XLSX_2026), 2026, 33, 6),
    ],
)
def test_every_format_reads_the_published_notice_as_chinesecalendar_has_it(
    name, content, year, holidays, workdays
):
    arrangement = holiday_files.read(name, content)
    assert arrangement.year == year
    assert same_as_the_package(arrangement) == []
    assert (arrangement.holidays, arrangement.workdays) == (holidays, workdays)
    if name.endswith((".txt", ".html")):
        assert arrangement.source.endswith(f"关于{year}年部分节假日安排的通知")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notice.pdf", b"%PDF-1.4", "Upload the notice as"),
        ("notice.xlsx", b"not a zip at all", "not an Excel file"),
        ("notice.ics", b"SUMMARY:nothing", "not an iCalendar file"),
        ("notice.txt", "一、元旦：1月1日放假。".encode(), "does not say its year"),
        ("notice.txt", NOTICE_2026.replace("一、元旦", "一 元旦").encode(), "2026-01-01 must be"),
        ("a.ics", ics([("元旦假期", "20270101", "20270102")]), "whole year's arrangement"),
        (
            "a.ics",
            ics([*SPANS_2026, ("上班(补班)", "20260302", "20260303")]),
            "2026-03-02 is a weekday",
        ),
        (
            "a.ics",
            ics([*SPANS_2026, ("上班(补班)", "20260103", "20260104")]),
            "2026-01-03 is listed both as a holiday and as a working day",
        ),
        ("a.xlsx", xlsx([*XLSX_2026, ("国庆节", "十月一日", None, "放假")]), "Row 15"),
        ("a.xlsx", xlsx([*XLSX_2026, ("国庆节", date(2026, 10, 8), None, "?")]), "say 放假"),
    ],
)
def test_a_bad_file_is_refused_with_every_problem_named(name, content, expected):
    with pytest.raises(ValidationError) as caught:
        holiday_files.read(name, content)
    assert expected in " ".join(caught.value.messages)


def test_errors_are_in_chinese_for_chinese_users():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        holiday_files.read("a.ics", ics([("元旦假期", "20270101", "20270102")]))
    assert "不是完整的" in " ".join(caught.value.messages)


# --- which years are covered -------------------------------------------------------------------
def _import(content=None, name="a.ics", provisional=False, actor=None):
    from services import actions

    content = ics(SPANS_2026) if content is None else content
    change = actions.import_holidays(
        holiday_files.read(name, content), actor=actor, provisional=provisional
    )
    calendar.clear_cache()
    return change


def _statutory_2027() -> bytes:
    from services.demo import HOLIDAY_FILES

    return (HOLIDAY_FILES / "2027-statutory.ics").read_bytes()


def test_this_and_next_year_are_checked_from_sixty_days_before_new_year():
    calendar.clear_cache()
    assert calendar.years_needing_data(date(2026, 6, 1)) == []  # the package knows 2026
    assert calendar.years_needing_data(date(2026, 11, 1)) == []  # 61 days before
    assert calendar.years_needing_data(date(2026, 11, 2)) == [(2027, "missing")]
    assert calendar.years_needing_data(date(2027, 3, 1)) == [(2027, "missing")]
    _import(_statutory_2027(), "2027-statutory.ics", provisional=True)
    assert calendar.years_needing_data(date(2026, 12, 7)) == [(2027, "provisional")]
    _import(_statutory_2027(), "2027-statutory.ics")  # the same days, as a whole notice
    assert calendar.years_needing_data(date(2026, 12, 7)) == []
    assert HolidayYear.objects.get(year=2027).provisional is False


def test_the_system_check_warns_until_the_year_is_imported(monkeypatch):
    real = calendar.years_needing_data
    monkeypatch.setattr(calendar, "years_needing_data", lambda today=None: real(date(2026, 12, 7)))
    warnings = checks.holiday_data(databases=["default"])
    assert [w.id for w in warnings] == ["services.W001"]
    assert "2027 has no holiday data" in warnings[0].msg
    # A database check: what migrate and `check --database default` run.
    out = io.StringIO()
    call_command("check", "--database", "default", stderr=out, stdout=out)
    assert "services.W001" in out.getvalue()
    assert checks.holiday_data() == []  # plain `check` reads no database
    _import(_statutory_2027(), "2027-statutory.ics", provisional=True)
    msg = checks.holiday_data(databases=["default"])[0].msg
    assert "2027 holds only the statutory holidays" in msg


def test_healthz_reports_the_calendar_without_failing(client, monkeypatch):
    real = calendar.years_needing_data
    monkeypatch.setattr(calendar, "years_needing_data", lambda today=None: real(date(2026, 12, 7)))
    body = client.get("/healthz").json()
    assert body["calendar"] == {"ok": False, "years_without_data": {"2027": "missing"}}
    monkeypatch.setattr(calendar, "years_needing_data", lambda today=None: real(date(2026, 6, 1)))
    assert client.get("/healthz").json()["calendar"] == {"ok": True, "years_without_data": {}}


def test_a_deadline_in_a_year_without_data_is_logged(caplog):
    calendar.clear_cache()
    calendar._warned.clear()
    with caplog.at_level(logging.WARNING, logger="services.calendar"):
        # The issue's complaint: filed 28 Dec 2026, 15 working days; 元旦 counted as work.
        due = calendar.add_working_days(datetime(2026, 12, 28, 10, tzinfo=TZ), 15)
    assert due == datetime(2027, 1, 18, 23, 59, 59, tzinfo=TZ)  # wrong: the data is missing
    assert any("deadline computed for 2027" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="services.calendar"):
        calendar.clear_cache()
        calendar.add_working_days(datetime(2026, 12, 29, 10, tzinfo=TZ), 15)
    assert not caplog.records  # once per year every ten minutes per process, not per deadline


def test_with_2027_imported_the_issues_complaint_is_due_on_19_january():
    _import(_statutory_2027(), "2027-statutory.ics", provisional=True)
    due = calendar.add_working_days(datetime(2026, 12, 28, 10, tzinfo=TZ), 15)
    assert due == datetime(2027, 1, 19, 23, 59, 59, tzinfo=TZ)


# --- importing -----------------------------------------------------------------------------------
def test_an_import_replaces_its_year_and_logs_the_changed_days(django_capture_on_commit_callbacks):
    Holiday.objects.create(date=date(2026, 3, 3), name="stale typo")
    with django_capture_on_commit_callbacks() as callbacks:
        change = _import(NOTICE_2026.encode(), "n.txt")
    assert not Holiday.objects.filter(date=date(2026, 3, 3)).exists()
    assert Holiday.objects.filter(date__year=2026).count() == 39
    # Only the stale day changes: the rest is what chinesecalendar said already.
    assert change.days == {"2026-03-03": [False, True]}
    assert len(callbacks) == 2  # the caches cleared, and the deadline task sent
    assert _import(NOTICE_2026.encode(), "n.txt") is None  # the same notice again: nothing


def test_nothing_is_half_imported(monkeypatch):
    from services.models import calendar as calendar_models

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away mid-import")

    monkeypatch.setattr(calendar_models.HolidayYear.objects, "update_or_create", broken)
    with pytest.raises(RuntimeError):
        _import(_statutory_2027(), "2027-statutory.ics")
    assert not Holiday.objects.filter(date__year=2027).exists()
    assert not HolidayChange.objects.exists()


def test_the_command_imports_checks_and_refuses(tmp_path, capsys):
    good = tmp_path / "notice-2026.txt"
    good.write_text(NOTICE_2026, encoding="utf-8")
    call_command("import_holidays", str(good), "--dry-run")
    assert "nothing imported" in capsys.readouterr().out
    assert not Holiday.objects.exists()
    call_command("import_holidays", str(good))
    assert "Imported 2026: 33 days off, 6 adjusted working days" in capsys.readouterr().out
    bad = tmp_path / "notice.ics"
    bad.write_bytes(ics([("元旦假期", "20270101", "20270102")]))
    with pytest.raises(CommandError, match="whole year's arrangement"):
        call_command("import_holidays", str(bad))
    assert not Holiday.objects.filter(date__year=2027).exists()


def test_the_demo_seed_has_2027_marked_provisional():
    from services import demo

    demo.seed_holidays()
    demo.seed_holidays()  # idempotent
    year = HolidayYear.objects.get(year=2027)
    assert year.provisional and "调休待国务院通知" in year.source
    days = set(Holiday.objects.filter(date__year=2027).values_list("date", flat=True))
    assert {date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 8), date(2027, 10, 3)} <= days


# --- the admin -------------------------------------------------------------------------------------
@pytest.fixture
def fixed_today(monkeypatch):
    real = calendar.years_needing_data
    monkeypatch.setattr(calendar, "years_needing_data", lambda today=None: real(date(2026, 12, 7)))


def test_the_banner_shows_to_those_who_edit_holidays(client, territory, fixed_today):
    client.force_login(territory.user("superuser"))
    page = client.get("/admin/services/holiday/").content.decode()
    assert "2027 has no holiday data" in page and "/admin/services/holiday/import/" in page
    assert "2027 has no holiday data" in client.get("/admin/services/holiday/add/").content.decode()
    client.force_login(territory.user("district"))  # reads the table, cannot change it
    page = client.get("/admin/services/holiday/")
    assert page.status_code == 200 and "has no holiday data" not in page.content.decode()
    assert client.get("/admin/services/holiday/import/").status_code == 403


def test_the_admin_imports_a_year_in_one_step(client, territory, fixed_today):
    client.force_login(territory.user("superuser"))
    upload = io.BytesIO(_statutory_2027())
    upload.name = "2027-statutory.ics"
    r = client.post("/admin/services/holiday/import/", {"file": upload, "provisional": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Holiday.objects.filter(date__year=2027).count() == 13
    page = client.get(r["Location"]).content.decode()
    assert "2027 imported: 13 days off and 0 adjusted working days" in page
    assert "2027 holds only the statutory holidays" in page  # provisional: still a problem


def test_the_admin_refuses_a_bad_file_whole(client, territory, fixed_today):
    client.force_login(territory.user("superuser"))
    upload = io.BytesIO(xlsx([*XLSX_2026, ("国庆节", "十月一日", None, "放假")]))
    upload.name = "2026.xlsx"
    with translation.override("zh-hans"):
        r = client.post(
            "/admin/services/holiday/import/",
            {"file": upload},
            headers={"accept-language": "zh-hans"},
        )
    assert r.status_code == 200
    assert "第 15 行" in r.content.decode()
    assert not Holiday.objects.exists() and not HolidayYear.objects.exists()


def test_an_admin_edit_goes_through_the_operation(
    client, territory, django_capture_on_commit_callbacks
):
    client.force_login(territory.user("superuser"))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/admin/services/holiday/add/",
            {"date": "2026-12-31", "name": "台风停工", "is_workday": ""},
        )
    assert r.status_code == 302
    change = HolidayChange.objects.get()
    assert change.days == {"2026-12-31": [True, False]} and change.actor == territory.user(
        "superuser"
    )
    holiday = Holiday.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/services/holiday/{holiday.pk}/delete/", {"post": "yes"})
    assert not Holiday.objects.exists()
    assert HolidayChange.objects.order_by("-pk").first().days == {"2026-12-31": [False, True]}
