"""The holiday calendar staff keep: the days, which years hold the State Council's notice, and
the log of changes whose deadlines the worker moves (services.actions.calendar).

chinesecalendar (the package) knows the years up to its release; a year after that is known
only once its notice is imported here. `services.calendar` reads all three."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.models.catalogue import CITY_WIDE_ROLES, CityWideQuerySet


class Holiday(models.Model):
    """One day whose working status differs from chinesecalendar (or that it does not know):
    a statutory holiday (is_workday=False) or an adjusted working weekend (is_workday=True).

    Written by services.actions (save_holiday, delete_holidays, import_holidays) only: every
    change is logged as a HolidayChange and moves the deadlines it crosses."""

    written_by = "services.actions"

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("is a working day"),
        default=False,
        help_text=_("Tick for an adjusted working weekend (调休上班); leave empty for a holiday."),
    )
    name = models.CharField(_("name"), max_length=40, blank=True)

    objects = CityWideQuerySet.as_manager()
    scope_roles = CITY_WIDE_ROLES

    class Meta:
        verbose_name = _("holiday or adjusted day")
        verbose_name_plural = _("holidays and adjusted days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class HolidayYear(models.Model):
    """A year whose holiday arrangement is in the Holiday table: imported from the State
    Council's notice (国务院办公厅关于某年部分节假日安排的通知). `provisional`: only the
    statutory days of the 放假办法 are in, the notice's 调休 is not yet — still a problem to
    show, as a year with nothing."""

    written_by = "services.actions"

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(_("source"), max_length=200)
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_("Only the statutory days; the notice's adjusted days are still missing."),
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    objects = CityWideQuerySet.as_manager()
    scope_roles = CITY_WIDE_ROLES

    class Meta:
        verbose_name = _("holiday year")
        verbose_name_plural = _("holiday years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} {self.source}"


class HolidayChange(models.Model):
    """One change of the holiday table (an edit, a deletion, an import) and its days whose
    working status changed: {"2027-01-01": [was a working day, is now]}. The worker moves
    the deadlines of open cases whose clocks cross these days (services.tasks.
    recompute_deadlines) and records here how many cases it moved and when it finished."""

    written_by = "services.actions"

    created_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    days = models.JSONField(_("changed days"), default=dict)
    cases_moved = models.PositiveIntegerField(_("cases moved"), default=0)
    finished_at = models.DateTimeField(_("deadlines recomputed at"), null=True, blank=True)

    objects = CityWideQuerySet.as_manager()
    scope_roles = CITY_WIDE_ROLES

    class Meta:
        verbose_name = _("holiday change")
        verbose_name_plural = _("holiday changes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.source}"
