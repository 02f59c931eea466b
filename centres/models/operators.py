"""Third-party operators (the whitelist 白名单), their contracts with centres, and the services
offered at a centre."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from centres.models.base import CENTRE_SCOPE_ROLES, TERRITORY_SCOPE_ROLES, Eligibility
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class OperatorStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved (on the whitelist)")
    SUSPENDED = "suspended", _("suspended")


class PriceTier(models.TextChoices):
    FREE = "free", _("零收费公益 free public-good")
    AT_COST = "at_cost", _("零差价基础 basic, at cost")
    LOW_MARGIN = "low_margin", _("低收益特色 specialty, low margin")


class OperatorQuerySet(ScopedQuerySet):
    """Operators are whitelisted by a street or district (`area`); community staff and the
    operator's own centre staff see those contracted with centres they cover."""

    def _q(self, user, action: str) -> Q:
        from grids.scope import scope_for

        scope = scope_for(user)
        if scope.is_superuser:
            return Q()
        q = scope.area_q("area") if scope.area_paths else Q(pk__in=[])
        contracts = OperatorContract.objects.filter(scope.q_for(OperatorContract, action)).values(
            "operator_id"
        )
        return q | Q(pk__in=contracts)

    def visible_to(self, user):
        return self.filter(self._q(user, "view"))

    def changeable_by(self, user):
        from grids.scope import scope_for

        # Only those who keep the whitelist (territorial staff above the centre) change it.
        return (
            self.filter(scope_for(user).area_q("area"))
            if not scope_for(user).is_superuser
            else self.all()
        )


class Operator(TimeStampedModel):
    """A social organisation or company that runs services at centres."""

    name = models.CharField(_("name"), max_length=120)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="centre_operators",
        verbose_name=_("whitelisted by"),
        help_text=_("The street or district that keeps this operator on its whitelist."),
    )
    status = models.CharField(
        _("whitelist status"),
        max_length=12,
        choices=OperatorStatus.choices,
        default=OperatorStatus.PENDING,
        db_index=True,
    )
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    note = models.TextField(_("note"), blank=True)

    objects = OperatorQuerySet.as_manager()
    scope_area_field = "area"
    scope_roles = TERRITORY_SCOPE_ROLES

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")

    def __str__(self) -> str:
        return self.name


class OperatorContract(TimeStampedModel):
    """A period during which an operator runs services at a centre."""

    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="contracts", verbose_name=_("operator")
    )
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        related_name="contracts",
        verbose_name=_("centre"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    government_funded = models.BooleanField(_("bought by government"), default=True)
    terms = models.TextField(_("terms"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = TERRITORY_SCOPE_ROLES

    class Meta:
        verbose_name = _("operator contract")
        verbose_name_plural = _("operator contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="centres_contract_period",
                violation_error_message=_("A contract must end on or after its start."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.operator} · {self.centre} ({self.starts_on}–{self.ends_on})"


class Service(Eligibility, TimeStampedModel):
    """A service offered at a centre under one of its functions."""

    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        related_name="services",
        verbose_name=_("centre"),
    )
    function = models.ForeignKey(
        "centres.Function",
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("function"),
    )
    operator = models.ForeignKey(
        Operator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("operator"),
        help_text=_("Empty when the community runs it itself."),
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    price_tier = models.CharField(
        _("price tier"), max_length=12, choices=PriceTier.choices, default=PriceTier.FREE
    )
    price = models.DecimalField(_("price (yuan)"), max_digits=8, decimal_places=2, default=0)
    price_unit = models.CharField(_("per"), max_length=20, blank=True)
    schedule = models.CharField(_("when"), max_length=120, blank=True)
    how_to_get = models.TextField(_("how to get it"), blank=True)
    is_active = models.BooleanField(_("offered"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = CENTRE_SCOPE_ROLES

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["function__sort", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(price_tier="free") | Q(price=0),
                name="centres_service_free_is_free",
                violation_error_message=_("A free public-good service has a price of 0."),
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="centres_service_price_positive",
                violation_error_message=_("A price cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.function_id and self.centre_id and self.function.centre_id != self.centre_id:
            raise ValidationError({"function": _("Choose a function of this centre.")})


class ServiceVisit(models.Model):
    """One time a service was given (a meal served, a blood-pressure check, a bath at home):
    what the figures count as "services given". Staff or the operator record it."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="visits", verbose_name=_("service")
    )
    at = models.DateTimeField(_("when"), db_index=True)
    quantity = models.PositiveIntegerField(_("times"), default=1)
    resident_name = models.CharField(_("for"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        "portal.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "service__centre__community"
    scope_centre_field = "service__centre"
    scope_roles = CENTRE_SCOPE_ROLES

    class Meta:
        verbose_name = _("service given")
        verbose_name_plural = _("services given")
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="centres_visit_quantity",
                violation_error_message=_("Record at least one."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.at:%Y-%m-%d}"
