"""Rewards (shop discounts, housekeeping hours, 爱心超市 goods) and the vouchers that
redemption issues."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class RewardKind(models.TextChoices):
    DISCOUNT = "discount", _("shop discount")
    HOUSEKEEPING = "housekeeping", _("housekeeping hours")
    GOODS = "goods", _("charity-shop goods")


class Reward(TimeStampedModel):
    community = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=14, choices=RewardKind.choices)
    cost = models.BigIntegerField(_("cost (1/100 point)"))
    stock = models.IntegerField(_("stock"))
    active = models.BooleanField(_("on offer"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="volunteers_reward_stock"),
            models.CheckConstraint(condition=Q(cost__gt=0), name="volunteers_reward_cost"),
        ]

    def __str__(self) -> str:
        return self.name


class Voucher(TimeStampedModel):
    written_by = "volunteers.actions"  # portal.write_path: only its operations change rows

    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="vouchers")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("holder"),
    )
    code = models.CharField(_("code"), max_length=16, unique=True)
    cost = models.BigIntegerField(_("points paid (1/100)"))
    transaction = models.OneToOneField(
        "volunteers.LedgerTransaction", on_delete=models.PROTECT, related_name="voucher"
    )
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scanned by"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "reward__community"
    scope_user_field = "holder"

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")

    def __str__(self) -> str:
        return self.code
