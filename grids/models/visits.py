"""The visit log of households (入户走访 / 经常访): when a grid worker last saw a household, how,
and what came of it. The places pages list the households nobody has seen for too long first
(settings.LINLI["VISIT_DUE_DAYS"], shorter for priority households: VISIT_PRIORITY_DAYS)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models.roles import TERRITORIAL_ROLES
from grids.querysets import ScopedQuerySet

NOTE_MAX = 1000


class VisitKind(models.TextChoices):
    HOME = "home", _("home visit (入户走访)")
    PHONE = "phone", _("phone follow-up (电话回访)")
    REGULAR = "regular", _("regular visit to a priority household (经常访)")


class HouseholdVisit(models.Model):
    """One visit to one household by one grid worker. Written only by
    grids.actions.record_visit; a record of what happened, so nothing edits or deletes it."""

    written_by = "grids.actions"

    household = models.ForeignKey(
        "grids.Household",
        on_delete=models.CASCADE,
        related_name="visits",
        verbose_name=_("household"),
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="household_visits",
        verbose_name=_("visited by"),
    )
    visited_on = models.DateField(_("visited on"))
    recorded_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    kind = models.CharField(_("kind of visit"), max_length=12, choices=VisitKind.choices)
    note = models.TextField(_("visit notes"), max_length=NOTE_MAX)
    # A case raised after the visit, by its number (the case engine sits above grids).
    follow_up_case = models.CharField(_("follow-up case"), max_length=16, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "household__building"
    scope_roles = {
        "view": frozenset(TERRITORIAL_ROLES),
        "add": frozenset(TERRITORIAL_ROLES),
        "change": frozenset(),
        "delete": frozenset(),
    }

    class Meta:
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")
        ordering = ["-visited_on", "-recorded_at"]
        indexes = [
            models.Index(fields=["household", "-visited_on"], name="grids_visit_household"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.get_kind_display()}"
