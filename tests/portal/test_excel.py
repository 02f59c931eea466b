"""portal.excel, the one .xlsx writer: cells as staff expect them and a name browsers keep."""

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from portal.excel import xlsx_download


def test_a_download_keeps_its_chinese_name_and_local_times():
    moment = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    response = xlsx_download("工单", ["编号", "时间", "备注"], [["A1", moment, None]])
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert "%E5%B7%A5%E5%8D%95-" in disposition and disposition.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "工单"
    assert [c.value for c in sheet[1]] == ["编号", "时间", "备注"]
    naive_local = datetime(2026, 12, 7, 9, 30)  # noqa: DTZ001 (Excel cells carry no zone)
    assert [c.value for c in sheet[2]] == ["A1", naive_local, None]


def test_a_sheet_title_excel_refuses_is_made_acceptable():
    response = xlsx_download("12-07 [讲座] 防诈骗: 问答/互动*" + "长" * 40, ["a"], [])
    title = load_workbook(io.BytesIO(response.content)).active.title
    assert len(title) == 31 and not set("[]:*?/\\") & set(title)
