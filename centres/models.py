"""Neighbourhood centres (the 1+6+X centres). Extended by the centres issue."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class Centre(TimeStampedModel):
    """A party-led neighbourhood centre (党群服务中心 / 邻里中心) of one community."""

    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="centres",
        verbose_name=_("community"),
        limit_choices_to={"kind": "community"},
    )
    address = models.CharField(_("address"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"
    scope_centre_field = "pk"

    class Meta:
        verbose_name = _("centre")
        verbose_name_plural = _("centres")

    def __str__(self) -> str:
        return self.name
