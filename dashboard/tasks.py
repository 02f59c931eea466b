"""Celery tasks of the dashboard: building the monthly report's workbook."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import translation

from dashboard import actions
from dashboard.reports import files

logger = logging.getLogger("dashboard.tasks")


@shared_task(acks_late=True)
def build_report(report_id: int) -> str:
    """Build one report's workbook and PDF; idempotent (a report already built or being built by
    another worker is left alone). Progress is written to the row as the sheets are made."""
    report = actions.start_report(report_id)
    if report is None:
        return "skipped"
    try:
        with translation.override("zh-hans"):
            content, pdf = files(report, lambda pct: actions.report_progress(report, pct))
    except Exception as exc:  # the row says it failed; the log keeps the trace
        logger.exception("report %s failed", report_id)
        actions.fail_report(report, str(exc) or exc.__class__.__name__)
        return "failed"
    actions.finish_report(report, content, pdf)
    return "done"


@shared_task(acks_late=True)
def refresh_rollup() -> int:
    """Bring the daily rollup of the 12345 figures up to date (dashboard.actions.refresh_rollup:
    idempotent, one at a time). Run by beat; the figures are exact whenever it last ran (days
    changed since are read live), so its period only trades the live share against work."""
    from django.conf import settings

    if not settings.LINLI.get("DASHBOARD_ROLLUP", True):
        return 0
    return actions.refresh_rollup()
