"""Excel ledgers of the workforce: export and import of workers and of the pay table.

An import lands whole or not at all: every row is checked, every bad row is reported with its
spreadsheet line (the header is line 1), its column and the reason, and if one row is bad
nothing is written. Rows are written through workforce.actions (create_worker/update_worker,
set_pay_table). Columns are named in row 1 with the names the export writes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import Area
from portal import text
from workforce import actions
from workforce.ladder import pay_rates_on
from workforce.models import (
    ContractKind,
    Education,
    Ladder,
    Position,
    Qualification,
    Sequence,
    Worker,
)

WORKER_COLUMNS = (
    "name",
    "community_code",
    "position",
    "sequence",
    "grade",
    "grade_since",
    "started_on",
    "contract",
    "contract_ends_on",
    "qualification",
    "education",
    "phone",
)
PAY_COLUMNS = ("sequence", "grade", "monthly_pay")
MAX_ROWS = 5000


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


class _Rollback(Exception):
    pass


def _line_error(line: int, column: str, message) -> str:
    return _("Line %(line)s, %(column)s: %(message)s") % {
        "line": line,
        "column": column,
        "message": message,
    }


def read_rows(content: bytes, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    """(line, {column: value}) for every non-empty row; ValidationError when the file is not a
    workbook or a column is missing."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a bad file
        raise ValidationError(_("This is not an Excel workbook (.xlsx).")) from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, ())]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ValidationError(
            _("Columns missing from row 1: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    out = []
    for line, values in enumerate(rows, 2):
        if line > MAX_ROWS + 1:
            raise ValidationError(_("At most %(n)s rows at a time.") % {"n": MAX_ROWS})
        row = dict(zip(header, values, strict=False))
        if all(v in (None, "") for v in row.values()):
            continue
        out.append((line, row))
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value, column: str, required: bool) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = _text(value)
    if not raw:
        if required:
            raise ValidationError({column: _("This column is required.")})
        return None
    try:
        return date.fromisoformat(raw.replace("/", "-"))
    except ValueError as exc:
        raise ValidationError({column: _("Enter a date as 2026-01-31.")}) from exc


def _choice(value, choices, column: str, default: str | None = None) -> str:
    raw = _text(value)
    if not raw and default is not None:
        return default
    for code, label in choices.choices:
        if (
            raw in (code, str(label))
            or str(label).startswith(raw + " ")
            or f"({raw})" in str(label)
        ):
            return code
    raise ValidationError({column: _("Unknown value %(value)s.") % {"value": raw}})


def _int(value, column: str) -> int:
    raw = _text(value)
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationError(
            {column: _("Enter a whole number, not %(value)s.") % {"value": raw}}
        ) from exc


def _worker_values(user, row: dict, ladders: dict, communities: dict) -> dict:
    for column, value in row.items():
        if isinstance(value, str):
            problem = text.problem(value, multiline=False)
            if problem is not None:
                raise ValidationError({str(column): text.MESSAGES[problem]})
    name = _text(row.get("name"))
    if not name:
        raise ValidationError({"name": _("This column is required.")})
    code = _text(row.get("community_code"))
    community = communities.get(code)
    if community is None:
        community = Area.objects.visible_to(user).filter(code=code, kind="community").first()
        if community is None:
            raise ValidationError(
                {
                    "community_code": _("No community with code %(code)s in your scope.")
                    % {"code": code or "—"}
                }
            )
        communities[code] = community
    city_path = community.path[: Area.steplen]
    if city_path not in ladders:
        ladder = Ladder.objects.filter(city__path=city_path).first()
        ladders[city_path] = {s.name: s for s in ladder.sequences.all()} if ladder else {}
    sequences = ladders[city_path]
    sequence = sequences.get(_text(row.get("sequence")))
    if sequence is None:
        raise ValidationError(
            {
                "sequence": _("No sequence %(name)s in this city's ladder.")
                % {"name": _text(row.get("sequence")) or "—"}
            }
        )
    phone = _text(row.get("phone"))
    if phone:
        phone = text.clean_phone(phone)
    started_on = _date(row.get("started_on"), "started_on", True)
    return {
        "name": name,
        "community": community,
        "position": _choice(row.get("position"), Position, "position"),
        "sequence": sequence,
        "grade": _int(row.get("grade"), "grade"),
        "grade_since": _date(row.get("grade_since"), "grade_since", False) or started_on,
        "started_on": started_on,
        "contract_kind": _choice(row.get("contract"), ContractKind, "contract", "labour"),
        "contract_ends_on": _date(row.get("contract_ends_on"), "contract_ends_on", False),
        "qualification": _choice(row.get("qualification"), Qualification, "qualification", "none"),
        "education": _choice(row.get("education"), Education, "education", "college"),
        "phone": phone,
    }


def import_workers(content: bytes, *, actor) -> ImportResult:
    """Workers from a workbook: a row whose name and community match an active worker updates
    them (details, and the grade through set_grade); any other row enters a new worker."""
    result = ImportResult()
    try:
        rows = read_rows(content, WORKER_COLUMNS)
    except ValidationError as exc:
        result.errors = exc.messages
        return result
    ladders: dict = {}
    communities: dict = {}
    try:
        with transaction.atomic():
            for line, row in rows:
                try:
                    with transaction.atomic():
                        values = _worker_values(actor, row, ladders, communities)
                        existing = (
                            Worker.objects.active()
                            .filter(community=values["community"], name=values["name"])
                            .first()
                        )
                        if existing is None:
                            actions.create_worker(**values, actor=actor)
                            result.created += 1
                        else:
                            grade = values.pop("grade")
                            sequence = values.pop("sequence")
                            grade_since = values.pop("grade_since")
                            actions.update_worker(existing, actor=actor, **values)
                            actions.set_grade(
                                existing,
                                grade=grade,
                                sequence=sequence,
                                since=grade_since,
                                actor=actor,
                            )
                            result.updated += 1
                except ValidationError as exc:
                    for column, messages in _by_column(exc):
                        result.errors.extend(_line_error(line, column, m) for m in messages)
            if result.errors:
                raise _Rollback
    except _Rollback:
        result.created = result.updated = 0
    return result


def _by_column(exc: ValidationError):
    if hasattr(exc, "error_dict"):
        return [(k, v) for k, v in exc.message_dict.items()]
    return [("—", exc.messages)]


def workers_rows(workers, pay_visible) -> list[list]:
    """Export rows in WORKER_COLUMNS order (+ monthly pay when the viewer may see it)."""
    rows = []
    for w in workers:
        row = [
            w.name,
            w.community.code,
            w.get_position_display(),
            w.sequence.name,
            w.grade,
            w.grade_since,
            w.started_on,
            w.get_contract_kind_display(),
            w.contract_ends_on,
            w.get_qualification_display(),
            w.get_education_display(),
            w.phone if pay_visible(w) else "",
        ]
        rows.append(row)
    return rows


def pay_rows(ladder: Ladder, on: date) -> list[list]:
    rates = pay_rates_on(ladder, on)
    return [
        [s.name, g, rates.get((s.pk, g))]
        for s in ladder.sequences.all()
        for g in range(1, min(s.max_grade, ladder.grade_count) + 1)
    ]


def import_pay_table(content: bytes, ladder: Ladder, effective_from: date, *, actor) -> list[str]:
    """A new pay table from a workbook (sequence, grade, monthly_pay): every cell checked;
    the errors, or [] when the table was written (through actions.set_pay_table)."""
    try:
        rows = read_rows(content, PAY_COLUMNS)
    except ValidationError as exc:
        return exc.messages
    sequences = {s.name: s for s in Sequence.objects.filter(ladder=ladder)}
    rates: dict[tuple[int, int], Decimal] = {}
    errors: list[str] = []
    for line, row in rows:
        sequence = sequences.get(_text(row.get("sequence")))
        if sequence is None:
            errors.append(
                _line_error(
                    line,
                    "sequence",
                    _("No sequence %(name)s in this city's ladder.")
                    % {"name": _text(row.get("sequence")) or "—"},
                )
            )
            continue
        try:
            grade = _int(row.get("grade"), "grade")
        except ValidationError as exc:
            errors.extend(_line_error(line, "grade", m) for m in exc.messages)
            continue
        try:
            pay = Decimal(_text(row.get("monthly_pay")))
            if pay < 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(_line_error(line, "monthly_pay", _("Enter an amount in yuan.")))
            continue
        if (sequence.pk, grade) in rates:
            errors.append(_line_error(line, "grade", _("This grade is listed twice.")))
        rates[(sequence.pk, grade)] = pay
    if errors:
        return errors
    try:
        actions.set_pay_table(ladder, effective_from, rates, actor=actor)
    except ValidationError as exc:
        return [f"{k}: {m}" if k != "__all__" else m for k, v in _by_column(exc) for m in v]
    return []
