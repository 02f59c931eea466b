"""Excel import of workers and of the pay table: all or nothing, every bad line named."""

import io
from datetime import date

import pytest
from django.utils import translation
from openpyxl import Workbook

from workforce import excel
from workforce.models import PayTable, Worker

pytestmark = pytest.mark.django_db


def book(header, *rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(name="新社工", code="T-甲", position="全科社工", sequence="办事员", grade=2, **kw):
    values = {
        "name": name,
        "community_code": code,
        "position": position,
        "sequence": sequence,
        "grade": grade,
        "grade_since": kw.get("grade_since", "2024-01-01"),
        "started_on": kw.get("started_on", date(2020, 5, 1)),
        "contract": kw.get("contract", ""),
        "contract_ends_on": "",
        "qualification": kw.get("qualification", "social_worker"),
        "education": "",
        "phone": kw.get("phone", ""),
    }
    return [values[c] for c in excel.WORKER_COLUMNS]


def test_a_good_workbook_lands_and_a_second_run_updates(staff):
    content = book(excel.WORKER_COLUMNS, row(), row(name="李网格", position="grid", grade=3))
    result = excel.import_workers(content, actor=staff.user("community_a"))
    assert (result.created, result.updated, result.errors) == (2, 0, [])
    w = Worker.objects.get(name="新社工")
    assert (w.position, w.grade, w.qualification) == ("general", 2, "social_worker")
    assert w.changes.get().kind == "created"
    again = excel.import_workers(
        book(excel.WORKER_COLUMNS, row(grade=4)), actor=staff.user("community_a")
    )
    assert (again.created, again.updated) == (0, 1)
    w.refresh_from_db()
    assert w.grade == 4 and w.changes.filter(kind="grade").exists()


def test_one_bad_row_and_nothing_lands_with_every_line_named(staff):
    content = book(
        excel.WORKER_COLUMNS,
        row(),  # line 2: good
        row(name="越界", code="T-乙"),  # line 3: a community outside community_a's scope
        row(name="等级错", grade="十"),  # line 4
        row(name="日期错", started_on="去年"),  # line 5
        row(name="岗位错", position="队长"),  # line 6
        row(name="超顶", grade=19),  # line 7
    )
    with translation.override("zh-hans"):
        result = excel.import_workers(content, actor=staff.user("community_a"))
    assert Worker.objects.count() == 0 and result.created == 0
    text = "\n".join(result.errors)
    for line, column in [
        (3, "community_code"),
        (4, "grade"),
        (5, "started_on"),
        (6, "position"),
        (7, "grade"),
    ]:
        assert f"第{line}行" in text and column in text, (line, text)
    assert "第2行" not in text
    assert "范围" in text  # the reason is in Chinese


def test_not_a_workbook_and_missing_columns(staff):
    with translation.override("zh-hans"):
        assert "Excel" in excel.import_workers(b"hello", actor=None).errors[0]
        missing = excel.import_workers(book(["name"], ["张三"]), actor=None).errors[0]
    assert "community_code" in missing


def test_pay_table_import_all_or_nothing(staff):
    ladder = staff.ladder
    rows = excel.pay_rows(ladder, date(2025, 6, 1))
    assert len(rows) == 3 * 18 and all(r[2] is not None for r in rows)
    bad = [*rows[:-1], ["不存在", 1, 100], ["主管", 2, "很多"]]
    with translation.override("zh-hans"):
        errors = excel.import_pay_table(
            book(excel.PAY_COLUMNS, *bad), ladder, date(2026, 1, 1), actor=None
        )
    assert len(errors) == 2 and "第55行" in errors[0] and "第56行" in errors[1]
    assert PayTable.objects.count() == 1
    raised = [[s, g, p + 200] for s, g, p in rows]
    assert (
        excel.import_pay_table(
            book(excel.PAY_COLUMNS, *raised), ladder, date(2026, 1, 1), actor=None
        )
        == []
    )
    assert PayTable.objects.count() == 2
