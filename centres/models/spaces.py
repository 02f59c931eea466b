"""Spaces residents and units book (rooms, halls, day-care beds), blackouts and bookings.

No two live bookings of one space overlap: an exclusion constraint over
tstzrange(starts_at, ends_at, '[)') per space (Booking.Meta; btree_gist for the `=` on the
space) says so in the database, whatever writes the row; centres.actions.book_space checks the
same under the space's row lock first so people get a message that names the conflicting slot."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from centres.models.base import CENTRE_SCOPE_ROLES
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


def new_code() -> str:
    """A short code for the QR a resident shows at the door (unguessable, easy to type)."""
    return secrets.token_hex(5).upper()


class SpaceKind(models.TextChoices):
    ROOM = "room", _("room")
    HALL = "hall", _("hall")
    DAYCARE_BED = "daycare_bed", _("day-care bed")
    DELIBERATION = "deliberation", _("deliberation hall (议事厅)")
    OTHER = "other", _("other")


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    CONFIRMED = "confirmed", _("confirmed")
    USED = "used", _("used (checked in)")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


LIVE_BOOKING = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.USED)


class TsTzRange(Func):
    """tstzrange(start, end, bounds): the period a booking holds its space."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Space(TimeStampedModel):
    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.CASCADE, related_name="spaces", verbose_name=_("centre")
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=16, choices=SpaceKind.choices)
    capacity = models.PositiveIntegerField(_("capacity"), default=1)
    bookable = models.BooleanField(_("residents and units may book"), default=True)
    needs_approval = models.BooleanField(_("bookings need staff approval"), default=False)
    opens = models.TimeField(_("bookable from"), default="08:00")
    closes = models.TimeField(_("bookable until"), default="21:00")
    is_active = models.BooleanField(_("in use"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = CENTRE_SCOPE_ROLES

    class Meta:
        verbose_name = _("space")
        verbose_name_plural = _("spaces")
        ordering = ["centre", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lt=models.F("closes")),
                name="centres_space_hours",
                violation_error_message=_("Bookable hours must end after they start."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre} · {self.name}"


class Blackout(models.Model):
    """A period a space (or, with no space, every space of the centre) cannot be booked."""

    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        related_name="blackouts",
        verbose_name=_("centre"),
    )
    space = models.ForeignKey(
        Space,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="blackouts",
        verbose_name=_("space"),
        help_text=_("Empty: every space of the centre."),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=100)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = CENTRE_SCOPE_ROLES

    class Meta:
        verbose_name = _("blackout")
        verbose_name_plural = _("blackouts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="centres_blackout_period",
                violation_error_message=_("A blackout must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.reason


class Booking(TimeStampedModel):
    space = models.ForeignKey(
        Space, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("space")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    status = models.CharField(
        _("status"), max_length=12, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="centre_bookings",
        verbose_name=_("booked by"),
    )
    unit = models.ForeignKey(
        "grids.CoBuildingUnit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="centre_bookings",
        verbose_name=_("for unit"),
    )
    purpose = models.CharField(_("purpose"), max_length=200)
    attendees = models.PositiveIntegerField(_("people"), default=1)
    series = models.UUIDField(_("recurring series"), null=True, blank=True, db_index=True)
    code = models.CharField(_("check-in code"), max_length=12, unique=True, default=new_code)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    written_by = "centres.actions"  # book, decide, cancel, check in (portal.write_path)
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "space__centre__community"
    scope_centre_field = "space__centre"
    scope_user_field = "booked_by"
    scope_roles = CENTRE_SCOPE_ROLES

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["space", "starts_at"], name="centres_booking_space_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="centres_booking_period",
                violation_error_message=_("A booking must end after it starts."),
            ),
            # Back-to-back bookings are fine: the period is half-open ('[)').
            ExclusionConstraint(
                name="centres_booking_no_overlap",
                index_type="gist",
                expressions=[
                    (F("space"), RangeOperators.EQUAL),
                    (
                        TsTzRange("starts_at", "ends_at", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(status__in=LIVE_BOOKING),
                violation_error_message=_("The space is already booked then."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space.name} {self.starts_at:%Y-%m-%d %H:%M}"
