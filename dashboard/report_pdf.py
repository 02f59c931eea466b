"""The monthly report as a PDF: the same sheets as the workbook (dashboard.reports.sheets, so
the same numbers) as tables, with the twelve months and the top categories drawn as charts.
ReportLab's built-in CID font STSong-Light renders Chinese without shipping a font file."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dashboard.reports import sheets
from volunteers.certificate_pdf import _font

LINES = [colors.HexColor("#1f77b4"), colors.HexColor("#2ca02c"), colors.HexColor("#d62728")]


def _cell(v) -> str:
    return "—" if v is None else str(v)


def _trend_chart(data: dict, font: str) -> Drawing:
    months = data["trend"]
    drawing = Drawing(170 * mm, 70 * mm)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 30, 30, 150 * mm, 50 * mm
    chart.data = [
        [round((m[key] or 0) * 100, 1) for m in months] or [0]
        for key in ("response_rate", "resolution_rate", "satisfaction_rate")
    ]
    chart.categoryAxis.categoryNames = [m["month"][2:] for m in months] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontSize = 7
    for i, colour in enumerate(LINES):
        chart.lines[i].strokeColor = colour
        chart.lines[i].strokeWidth = 1.5
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 40, 66 * mm
    legend.fontName, legend.fontSize = font, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = list(
        zip(LINES, [_("Response rate"), _("Resolution rate"), _("Satisfaction rate")], strict=True)
    )
    drawing.add(legend)
    return drawing


def _category_chart(data: dict, font: str) -> Drawing | None:
    cats = list(reversed(data["categories"]))
    if not cats:
        return None
    drawing = Drawing(170 * mm, (12 + 7 * len(cats)) * mm)
    chart = HorizontalBarChart()
    chart.x, chart.y = 40 * mm, 8 * mm
    chart.width, chart.height = 120 * mm, 7 * len(cats) * mm
    chart.data = [[c["count"] for c in cats]]
    chart.categoryAxis.categoryNames = [c["name"] for c in cats]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor("#c0392b")
    drawing.add(chart)
    return drawing


def render(data: dict) -> bytes:
    font = _font()
    title = ParagraphStyle("t", fontName=font, fontSize=16, leading=22)
    heading = ParagraphStyle("h", fontName=font, fontSize=12, leading=17, spaceBefore=8)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{data['target']['name']} {data['month']}",
    )
    story: list = [
        Paragraph(
            _("Monthly report: %(name)s") % {"name": data["target"]["name"]}
            + f" · {data['month']}",
            title,
        )
    ]
    style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
    )
    for i, (name, header, rows) in enumerate(sheets(data)):
        story.append(Paragraph(str(name), heading))
        if i == 2:  # the twelve months: the chart before its numbers
            story.append(_trend_chart(data, font))
        if i == 3:
            chart = _category_chart(data, font)
            if chart is not None:
                story.append(chart)
        body = [[str(h) for h in header]] + [[_cell(v) for v in row] for row in rows]
        story.append(Table(body, style=style, repeatRows=1))
        story.append(Spacer(1, 4 * mm))
    doc.build(story)
    return out.getvalue()
