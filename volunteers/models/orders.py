"""Time-bank orders: 点单 → 接单/派单 → check-in/out → 评单 → approval → points."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class ServiceCategory(models.Model):
    name = models.CharField(_("category name"), max_length=40, unique=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["sort", "name"]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    OPEN = "open", _("waiting for a volunteer")
    TAKEN = "taken", _("taken")
    IN_SERVICE = "in_service", _("in service")
    SERVED = "served", _("served, awaiting confirmation")
    CONFIRMED = "confirmed", _("confirmed, awaiting approval")
    SETTLED = "settled", _("福分 awarded")
    CANCELLED = "cancelled", _("cancelled")


class ServiceOrder(TimeStampedModel):
    written_by = "volunteers.actions"  # portal.write_path: only its operations change rows

    community = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="service_orders",
        verbose_name=_("resident served"),
    )
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ordered by"),
    )
    category = models.ForeignKey(
        ServiceCategory, on_delete=models.PROTECT, verbose_name=_("category")
    )
    description = models.TextField(_("what is needed"))
    place = models.CharField(_("place"), max_length=120)
    scheduled_at = models.DateTimeField(_("when"))
    estimated_hours = models.DecimalField(
        _("estimated hours"), max_digits=4, decimal_places=2, default=Decimal("1")
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default="open", db_index=True
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("volunteer"),
    )
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("check-in time"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("check-out time"), null=True, blank=True)
    hours = models.DecimalField(
        _("hours credited"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=200, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    auto_confirmed = models.BooleanField(_("confirmed automatically"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    settled_at = models.DateTimeField(_("points awarded at"), null=True, blank=True)
    flagged_at = models.DateTimeField(_("flagged untaken at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"
    scope_user_field = "requester"

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="volunteers_order_rating_1_5",
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=models.F("checked_in_at")),
                name="volunteers_order_out_after_in",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(status="cancelled") | Q(volunteer__isnull=False),
                name="volunteers_order_volunteer_when_taken",
            ),
        ]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="volunteers_order_open")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category} · {self.place}"
