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
