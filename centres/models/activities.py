"""Activities (classes, lectures, festivals), sign-ups with a waitlist, and the in-site
notices residents get (promotion from the waitlist, reminders, surveys).

`Activity.confirmed_count` is kept by centres.actions under a row lock on the activity; the
database refuses a count above capacity, so a bug can never overbook silently."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centres.models.base import CENTRE_SCOPE_ROLES, Eligibility
from centres.models.spaces import new_code
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class ActivityKind(models.TextChoices):
    CLASS = "class", _("class")
    LECTURE = "lecture", _("lecture")
    FESTIVAL = "festival", _("festival")
    VISIT = "visit", _("visit or outing")
    OTHER = "other", _("other")


class SignUpStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed")
    WAITLISTED = "waitlisted", _("on the waitlist")
    CANCELLED = "cancelled", _("cancelled")


class Activity(Eligibility, TimeStampedModel):
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("centre"),
    )
    function = models.ForeignKey(
        "centres.Function",
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name=_("function"),
    )
    space = models.ForeignKey(
        "centres.Space",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("space"),
    )
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=ActivityKind.choices)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("places"))
    reserved_places = models.PositiveIntegerField(
        _("places reserved for priority groups"),
        default=0,
        help_text=_("Held for elderly living alone, 低保 households and disabled residents."),
    )
    signup_opens_at = models.DateTimeField(_("sign-up opens"), null=True, blank=True)
    signup_closes_at = models.DateTimeField(_("sign-up closes"), null=True, blank=True)
    cancel_deadline = models.DateTimeField(_("residents may cancel until"), null=True, blank=True)
    survey_question = models.CharField(_("follow-up survey question"), max_length=200, blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    confirmed_count = models.PositiveIntegerField(_("confirmed"), default=0, editable=False)
    waitlist_count = models.PositiveIntegerField(_("waiting"), default=0, editable=False)
    priority_confirmed = models.PositiveIntegerField(
        _("confirmed from priority groups"), default=0, editable=False
    )
    # The sign-up figures' counts (centres.figures): confirmed places and those checked in,
    # written by the database only (centres.sql.SIGNUP_COUNTS_SQL: triggers on the sign-ups,
    # and a guard that keeps every other writer's values out), so they always equal the rows.
    figs_confirmed = models.PositiveIntegerField(
        _("confirmed places (figures)"), default=0, editable=False
    )
    figs_checked_in = models.PositiveIntegerField(
        _("checked in (figures)"), default=0, editable=False
    )

    written_by = "centres.actions"  # create, update, change places, cancel (portal.write_path)
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = CENTRE_SCOPE_ROLES

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["centre", "starts_at"], name="centres_activity_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="centres_activity_period",
                violation_error_message=_("An activity must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(confirmed_count__lte=models.F("capacity")),
                name="centres_activity_not_overbooked",
                violation_error_message=_("More people confirmed than places."),
            ),
            models.CheckConstraint(
                condition=Q(priority_confirmed__lte=models.F("confirmed_count")),
                name="centres_activity_priority_within_confirmed",
                violation_error_message=_("More priority places than confirmed places."),
            ),
            models.CheckConstraint(
                condition=Q(figs_checked_in__lte=models.F("figs_confirmed")),
                name="centres_activity_figs_checked_in_within_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(reserved_places__lte=models.F("capacity")),
                name="centres_activity_reserved_within_capacity",
                violation_error_message=_("Reserved places cannot exceed the places."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.confirmed_count, 0)

    def clean(self) -> None:
        if self.function_id and self.centre_id and self.function.centre_id != self.centre_id:
            raise ValidationError({"function": _("Choose a function of this centre.")})
        if (
            self.space_id
            and self.centre_id
            and self.space is not None
            and self.space.centre_id != self.centre_id
        ):
            raise ValidationError({"space": _("Choose a space of this centre.")})
        if self.pk is None and self.capacity is not None and self.reserved_places > self.capacity:
            raise ValidationError(
                {"reserved_places": _("Reserved places cannot exceed the places.")}
            )

    def signup_open_at(self, moment=None) -> bool:
        moment = moment or timezone.now()
        return (
            self.is_published
            and not self.is_cancelled
            and (self.signup_opens_at is None or self.signup_opens_at <= moment)
            and (self.signup_closes_at is None or moment < self.signup_closes_at)
            and moment < self.starts_at
        )


class SignUp(TimeStampedModel):
    """One person's place (or waitlist entry) for one activity."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="signups", verbose_name=_("activity")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="centre_signups",
        verbose_name=_("account"),
    )
    resident = models.ForeignKey(
        "grids.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="centre_signups",
        verbose_name=_("resident"),
    )
    name = models.CharField(_("name"), max_length=60)
    status = models.CharField(_("status"), max_length=12, choices=SignUpStatus.choices)
    is_priority = models.BooleanField(_("priority group"), default=False)
    signed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed up by (代报名)"),
    )
    code = models.CharField(_("check-in code"), max_length=12, unique=True, default=new_code)
    promoted_at = models.DateTimeField(_("moved up from the waitlist at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
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
    survey_sent_at = models.DateTimeField(_("survey sent at"), null=True, blank=True)

    written_by = "centres.actions"  # sign up, cancel, promote, check in (portal.write_path)
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "activity__centre__community"
    scope_centre_field = "activity__centre"
    scope_user_field = "user"
    scope_roles = CENTRE_SCOPE_ROLES

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["activity", "status"], name="centres_signup_activity_status"),
            models.Index(fields=["user", "status"], name="centres_signup_user_status"),
            # The dashboard's sign-up figures (centres.figures): confirmed places per activity,
            # with the check-in, read from the index alone.
            models.Index(
                fields=["activity"],
                include=["checked_in_at"],
                condition=Q(status="confirmed"),
                name="centres_signup_figs_confirmed",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(resident__isnull=False),
                name="centres_signup_has_person",
                violation_error_message=_("A sign-up needs an account or a resident."),
            ),
            models.UniqueConstraint(
                fields=["activity", "user"],
                condition=Q(status__in=["confirmed", "waitlisted"], user__isnull=False),
                name="centres_signup_once_per_account",
                violation_error_message=_("You have already signed up for this activity."),
            ),
            models.UniqueConstraint(
                fields=["activity", "resident"],
                condition=Q(status__in=["confirmed", "waitlisted"], resident__isnull=False),
                name="centres_signup_once_per_resident",
                violation_error_message=_("This resident is already signed up."),
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | Q(status="confirmed"),
                name="centres_signup_checkin_only_confirmed",
                violation_error_message=_("Only a confirmed place can be checked in."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.activity}"
