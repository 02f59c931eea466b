"""Rewards (shop discounts, housekeeping hours, 爱心超市 goods), the vouchers that redemption
issues, and the 通存通兑 agreements under which a member spends 福分 in a partner community."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from grids.querysets import PeriodQuerySet, ScopedQuerySet
from portal.models import TimeStampedModel


class RewardKind(models.TextChoices):
    DISCOUNT = "discount", _("shop discount")
    HOUSEKEEPING = "housekeeping", _("housekeeping hours")
    GOODS = "goods", _("charity-shop goods")


class Reward(TimeStampedModel):
    community = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    name = models.CharField(_("reward name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=14, choices=RewardKind.choices)
    cost = models.BigIntegerField(_("price (1/100 福分)"))
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
    cost = models.BigIntegerField(_("福分 paid (1/100)"))
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


class ExchangeAgreement(TimeStampedModel):
    """通存通兑: the members of `community` may spend their 福分 on the rewards of `partner`
    (and, through the twin row written with it, the other way round) while the agreement
    holds. Without one, a member redeems only in their own community. Made and ended by
    actions.make_agreement / end_agreement, which write both directions at once, so each
    community's staff see the agreement in their own scope."""

    written_by = "volunteers.actions"  # portal.write_path: only its operations change rows

    community = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    partner = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("partner community"),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = PeriodQuerySet.as_manager()
    scope_area_field = "community"

    class Meta:
        verbose_name = _("通存通兑 agreement")
        verbose_name_plural = _("通存通兑 agreements")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "partner"], name="volunteers_agreement_one_per_pair"
            ),
            models.CheckConstraint(
                condition=~Q(community=F("partner")), name="volunteers_agreement_two_communities"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="volunteers_agreement_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community} ⇄ {self.partner}"
