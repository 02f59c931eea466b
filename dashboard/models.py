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
