"""Organisations that are not territory: handling departments and co-building units."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class Department(TimeStampedModel):
    """A functional department or office that handles cases (城管, 住建, 街道办 …).

    Department handlers are scoped to their department's work, not to a territory; `area` is
    the jurisdiction the department serves (a district bureau sits on the district)."""

    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="departments", verbose_name=_("area")
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "area"

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(
                fields=["area", "name"],
                name="grids_department_unique_name",
                violation_error_message=_("This area already has a department of that name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class CoBuildingUnit(TimeStampedModel):
    """A unit (company, school, agency) that reports to a community under 双报到."""

    name = models.CharField(_("name"), max_length=120)
    home_community = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="cobuilding_units",
        verbose_name=_("community reported to"),
        limit_choices_to={"kind": "community"},
    )
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    has_party_org = models.BooleanField(_("has a party organisation"), default=False)
    reported_on = models.DateField(_("reported on"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "home_community"

    class Meta:
        verbose_name = _("co-building unit")
        verbose_name_plural = _("co-building units")

    def __str__(self) -> str:
        return self.name
