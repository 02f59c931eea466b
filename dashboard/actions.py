"""The dashboard's write operations: the monthly report's rows (THE one write path for
dashboard.Report; views and the task call these)."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboard.models import Report, ReportStatus
from grids.scope import scope_for


def request_report(area, month: date, *, actor) -> Report:
    """Ask for the monthly report of `area` (in the actor's scope) for `month`; the workbook
    is built by a Celery task sent when the request commits. Asking again while one is still
    waiting or being built returns that one (a double click builds once)."""
    scope = scope_for(actor)
    if not scope.is_staff or not scope.covers_area(area):
        raise ValidationError({"area": _("This lies outside your area.")})
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise ValidationError({"month": _("The month has not begun yet.")})
    with transaction.atomic():
        pending = (
            Report.objects.select_for_update()
            .filter(
                area=area,
                month=month,
                requested_by=actor,
                status__in=[ReportStatus.QUEUED, ReportStatus.RUNNING],
            )
            .first()
        )
        if pending is not None:
            return pending
        report = Report.objects.create(area=area, month=month, requested_by=actor)
        from dashboard.tasks import build_report

        transaction.on_commit(lambda: build_report.delay(report.pk))
    return report


def start_report(report_id: int) -> Report | None:
    """Claim a waiting report for building; None when it is built already, or another
    worker holds it (a redelivered message does nothing twice)."""
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(skip_locked=True)
            .filter(pk=report_id, status__in=[ReportStatus.QUEUED, ReportStatus.FAILED])
            .first()
        )
        if report is None:
            return None
        report.status, report.progress, report.error = ReportStatus.RUNNING, 0, ""
        report.save(update_fields=["status", "progress", "error"])
    return report


def report_progress(report: Report, percent: int) -> None:
    Report.objects.filter(pk=report.pk).update(progress=max(0, min(99, percent)))


def finish_report(report: Report, content: bytes, pdf: bytes | None = None) -> Report:
    """Store the workbook (and the PDF) and mark the report ready."""
    name = f"report-{report.area_id}-{report.month:%Y%m}-{report.pk}"
    with transaction.atomic():
        report.file.save(f"{name}.xlsx", ContentFile(content), save=False)
        if pdf is not None:
            report.pdf.save(f"{name}.pdf", ContentFile(pdf), save=False)
        report.status, report.progress = ReportStatus.DONE, 100
        report.finished_at = timezone.now()
        report.save(update_fields=["file", "pdf", "status", "progress", "finished_at"])
    return report


def fail_report(report: Report, error: str) -> None:
    Report.objects.filter(pk=report.pk).update(
        status=ReportStatus.FAILED, error=error[:200], finished_at=timezone.now()
    )


# --- the daily rollup (dashboard/rollup.py) --------------------------------------------------
# Cases changed this long before a refresh began are read live too: a transaction still open
# when the refresh read the cases commits with an earlier updated_at than its commit.
ROLLUP_MARGIN = timedelta(minutes=10)


def refresh_rollup(now=None) -> int:
    """Bring the daily rollup up to date: write again every closed day whose cases changed
    since the last refresh (or that closed since), or every day on the first run. A day's rows
    are deleted and written in one transaction, so running twice (a redelivered message, beat
    and a kick at once) gives the same rows; the state row's lock lets one refresh run at a
    time (a second waits, then finds little to do). Returns the number of days written."""
    from dashboard import rollup
    from dashboard.models import DailyCaseFigures, RollupState
    from services.models import Case

    now = now or timezone.now()
    today = timezone.localtime(now, rollup.TZ).date()
    with transaction.atomic():
        RollupState.objects.get_or_create(pk=1)
        state = RollupState.objects.select_for_update().get(pk=1)
        closed = Case.objects.filter(dispatched_at__lt=rollup.midnight(today))
        if state.covered_to is None or state.watermark is None:
            changed = closed
            DailyCaseFigures.objects.all().delete()
        else:
            changed = closed.filter(
                Q(updated_at__gte=state.watermark)
                | Q(dispatched_at__gte=rollup.midnight(state.covered_to))
            )
        days = sorted(
            changed.filter(dispatched_at__isnull=False)
            .annotate(r_day=TruncDate("dispatched_at", tzinfo=rollup.TZ))
            .values_list("r_day", flat=True)
            .distinct()
            .order_by()
        )
        DailyCaseFigures.objects.filter(day__in=days).delete()
        for chunk in range(0, len(days), 31):  # a month of days per read of the cases
            DailyCaseFigures.objects.bulk_create(
                rollup.day_rows(days[chunk : chunk + 31]), batch_size=2000
            )
        state.covered_to = today
        state.watermark = now - ROLLUP_MARGIN
        state.refreshed_at = now
        state.days_written = len(days)
        state.save()
    return len(days)
