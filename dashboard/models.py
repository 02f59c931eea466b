"""The monthly report (月报): one area, one month, an Excel workbook built by a Celery task
(dashboard.tasks.build_report) and kept for download. Written only by dashboard.actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting to be built")
    RUNNING = "running", _("being built")
    DONE = "done", _("ready")
    FAILED = "failed", _("could not be built")


class Report(models.Model):
    written_by = "dashboard.actions"  # portal.write_path: only its operations change rows

    area = models.ForeignKey(
        "grids.Area", on_delete=models.CASCADE, related_name="+", verbose_name=_("area")
    )
    month = models.DateField(_("month"))  # the first day
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("asked for by"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("workbook"), upload_to="reports/%Y/%m/", blank=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/%Y/%m/", blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "area"

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["area", "month"], name="dashboard_report_area_month")]

    def __str__(self) -> str:
        return f"{self.area} {self.month:%Y-%m}"


class DailyCaseFigures(models.Model):
    """The daily rollup of the 12345 figures (dashboard/rollup.py): for each closed day (the
    local date of dispatch), each street (the place's path cut at ROLLUP_DEPTH) and each class
    the KPI settings may leave out, the counts services.kpis.daily_aggregates gives. Figures
    for a district or a street read these rows for closed days and the cases themselves for
    today and for the days changed since the refresh. Rebuilt a day at a time by
    dashboard.actions.refresh_rollup (a day's rows are deleted and written again: idempotent)."""

    written_by = "dashboard.actions"

    day = models.DateField(_("day"))
    area_path = models.CharField(_("area path"), max_length=64)
    # "not_accepted", "merged" or "" (every other state): the states KpiConfig may leave out.
    excluded = models.CharField(_("left out as"), max_length=12, blank=True)
    malicious = models.BooleanField(_("malicious"), default=False)
    dispatched = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    called_back = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    resolved_on_time = models.PositiveIntegerField(default=0)
    resolved_late = models.PositiveIntegerField(default=0)
    handling_total = models.DurationField(null=True, blank=True)
    proactive = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily case figures")
        verbose_name_plural = _("daily case figures")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "area_path", "excluded", "malicious"],
                name="dashboard_daily_one_row",
            ),
            models.CheckConstraint(
                condition=models.Q(excluded__in=["", "not_accepted", "merged"]),
                name="dashboard_daily_excluded_known",
            ),
        ]
        indexes = [models.Index(fields=["area_path", "day"], name="dashboard_daily_area_day")]

    def __str__(self) -> str:
        return f"{self.area_path} {self.day}"


class RollupState(models.Model):
    """How far the daily rollup reaches (one row): every day before `covered_to` is in it, as
    the cases stood at `watermark`; cases changed since then are read live (their days)."""

    written_by = "dashboard.actions"

    covered_to = models.DateField(_("closed days up to"), null=True, blank=True)
    watermark = models.DateTimeField(_("cases as of"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    days_written = models.PositiveIntegerField(_("days written by the last refresh"), default=0)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="dashboard_rollup_one_row")
        ]

    def __str__(self) -> str:
        return f"{self.covered_to}"
