"""Micro-wishes 微心愿 and recognition (star schemes, numbered certificates)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class WishStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the community's review")
    REFUSED = "refused", _("not put on the wall")
    OPEN = "open", _("waiting to be claimed")
    CLAIMED = "claimed", _("claimed")
    FULFILLED = "fulfilled", _("fulfilled")


# The states in which a wish is on the public wall (the community has approved it).
ON_THE_WALL = (WishStatus.OPEN, WishStatus.CLAIMED, WishStatus.FULFILLED)


class MicroWish(TimeStampedModel):
    """A small wish of a resident in need. `beneficiary` and `contact` are private: the
    public wall shows only the title, the community, the status and the photo. A resident's
    wish waits for the community's review (pending) before it goes on the wall (open), or is
    refused with a reason; a wish the community's staff post is approved by posting it."""

    written_by = "volunteers.actions"  # portal.write_path: only its operations change rows

    community = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("wish"), max_length=80)
    beneficiary = models.CharField(_("for whom (private)"), max_length=60)
    contact = models.CharField(_("contact (private)"), max_length=60, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=WishStatus.choices,
        default=WishStatus.PENDING,
        db_index=True,
    )
    wish_photo = models.ImageField(_("photo of the wish"), upload_to="wishes/%Y/%m/", blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    moderated_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    refusal_reason = models.CharField(_("reason for refusing"), max_length=200, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimed_wishes",
        verbose_name=_("claimed by"),
    )
    claimed_unit = models.ForeignKey(
        "grids.CoBuildingUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claimed by unit"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    photo = models.ImageField(
        _("photo of the fulfilled wish"), upload_to="wishes/%Y/%m/", blank=True
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"
    scope_user_field = "claimed_by"
    scope_unit_field = "claimed_unit"

    class Meta:
        verbose_name = _("micro-wish")
        verbose_name_plural = _("micro-wishes")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                name="volunteers_wish_refused_with_reason",
            )
        ]

    def __str__(self) -> str:
        return self.title


DEFAULT_STARS = "100,300,600,1000,1500"


class StarScheme(TimeStampedModel):
    """Star thresholds in hours for a region (the nearest scheme up the area tree applies)."""

    area = models.OneToOneField(
        "grids.Area", on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    thresholds = models.CharField(_("hours for 1–5 stars"), max_length=60, default=DEFAULT_STARS)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "area"

    class Meta:
        verbose_name = _("star scheme")
        verbose_name_plural = _("star schemes")

    def __str__(self) -> str:
        return f"{self.area}: {self.thresholds}"

    def hours(self) -> list[int]:
        return [int(x) for x in self.thresholds.split(",") if x.strip()]


class Certificate(TimeStampedModel):
    """A numbered service-hours proof issued by the community (谁记录谁证明)."""

    written_by = "volunteers.actions"  # portal.write_path: only its operations change rows

    number = models.CharField(_("number"), max_length=40, unique=True)
    volunteer = models.ForeignKey(
        "volunteers.Volunteer", on_delete=models.PROTECT, related_name="certificates"
    )
    community = models.ForeignKey("grids.Area", on_delete=models.PROTECT, related_name="+")
    hours = models.DecimalField(_("hours"), max_digits=8, decimal_places=2)
    content = models.TextField(_("service content"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"
    scope_user_field = "volunteer__user"

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.number
