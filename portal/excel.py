"""The one Excel writer: every ledger staff download (cases, attendees, volunteers, the time
bank, the territory registers) is an .xlsx built here, so dates, empty cells and file names read
the same everywhere. Written with openpyxl's write-only mode: rows stream into the file instead
of being held as cell objects, so a 100,000-row export stays small in memory."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell(value):
    """A value as a spreadsheet cell: local time without a zone (Excel has none), numbers and
    text as they are, anything else (a lazy translation, a choice label) as its text."""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if value is None or isinstance(value, bool | int | float | Decimal | str | date):
        return value
    return str(value)


def sheet_title(title: str) -> str:
    """A title Excel accepts for a sheet: none of []:*?/\\ and at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31] or "Sheet"


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """One workbook from (title, header, rows) per sheet (titles made acceptable to Excel)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(sheet_title(title))
        sheet.append([str(h) for h in header])
        for row in rows:
            sheet.append([cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_response(filename: str, content: bytes) -> HttpResponse:
    """A download of `content` named `<filename>-<local time>.xlsx`. A Chinese name goes out as
    RFC 6266's filename*=utf-8'' form (a raw one would be MIME-encoded and not saved as named)."""
    response = HttpResponse(content, content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{filename}-{stamp}.xlsx"
    )
    return response


def xlsx_download(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A one-sheet workbook as a download: the common case."""
    return xlsx_response(str(title), xlsx_bytes([(title, header, rows)]))
