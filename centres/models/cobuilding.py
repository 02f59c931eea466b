"""Co-building (共建): agreements between units and centres, the three lists (三张清单:
a community's needs, a unit's resources and services) and the order flow
居民点单 → 社区下单 → 单位接单, with quotas the database keeps."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from centres.models.base import TERRITORY_SCOPE_ROLES
from grids.models.roles import TERRITORIAL_ROLES, Role
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel

COBUILDING_SCOPE_ROLES = {
    **TERRITORY_SCOPE_ROLES,
    "view": TERRITORY_SCOPE_ROLES["view"] | {Role.UNIT_MEMBER},
    "change": frozenset(TERRITORIAL_ROLES) - {Role.GRID_WORKER} | {Role.UNIT_MEMBER},
}


class ListKind(models.TextChoices):
    NEED = "need", _("needs list (community)")
    RESOURCE = "resource", _("resource list (unit)")
    SERVICE = "service", _("service list (unit)")


class OrderStatus(models.TextChoices):
    REQUESTED = "requested", _("requested by a resident (居民点单)")
    PLACED = "placed", _("placed by the community (社区下单)")
    ACCEPTED = "accepted", _("accepted by the unit (单位接单)")
    COMPLETED = "completed", _("completed")
    DECLINED = "declined", _("declined")
    CANCELLED = "cancelled", _("cancelled")


class Agreement(TimeStampedModel):
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        related_name="agreements",
        verbose_name=_("centre"),
    )
    unit = models.ForeignKey(
        "grids.CoBuildingUnit",
        on_delete=models.CASCADE,
        related_name="centre_agreements",
        verbose_name=_("unit"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    commitments = models.TextField(_("commitments"))

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_unit_field = "unit"
    scope_roles = COBUILDING_SCOPE_ROLES

    class Meta:
        verbose_name = _("co-building agreement")
        verbose_name_plural = _("co-building agreements")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="centres_agreement_period",
                violation_error_message=_("An agreement must end on or after its start."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.centre}"


class ListItem(TimeStampedModel):
    """One line of the three lists. A need belongs to a centre's community; resources and
    services to a unit (offered at a centre). `quota` is how many orders the unit will take;
    `claimed` how many it has accepted (the database keeps claimed ≤ quota)."""

    kind = models.CharField(_("list"), max_length=10, choices=ListKind.choices)
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        related_name="list_items",
        verbose_name=_("centre"),
    )
    unit = models.ForeignKey(
        "grids.CoBuildingUnit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="centre_list_items",
        verbose_name=_("unit"),
    )
    function = models.ForeignKey(
        "centres.Function",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="list_items",
        verbose_name=_("function"),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    quota = models.PositiveIntegerField(_("quota"), default=0)
    claimed = models.PositiveIntegerField(_("accepted so far"), default=0, editable=False)
    is_open = models.BooleanField(_("open"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_unit_field = "unit"
    scope_roles = COBUILDING_SCOPE_ROLES

    class Meta:
        verbose_name = _("list item")
        verbose_name_plural = _("three lists (三张清单)")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="need") & Q(unit__isnull=True))
                | (~Q(kind="need") & Q(unit__isnull=False)),
                name="centres_listitem_owner",
                violation_error_message=_(
                    "Needs belong to the community; resources and services to a unit."
                ),
            ),
            models.CheckConstraint(
                condition=Q(claimed__lte=models.F("quota")) | Q(kind="need"),
                name="centres_listitem_within_quota",
                violation_error_message=_("The unit's quota is used up."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # The database refuses it too (centres_listitem_within_quota); this words it for the form.
        if self.kind != ListKind.NEED and self.quota is not None and self.quota < self.claimed:
            raise ValidationError(
                {
                    "quota": _(
                        "The unit has accepted %(n)s orders already: the quota is at least %(n)s."
                    )
                    % {"n": self.claimed}
                }
            )


class Order(TimeStampedModel):
    item = models.ForeignKey(
        ListItem, on_delete=models.PROTECT, related_name="orders", verbose_name=_("service")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="centre_orders",
        verbose_name=_("requested by"),
    )
    note = models.TextField(_("what is needed"), blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )
    placed_at = models.DateTimeField(_("placed at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    promise_kept = models.BooleanField(_("promise kept (践诺)"), null=True, blank=True)

    written_by = "centres.actions"  # request, place, accept, complete (portal.write_path)
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "item__centre__community"
    scope_centre_field = "item__centre"
    scope_unit_field = "item__unit"
    scope_user_field = "requested_by"
    scope_roles = COBUILDING_SCOPE_ROLES

    class Meta:
        verbose_name = _("co-building order")
        verbose_name_plural = _("co-building orders")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.item} · {self.get_status_display()}"
