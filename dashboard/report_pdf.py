"""The monthly report as a PDF: the same sheets as the workbook (dashboard.reports.sheets, so
the same numbers) as tables, with the map of the child areas (a choropleth of overdue cases,
the screen's default colouring), the twelve months, the top categories and the centres by
function drawn as charts. ReportLab's built-in CID font STSong-Light renders Chinese without
shipping a font file."""

from __future__ import annotations

import io
import math

from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Circle, Drawing, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dashboard.reports import sheets
from volunteers.certificate_pdf import _font

LINES = [colors.HexColor("#1f77b4"), colors.HexColor("#2ca02c"), colors.HexColor("#d62728")]
# The map's five classes of overdue cases, light to dark (0, then four equal steps up to the
# largest child).
SHADES = [colors.HexColor(c) for c in ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")]
NO_DATA = colors.HexColor("#eeeeee")


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


def _rings(geometry: dict) -> list[list]:
    """The outer rings of a Polygon or MultiPolygon (holes are not drawn at this scale)."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    return [poly[0] for poly in geometry["coordinates"]]


def shade(value: int | None, top: int):
    """The class colour of a child's overdue count (of the largest, `top`)."""
    if value is None:
        return NO_DATA
    if top <= 0 or value <= 0:
        return SHADES[0]
    return SHADES[min(len(SHADES) - 1, math.ceil(value * (len(SHADES) - 1) / top))]


def legend(top: int) -> list[tuple]:
    """Each class that can hold a count, with its range: a count v is in class
    ceil(v * 4 / top), so class i holds the whole numbers in (top*(i-1)/4, top*i/4]."""
    out = [(SHADES[0], "0")]
    step = top / (len(SHADES) - 1)
    for i in range(1, len(SHADES)):
        lo, hi = math.floor(step * (i - 1)) + 1, math.floor(step * i)
        if lo <= hi:
            out.append((SHADES[i], str(lo) if lo == hi else f"{lo}–{hi}"))
    return out


def map_drawing(data: dict, outlines: dict, font: str) -> Drawing | None:
    """The child areas coloured by their overdue cases (the ranking's numbers), each named;
    an area without an outline is a dot at its centre point. None when nothing can be drawn."""
    kids = {c["id"]: c for c in data["children"]}
    shapes = [
        (f["id"], ring) for f in outlines.get("features", []) for ring in _rings(f["geometry"])
    ]
    dots = [c for c in data["children"] if not c["has_boundary"] and c["lat"] and c["lng"]]
    points = [p for _id, ring in shapes for p in ring] + [(c["lng"], c["lat"]) for c in dots]
    if not points:
        return None
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    # Equirectangular, x shrunk by cos(latitude): true shapes at a city's scale.
    squash = math.cos(math.radians((south + north) / 2))
    span_x, span_y = max((east - west) * squash, 1e-9), max(north - south, 1e-9)
    width, height = 170 * mm, 110 * mm
    scale = min((width - 10) / span_x, (height - 24) / span_y)

    def xy(lng: float, lat: float) -> tuple[float, float]:
        return 5 + (lng - west) * squash * scale, 20 + (lat - south) * scale

    top = max((c["overdue"] for c in data["children"]), default=0)
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, fillColor=colors.white, strokeColor=colors.lightgrey))
    boxes: dict[int, list] = {}
    for pk, ring in shapes:
        kid = kids.get(pk)
        flat = [v for lng, lat in ring for v in xy(lng, lat)]
        colour = shade(kid["overdue"] if kid and kid["dispatched"] else None, top)
        drawing.add(Polygon(flat, fillColor=colour, strokeColor=colors.white, strokeWidth=0.6))
        boxes.setdefault(pk, []).extend(ring)
    for c in dots:
        x, y = xy(c["lng"], c["lat"])
        colour = shade(c["overdue"] if c["dispatched"] else None, top)
        drawing.add(Circle(x, y, 4, fillColor=colour, strokeColor=colors.grey, strokeWidth=0.5))
        boxes[c["id"]] = [(c["lng"], c["lat"])]
    for pk, ring in boxes.items():
        kid = kids.get(pk)
        if kid is None:
            continue
        lng = (min(p[0] for p in ring) + max(p[0] for p in ring)) / 2
        lat = (min(p[1] for p in ring) + max(p[1] for p in ring)) / 2
        x, y = xy(lng, lat)
        drawing.add(String(x, y - 3, kid["name"], fontName=font, fontSize=6, textAnchor="middle"))
    # The legend: the classes' ranges and "no cases".
    x = 5.0
    drawing.add(String(x, 8, _("Overdue") + ":", fontName=font, fontSize=7))
    x += 30
    for colour, label in [*legend(top), (NO_DATA, _("No cases"))]:
        drawing.add(Rect(x, 6, 8, 8, fillColor=colour, strokeColor=colors.grey, strokeWidth=0.3))
        drawing.add(String(x + 10, 8, label, fontName=font, fontSize=7))
        x += 45
    return drawing


def _centre_chart(data: dict, font: str) -> Drawing | None:
    """Services given and places taken per function (1+6+X), as on the screen."""
    functions = (data.get("centres") or {}).get("by_function") or []
    if not functions:
        return None
    drawing = Drawing(170 * mm, 75 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 40, 150 * mm, 50 * mm
    chart.data = [[f["services_given"] for f in functions], [f["signups"] for f in functions]]
    chart.categoryAxis.categoryNames = [f["label"] for f in functions]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 20
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor, chart.bars[1].fillColor = LINES[0], LINES[1]
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 40, 72 * mm
    legend.fontName, legend.fontSize = font, 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.colorNamePairs = [(LINES[0], _("Services given")), (LINES[1], _("Places taken"))]
    drawing.add(legend)
    return drawing


def render(data: dict, outlines: dict | None = None) -> bytes:
    """The PDF of one build of the panels (`data`) and the child areas' outlines
    (dashboard.geo.outlines, simplified as for the screen)."""
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
    drawings = {
        1: lambda: map_drawing(data, outlines or {}, font),  # the ranking: the map first
        2: lambda: _trend_chart(data, font),  # the twelve months: the chart before its numbers
        3: lambda: _category_chart(data, font),
        5: lambda: _centre_chart(data, font),
    }
    for i, (name, header, rows) in enumerate(sheets(data, pdf=True)):
        story.append(Paragraph(str(name), heading))
        chart = drawings[i]() if i in drawings else None
        if chart is not None:
            story.append(chart)
        body = [[str(h) for h in header]] + [[_cell(v) for v in row] for row in rows]
        story.append(Table(body, style=style, repeatRows=1))
        story.append(Spacer(1, 4 * mm))
    doc.build(story)
    return out.getvalue()
