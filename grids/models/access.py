"""The access log of private numbers: who saw whose full phone or ID number, when and why.

Append-only: on PostgreSQL a trigger refuses every UPDATE and DELETE (migration 0007), so not
even the admin or a shell can rewrite history; the admin offers no add, change or delete.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models.roles import OFFICE_ROLES
from grids.querysets import ScopedQuerySet


class PrivateField(models.TextChoices):
    PHONE = "phone", _("mobile phone")
    ID_NUMBER = "id_number", _("ID number")


class AccessLog(models.Model):
    """One reveal of one full number. Rows reference people without database foreign keys so
    the log outlives the accounts and residents it names."""

    written_by = "grids.privacy"  # reveal() appends; nothing changes a row (a trigger)

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("seen by"),
    )
    viewer_name = models.CharField(_("seen by (name)"), max_length=150)
    # A resident of the register, or none when the number belongs to a record instead (a
    # case's reporter, who need not be in the register): `record` then names it.
    resident = models.ForeignKey(
        "grids.Resident",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    resident_name = models.CharField(_("resident (name)"), max_length=60)
    record = models.CharField(_("on record"), max_length=40, blank=True)
    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("building"),
    )
    field = models.CharField(_("number"), max_length=12, choices=PrivateField.choices)
    reason = models.CharField(_("reason"), max_length=200)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "area"
    # Supervisors read the log of their area; nobody writes it except grids.privacy.reveal.
    scope_roles = {
        "view": OFFICE_ROLES,
        "add": frozenset(),
        "change": frozenset(),
        "delete": frozenset(),
    }

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["resident", "at"], name="grids_accesslog_resident")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.viewer_name} → {self.resident_name}"
