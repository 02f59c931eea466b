"""Households and the residents who live in them.

Phone and ID numbers are stored here once and nowhere else; everything that shows them goes
through grids.privacy, which masks them unless the viewer's scope covers the household.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class ResidentTag(models.TextChoices):
    """Sensitive tags: shown only to roles that need them (grids.privacy.SENSITIVE_TAG_ROLES)."""

    DISABLED = "disabled", _("disability")
    SUBSISTENCE = "subsistence", _("subsistence support (低保)")
    LIVES_ALONE = "lives_alone", _("elderly living alone")
    MINOR = "minor", _("minor")


class Household(TimeStampedModel):
    """A household (户) at an address in a building (or straight in a grid in old lanes)."""

    building = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("building"),
    )
    room = models.CharField(_("room"), max_length=30)
    head_name = models.CharField(_("head of household"), max_length=60, blank=True)
    member_count = models.PositiveSmallIntegerField(_("members"), default=1)
    is_party_member_household = models.BooleanField(_("party-member household"), default=False)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "building"
    scope_household_field = "id"  # a resident reads their own household

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "room"],
                name="grids_household_unique_room",
                violation_error_message=_("This building already has a household in that room."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.building.name} {self.room}"


class Resident(TimeStampedModel):
    """A person living in a household. May have a portal account (`user`)."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="residents", verbose_name=_("household")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    relation = models.CharField(_("relation to head"), max_length=20, blank=True)
    disabled = models.BooleanField(_("disability"), default=False)
    subsistence = models.BooleanField(_("subsistence support (低保)"), default=False)
    lives_alone = models.BooleanField(_("elderly living alone"), default=False)
    verified = models.BooleanField(
        _("verified by staff"),
        default=False,
        help_text=_("Staff confirm a registered resident before household-only actions."),
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "household__building"
    scope_household_field = "household"  # ... and who lives in it (numbers masked)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [models.Index(fields=["phone"], name="grids_resident_phone")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_minor(self) -> bool:
        if not self.birth_date:
            return False
        today = timezone.localdate()
        age = (
            today.year
            - self.birth_date.year
            - ((today.month, today.day) < (self.birth_date.month, self.birth_date.day))
        )
        return age < 18
