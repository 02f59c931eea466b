"""What the city and communities configure: the flow presets (四会, 两议两评两公开), the kinds
of matter with their voting rules, each community's co-signing threshold per kind, and the
owners' floor areas that weigh votes on an estate's maintenance fund."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from deliberation.models.choices import MeetingKind, Share, VoteUnit
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class Preset(TimeStampedModel):
    """A configuration of the one flow: which of the 四会 a matter goes through (in order),
    whether the plan is made public before the vote, and whether residents evaluate the
    result. "两议两评两公开" is a preset, not a second flow."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    meetings = ArrayField(
        models.CharField(max_length=16, choices=MeetingKind.choices),
        verbose_name=_("meetings, in order"),
        default=list,
        blank=True,
    )
    publish_plan = models.BooleanField(_("publish the plan before the vote (公开)"), default=False)
    evaluate = models.BooleanField(_("residents evaluate the result (评)"), default=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("flow preset")
        verbose_name_plural = _("flow presets")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MatterKind(TimeStampedModel):
    """A kind of matter (环境整治, 维修资金使用 …) with its default rules; a matter copies them
    when it is raised, so changing a kind never changes a vote under way."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    preset = models.ForeignKey(
        Preset, on_delete=models.PROTECT, related_name="kinds", verbose_name=_("flow preset")
    )
    vote_unit = models.CharField(
        _("who votes"), max_length=16, choices=VoteUnit.choices, default=VoteUnit.HOUSEHOLD
    )
    quorum = models.CharField(
        _("quorum (share of the eligible taking part)"),
        max_length=16,
        choices=Share.choices,
        default=Share.HALF,
    )
    majority = models.CharField(
        _("majority (share of those taking part in favour)"),
        max_length=16,
        choices=Share.choices,
        default=Share.HALF,
    )
    weighted_by_area = models.BooleanField(
        _("owners vote weighted by floor area"),
        default=False,
        help_text=_(
            "For matters the law gives to owners (an estate's maintenance fund): only registered "
            "owners vote, and quorum and majority must be reached both by owners and by floor "
            "area."
        ),
    )
    secret = models.BooleanField(_("secret ballot"), default=False)
    cosign_threshold = models.PositiveIntegerField(
        _("co-signers needed (default)"), default=10, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("kind of matter")
        verbose_name_plural = _("kinds of matter")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(weighted_by_area=True, vote_unit=VoteUnit.PERSON),
                name="deliberation_kind_weighted_by_household",
                violation_error_message=_("Votes weighted by floor area are one per household."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class CosignThreshold(TimeStampedModel):
    """A community's own co-signing threshold for a kind of matter."""

    community = models.ForeignKey(
        "grids.Area",
        on_delete=models.CASCADE,
        related_name="cosign_thresholds",
        verbose_name=_("community"),
        limit_choices_to={"kind": "community"},
    )
    kind = models.ForeignKey(
        MatterKind, on_delete=models.CASCADE, related_name="thresholds", verbose_name=_("kind")
    )
    threshold = models.PositiveIntegerField(
        _("co-signers needed"), validators=[MinValueValidator(1)]
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"

    class Meta:
        verbose_name = _("co-signing threshold")
        verbose_name_plural = _("co-signing thresholds")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind"],
                name="deliberation_threshold_unique",
                violation_error_message=_("This community already has a threshold for that kind."),
            ),
            models.CheckConstraint(
                condition=models.Q(threshold__gte=1), name="deliberation_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.kind} · {self.threshold}"


class OwnerShare(TimeStampedModel):
    """A household registered as owner (业主) with its exclusive floor area (专有部分面积), the
    weight of its vote on matters weighted by area."""

    household = models.OneToOneField(
        "grids.Household",
        on_delete=models.CASCADE,
        related_name="owner_share",
        verbose_name=_("household"),
    )
    floor_area = models.DecimalField(_("floor area (m²)"), max_digits=8, decimal_places=2)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "household__building"

    class Meta:
        verbose_name = _("owner's floor area")
        verbose_name_plural = _("owners' floor areas")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(floor_area__gt=0),
                name="deliberation_owner_area_positive",
                violation_error_message=_("The floor area must be more than zero."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.household} · {self.floor_area} m²"
