"""Reading a year's holiday arrangement from a file: the State Council's annual notice
(国务院办公厅关于某年部分节假日安排的通知) as text or the web page saved from gov.cn, an
iCalendar file (one event per holiday span or working day, as calendar feeds publish it), or
an Excel sheet staff typed from the notice.

`read()` returns the days or raises ValidationError listing every problem (in the user's
language, with the row or line): nothing is imported from a file with any problem. The import
itself is services.actions.import_holidays.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 2 * 1024 * 1024
# The days every year's arrangement has off, fixed by the 放假办法 (元旦, 劳动节, 国庆节): a
# file without them is not a whole year's notice.
FIXED_HOLIDAYS = ((1, 1), (5, 1), (10, 1))
WORK_WORDS = ("上班", "补班", "workday", "working day")
OFF_WORDS = ("放假", "休", "假", "holiday", "off")


@dataclass(frozen=True)
class Day:
    date: date
    is_workday: bool
    name: str = ""


@dataclass
class Arrangement:
    """A year's days off and adjusted working days, read from one file."""

    year: int
    days: list[Day] = field(default_factory=list)
    source: str = ""

    @property
    def holidays(self) -> int:
        return sum(not d.is_workday for d in self.days)

    @property
    def workdays(self) -> int:
        return sum(d.is_workday for d in self.days)


def read(filename: str, content: bytes, year: int | None = None) -> Arrangement:
    """The arrangement in an uploaded file, chosen by its extension; `year` when the file does
    not say (an iCalendar or Excel file spanning its days says it itself)."""
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 2 MB: this is not a notice.")})
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "xlsx":
        days, title = _excel(content), ""
    elif suffix in ("ics", "ical", "ifb"):
        days, title = _ical(_text(content))
    elif suffix in ("txt", "htm", "html"):
        text = _text(content)
        if suffix != "txt":
            text = _strip_html(text)
        days, title, year = _notice(text, year)
    else:
        raise ValidationError(
            {
                "file": _(
                    "Upload the notice as a text or web page file (.txt, .html), an iCalendar "
                    "file (.ics) or an Excel sheet (.xlsx)."
                )
            }
        )
    return _validated(days, year, title or filename)


# --- checks ------------------------------------------------------------------------------------
def _validated(days: list[Day], year: int | None, source: str) -> Arrangement:
    problems: list[str] = []
    if not days:
        raise ValidationError(
            {"file": _("No holidays or adjusted working days found in the file.")}
        )
    if year is None:  # the year most of the days are in
        years = [d.date.year for d in days]
        year = max(set(years), key=years.count)
    seen: dict[date, Day] = {}
    for day in sorted(days, key=lambda d: d.date):
        earlier = seen.get(day.date)
        if earlier is not None and earlier.is_workday != day.is_workday:
            problems.append(
                _("%(date)s is listed both as a holiday and as a working day.")
                % {"date": day.date.isoformat()}
            )
        seen.setdefault(day.date, day)
        # A notice may start 元旦 on 31 December or end 春节 in the next year's first days;
        # anything further from its year is a typing mistake.
        if not date(year - 1, 12, 1) <= day.date <= date(year + 1, 1, 31):
            problems.append(
                _("%(date)s is not in %(year)s.") % {"date": day.date.isoformat(), "year": year}
            )
        if day.is_workday and day.date.weekday() < 5:
            problems.append(
                _("%(date)s is a weekday: only a weekend day can be an adjusted working day.")
                % {"date": day.date.isoformat()}
            )
    off = {d.date for d in seen.values() if not d.is_workday}
    missing = [date(year, m, d) for m, d in FIXED_HOLIDAYS if date(year, m, d) not in off]
    if missing:
        problems.append(
            _(
                "%(dates)s must be holidays in every year's notice: the file does not hold a "
                "whole year's arrangement for %(year)s."
            )
            % {"dates": "、".join(d.isoformat() for d in missing), "year": year}
        )
    if problems:
        raise ValidationError({"file": problems})
    return Arrangement(year=year, days=list(seen.values()), source=source[:200])


def _text(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # gov.cn pages saved on Windows are often GBK
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": _("The file's text could not be read (not UTF-8 or GBK).")})


def _strip_html(text: str) -> str:
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</h\d>", "\n", text)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def _is_workday_label(label: str) -> bool | None:
    text = label.strip().lower()
    if any(w in text for w in WORK_WORDS):
        return True
    if any(w in text for w in OFF_WORDS):
        return False
    return None


# --- the notice's text -------------------------------------------------------------------------
_HEADING = re.compile(r"(?m)^\s*[一二三四五六七八九十]+、\s*([^：:\n]{1,16})[：:]")
_YEAR = re.compile(r"(\d{4})\s*年\s*(?:部分节假日|元旦)")
_ASIDE = re.compile(r"（[^）]*）|\([^)]*\)")
_DATE = re.compile(r"(?:(\d{4})\s*年)?\s*(?:(\d{1,2})\s*月)?\s*(\d{1,2})\s*日")
_SPAN = re.compile(
    r"(?:(\d{4})\s*年)?\s*(?:(\d{1,2})\s*月)?\s*(\d{1,2})\s*日\s*[至到—\-~～]\s*"
    r"(?:(\d{4})\s*年)?\s*(?:(\d{1,2})\s*月)?\s*(\d{1,2})\s*日"
)


def _notice(text: str, year: int | None) -> tuple[list[Day], str, int | None]:
    """The days of the notice's text: each numbered festival paragraph ("一、元旦：…") gives
    its span off ("1月1日至3日放假调休"), single days off ("1月2日补休") and the weekend days
    worked ("1月4日（周日）上班")."""
    found = _YEAR.search(text)
    if year is None and found:
        year = int(found.group(1))
    if year is None:
        raise ValidationError(
            {"year": _("The notice does not say its year: enter the year it is for.")}
        )
    title = ""
    for line in text.splitlines():
        if "节假日安排" in line and "通知" in line:
            title = line.strip()[:200]
            break
    headings = list(_HEADING.finditer(text))
    days: list[Day] = []
    for i, heading in enumerate(headings):
        name = heading.group(1).strip()
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        body = _ASIDE.sub("", text[heading.end() : end])
        for sentence in re.split(r"[。；;\n]", body):
            days += _sentence_days(sentence, name, year)
    return days, title, year


def _sentence_days(sentence: str, name: str, year: int) -> list[Day]:
    workday = "上班" in sentence
    if not workday and not re.search("放假|补休|调休|休息", sentence):
        return []
    month = 1
    out: list[Day] = []
    for piece in re.split(r"[，,、]", sentence):
        span = _SPAN.search(piece)
        if span and not workday:
            y1, m1, d1, y2, m2, d2 = span.groups()
            month = int(m1) if m1 else month
            start = date(int(y1) if y1 else year, month, int(d1))
            month = int(m2) if m2 else month
            stop = date(int(y2) if y2 else (int(y1) if y1 else year), month, int(d2))
            if stop < start or (stop - start).days > 15:
                continue  # not a holiday span (a misread): the whole-year check catches it
            day = start
            while day <= stop:
                out.append(Day(day, False, name))
                day += timedelta(days=1)
            continue
        for y, m, d in _DATE.findall(piece):
            month = int(m) if m else month
            try:
                out.append(Day(date(int(y) if y else year, month, int(d)), workday, name))
            except ValueError:
                continue
    return out


# --- iCalendar ---------------------------------------------------------------------------------
def _ical(text: str) -> tuple[list[Day], str]:
    if "BEGIN:VCALENDAR" not in text.upper():
        raise ValidationError({"file": _("This is not an iCalendar file (no BEGIN:VCALENDAR).")})
    lines = re.sub(r"\r?\n[ \t]", "", text).splitlines()  # unfold (RFC 5545 §3.1)
    days: list[Day] = []
    problems: list[str] = []
    title = ""
    event: dict[str, str] | None = None
    number = 0
    for line in lines:
        key, _sep, value = line.partition(":")
        prop = key.split(";")[0].upper()
        if prop == "X-WR-CALNAME" and not title:
            title = value.strip()
        if line.upper().startswith("BEGIN:VEVENT"):
            event, number = {}, number + 1
        elif line.upper().startswith("END:VEVENT") and event is not None:
            try:
                days += _event_days(event)
            except ValueError:
                problems.append(
                    _("Event %(number)s (%(summary)s) has no readable date.")
                    % {"number": number, "summary": event.get("SUMMARY", "")}
                )
            event = None
        elif event is not None and prop in ("DTSTART", "DTEND", "SUMMARY"):
            event[prop] = value.strip()
    if problems:
        raise ValidationError({"file": problems})
    return days, title


def _ical_date(value: str) -> date:
    # An all-day date (VALUE=DATE), or a date-time whose date is the day meant.
    if not re.fullmatch(r"\d{8}", value[:8]):
        raise ValueError(value)
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


def _event_days(event: dict[str, str]) -> list[Day]:
    summary = event.get("SUMMARY", "").replace("\\,", ",")
    start = _ical_date(event["DTSTART"]) if "DTSTART" in event else None
    if start is None:
        raise ValueError("no start")
    stop = _ical_date(event["DTEND"]) if "DTEND" in event else start + timedelta(days=1)
    workday = bool(_is_workday_label(summary))
    name = re.sub(r"假期$", "", summary)[:40]
    out = []
    day = start
    while day < max(stop, start + timedelta(days=1)):  # DTEND is exclusive
        out.append(Day(day, workday, name))
        day += timedelta(days=1)
    return out


# --- Excel -------------------------------------------------------------------------------------
_COLUMNS = {
    "start": ("开始", "起始", "日期", "date", "start", "from"),
    "end": ("结束", "截止", "终止", "end", "to", "until"),
    "kind": ("类型", "安排", "放假/上班", "kind", "type"),
    "name": ("名称", "节日", "节假日", "name", "festival"),
}


def _excel(content: bytes) -> list[Day]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationError({"file": _("This is not an Excel file that can be read.")}) from exc
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header_at, columns = _header(rows)
    if header_at is None or "start" not in columns:
        raise ValidationError(
            {
                "file": _(
                    "The sheet needs a header row with a date column (日期 or 开始日期), and may "
                    "have 结束日期, 类型 (放假 or 上班) and 名称."
                )
            }
        )
    days: list[Day] = []
    problems: list[str] = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = {k: (row[i] if i < len(row) else None) for k, i in columns.items()}
        if all(v in (None, "") for v in cells.values()):
            continue
        name = str(cells.get("name") or "").strip()[:40]
        start, end = _cell_date(cells.get("start")), _cell_date(cells.get("end"))
        kind = str(cells.get("kind") or name)
        workday = _is_workday_label(kind)
        if start is None or (cells.get("end") not in (None, "") and end is None):
            problems.append(_("Row %(row)s: the date cannot be read.") % {"row": number})
            continue
        if workday is None:
            problems.append(
                _("Row %(row)s: say 放假 (holiday) or 上班 (working day).") % {"row": number}
            )
            continue
        end = end or start
        if end < start or (end - start).days > 15:
            problems.append(
                _("Row %(row)s: the end date is before the start or too far after it.")
                % {"row": number}
            )
            continue
        day = start
        while day <= end:
            days.append(Day(day, workday, name))
            day += timedelta(days=1)
    if problems:
        raise ValidationError({"file": problems})
    return days


def _header(rows: list[tuple]) -> tuple[int | None, dict[str, int]]:
    for at, row in enumerate(rows[:5]):
        columns: dict[str, int] = {}
        for i, cell in enumerate(row):
            text = str(cell or "").strip().lower()
            for key, words in _COLUMNS.items():
                if key not in columns and text and any(w in text for w in words):
                    columns[key] = i
                    break
        if "start" in columns:
            return at, columns
    return None, {}


def _cell_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    found = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not found:
        return None
    try:
        return date(*(int(g) for g in found.groups()))
    except ValueError:
        return None
