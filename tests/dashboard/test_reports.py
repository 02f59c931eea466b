"""The monthly report: asked for on the page, built by the task (idempotent, progress on the
row), the workbook's numbers the dashboard's; a real worker builds one."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from dashboard import actions, tasks
from dashboard.models import Report
from dashboard.panels import build
from dashboard.scope import view_of
from grids.scope import scope_for
from services.figures import Target
from tests.conftest import wait_until
from tests.services.conftest import build_desk
from tests.services.test_kpis import make


def _cases(desk):
    now = timezone.now()
    for i in range(3):
        make(
            desk,
            sign_on_time=True,
            contact_on_time=i > 0,
            dispatched_at=now - timezone.timedelta(hours=i + 1),
        )


def _summary(report) -> dict:
    book = load_workbook(io.BytesIO(report.file.read()))
    return {row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)}


def test_request_build_and_download(client, desk, django_capture_on_commit_callbacks):
    _cases(desk)
    user = desk.user("community_a")
    client.force_login(user)
    month = timezone.localdate().replace(day=1)
    url = f"/dashboard/reports/?area={desk.t.a.community.pk}&month={month:%Y-%m}"
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=False) as sent:
        answer = client.post(
            "/dashboard/reports/", {"area": desk.t.a.community.pk, "month": f"{month:%Y-%m}"}
        )
        client.post(
            "/dashboard/reports/", {"area": desk.t.a.community.pk, "month": f"{month:%Y-%m}"}
        )
    assert answer.status_code == 302 and len(sent) == 1  # the double click builds once
    report = Report.objects.get()
    assert client.get(f"/dashboard/reports/{report.pk}/status/").json()["status"] == "queued"
    assert client.get(f"/dashboard/reports/{report.pk}/download/").status_code == 404
    assert tasks.build_report(report.pk) == "done"
    assert tasks.build_report(report.pk) == "skipped"  # a redelivered message
    report.refresh_from_db()
    assert (report.status, report.progress) == ("done", 100)
    got = client.get(f"/dashboard/reports/{report.pk}/download/")
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    pdf = client.get(f"/dashboard/reports/{report.pk}/download/?format=pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    # The same numbers as the screen.
    view = view_of(scope_for(user), Target(area=desk.t.a.community), month)
    screen = build(view, user)
    summary = _summary(report)
    assert summary["派单量"] == screen["cases"]["kpis"]["dispatched"] == 3
    assert summary["响应率 (%)"] == round(screen["cases"]["kpis"]["response_rate"] * 100, 1)
    # Someone else's report, or another community's, does not exist for them.
    client.force_login(desk.user("community_b"))
    assert client.get(f"/dashboard/reports/{report.pk}/status/").status_code == 404
    assert client.get(f"/dashboard/reports/{report.pk}/download/").status_code == 404
    assert (
        client.post(
            "/dashboard/reports/", {"area": desk.t.a.community.pk, "month": f"{month:%Y-%m}"}
        ).status_code
        == 404
    )


def test_a_future_month_is_refused(desk):
    from django.core.exceptions import ValidationError

    nxt = (timezone.localdate().replace(day=28) + timezone.timedelta(days=4)).replace(day=1)
    with pytest.raises(ValidationError):
        actions.request_report(desk.t.a.community, nxt, actor=desk.user("community_a"))


@pytest.mark.worker
def test_a_real_worker_builds_the_report(celery_worker_process, transactional_territory):
    desk = build_desk(transactional_territory)
    _cases(desk)
    report = actions.request_report(
        desk.t.a.community, timezone.localdate(), actor=desk.user("community_a")
    )
    wait_until(lambda: Report.objects.get(pk=report.pk).status == "done", timeout=90)
    report.refresh_from_db()
    assert _summary(report)["派单量"] == 3


ZERO = dict.fromkeys(("attended", "appointments_handled", "orders_completed"), 0)


def test_the_pdf_draws_the_child_areas_map_and_the_centres_chart():
    from reportlab.graphics.shapes import Circle, Polygon, String

    from dashboard import report_pdf

    def square(x, y):
        return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y]]]}

    kid = {
        "has_boundary": True,
        "lat": None,
        "lng": None,
        "dispatched": 4,
        **dict.fromkeys(("rank", "score", "households", "per_1000"), 0),
        **dict.fromkeys(("response_rate", "resolution_rate", "satisfaction_rate")),
    }
    data = {
        "children": [
            {**kid, "id": 1, "name": "甲街道", "overdue": 0},
            {**kid, "id": 2, "name": "乙街道", "overdue": 8},
            {**kid, "id": 3, "name": "丙街道", "overdue": 3, "dispatched": 0},
            {
                **kid,
                "id": 4,
                "name": "丁街道",
                "overdue": 2,
                "has_boundary": False,
                "lat": 24.5,
                "lng": 118.5,
            },
        ],
        "centres": {
            "by_function": [
                {**ZERO, "label": "党建引领", "services_given": 3, "signups": 1},
                {**ZERO, "label": "文体活动", "services_given": 0, "signups": 5},
            ]
        },
    }
    outlines = {"features": [{"id": pk, "geometry": square(118 + pk, 24)} for pk in (1, 2, 3)]}
    drawing = report_pdf.map_drawing(data, outlines, "STSong-Light")
    shapes = [s for s in drawing.contents if isinstance(s, Polygon)]
    assert len(shapes) == 3  # one per outline; the fourth area is a dot at its centre point
    assert len([s for s in drawing.contents if isinstance(s, Circle)]) == 1
    fills = [s.fillColor for s in shapes]
    assert fills[0] == report_pdf.SHADES[0]  # none overdue
    assert fills[1] == report_pdf.SHADES[-1]  # the most overdue
    assert fills[2] == report_pdf.NO_DATA  # no cases in the month
    names = {s.text for s in drawing.contents if isinstance(s, String)}
    assert {"甲街道", "乙街道", "丙街道", "丁街道"} <= names
    # The legend's classes: counts 1–2 fall in the second class, up to the largest (8).
    assert [label for _c, label in report_pdf.legend(8)] == ["0", "1–2", "3–4", "5–6", "7–8"]
    assert [label for _c, label in report_pdf.legend(1)] == ["0", "1"]
    assert report_pdf.shade(2, 8) == report_pdf.SHADES[1]
    assert report_pdf.map_drawing({"children": []}, {}, "STSong-Light") is None
    chart = report_pdf._centre_chart(data, "STSong-Light")
    assert chart is not None and chart.contents[0].data == [[3, 0], [1, 5]]
    pdf = report_pdf.render({**_empty_panels(), **data}, outlines)
    assert pdf.startswith(b"%PDF")


def _empty_panels() -> dict:
    """The rest of one build of the panels, empty."""
    kpis = dict.fromkeys(
        (
            "dispatched",
            "response_rate",
            "resolution_rate",
            "satisfaction_rate",
            "on_time_rate",
            "score",
            "overdue",
            "mean_handling_hours",
        ),
    )
    return {
        "target": {"name": "测试区"},
        "month": "2026-11",
        "as_of": "2026-11-30 12:00",
        "cases": {"kpis": kpis, "proactive_share": None, "open": 0, "yellow": 0, "overdue_open": 0},
        "trend": [],
        "categories": [],
        "units": [],
        "children": [],
    }


def test_the_report_carries_the_workforce_staffing(desk, monkeypatch):
    """A sheet of the staffing figures per community with a total (the workforce report's
    numbers), and in the PDF a short table of the totals."""
    from datetime import date

    from dashboard import report_pdf
    from tests.workforce.conftest import PUTIAN, build_ladder
    from workforce import actions as workforce_actions
    from workforce.figures import staffing, staffing_totals

    t = desk.t
    ladder = build_ladder(t.city, PUTIAN)
    for side, n in (("a", 3), ("b", 1)):
        for i in range(n):
            workforce_actions.create_worker(
                community=getattr(t, side).community,
                name=f"{side}社工{i}",
                position="general",
                sequence=ladder.sequences.get(rank=3),
                grade=2,
                started_on=date(2020, 1, 1),
            )
    user = desk.user("street")
    tables: list = []
    real = report_pdf.Table
    monkeypatch.setattr(
        report_pdf, "Table", lambda body, **kw: tables.append(body) or real(body, **kw)
    )
    report = actions.request_report(t.street, timezone.localdate(), actor=user)
    assert tasks.build_report(report.pk) == "done"
    report.refresh_from_db()
    sheet = load_workbook(io.BytesIO(report.file.read()))["社区工作者队伍"]
    rows = list(sheet.iter_rows(values_only=True))
    assert (rows[0][0], rows[0][2], rows[0][3]) == ("社区", "居民", "社区工作者人数")
    expected = staffing(user, t.street)
    totals = staffing_totals(expected)
    by_name = {r[0]: r for r in rows[1:-1]}
    assert {name: row[3] for name, row in by_name.items()} == {
        t.a.community.name: 3,
        t.b.community.name: 1,
    }
    for r in expected:
        assert by_name[r.community][1:8] == (
            r.households,
            r.residents,
            r.workers,
            r.per_10k,
            r.norm,
            r.required,
            r.vacancies,
        )
    assert rows[-1][0] == "合计" and rows[-1][3] == totals["workers"] == 4
    assert rows[-1][7] == totals["vacancies"]
    # The PDF: the totals alone, as a short table.
    short = next(b for b in tables if b[1:] and b[1][0] == "社区工作者人数")
    assert [row[0] for row in short[1:]][:3] == ["社区工作者人数", "按标准应配人数", "缺额"]
    assert short[1][1] == "4" and short[3][1] == str(totals["vacancies"])
    assert len(short) == 8  # the header and seven figures, not a row per community
