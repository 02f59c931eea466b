"""One-stop affairs (事有所办): the catalogue of government service items handled at centres,
appointment slots (including off-hours 错时 slots) and the record of each appointment."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from centres.models.base import AFFAIRS_SCOPE_ROLES, CENTRE_SCOPE_ROLES, Eligibility
from centres.models.spaces import new_code
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class AffairChannel(models.TextChoices):
    AT_CENTRE = "at_centre", _("at the centre")
    PROXY = "proxy", _("proxy handling (帮代办)")
    HOME_VISIT = "home_visit", _("home visit (上门服务)")
    ONLINE = "online", _("provincial online service")


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("booked")
    DONE = "done", _("handled")
    REFERRED = "referred", _("referred on")
    NO_SHOW = "no_show", _("did not come")
    CANCELLED = "cancelled", _("cancelled")


class AffairItemQuerySet(ScopedQuerySet):
    """The catalogue hangs on the tree by `area`: the city's items, then a district's or a
    street's own. Staff change the items of the areas they cover (grids.scope, as for any
    scoped model: the city's only who covers the city) and read, besides, the items that apply
    where they work (on an area above theirs or above their centres)."""

    def offered_at(self, centre) -> models.QuerySet:
        """The active items residents may use at `centre`: those of its community and above."""
        return self.filter(is_active=True, area__path__in=_ancestor_paths(centre.community.path))

    def visible_to(self, user) -> models.QuerySet:
        from grids.scope import scope_for

        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        paths = list(scope.area_paths)
        if scope.centre_ids:
            from centres.models.centres import Centre

            paths += Centre.objects.filter(pk__in=scope.centre_ids).values_list(
                "community__path", flat=True
            )
        above = {a for path in paths for a in _ancestor_paths(path)}
        return self.filter(scope.q_for(self.model) | Q(area__path__in=above))


def _ancestor_paths(path: str) -> list[str]:
    """The materialised paths of an area and every area above it."""
    from grids.models import Area

    return [path[:end] for end in range(Area.steplen, len(path) + 1, Area.steplen)]


class AffairItem(Eligibility, TimeStampedModel):
    """A government service item delegated to centres (Putian: 427 high-frequency matters).
    Every centre under `area` handles it: the city for the city-wide catalogue."""

    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="affair_items",
        verbose_name=_("offered in"),
        help_text=_("The city for the whole city's catalogue; a district or street for its own."),
    )
    name = models.CharField(_("name"), max_length=120)
    department = models.CharField(_("responsible department"), max_length=100)
    materials = models.TextField(_("materials to bring"), blank=True)
    time_limit_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"), default=0, help_text=_("0: handled on the spot.")
    )
    at_centre = models.BooleanField(_("at the centre"), default=True)
    proxy = models.BooleanField(_("proxy handling (帮代办)"), default=False)
    home_visit = models.BooleanField(_("home visit (上门服务)"), default=False)
    online_url = models.URLField(_("provincial online service link"), blank=True)
    is_active = models.BooleanField(_("offered"), default=True)

    objects = AffairItemQuerySet.as_manager()
    scope_area_field = "area"
    scope_roles = AFFAIRS_SCOPE_ROLES

    class Meta:
        verbose_name = _("affair item")
        verbose_name_plural = _("affairs catalogue")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def channels(self) -> list[str]:
        out: list[str] = []
        if self.at_centre:
            out.append(AffairChannel.AT_CENTRE)
        if self.proxy:
            out.append(AffairChannel.PROXY)
        if self.home_visit:
            out.append(AffairChannel.HOME_VISIT)
        if self.online_url:
            out.append(AffairChannel.ONLINE)
        return out


class AppointmentSlot(models.Model):
    """A time at a centre when affairs staff take appointments. `off_hours` marks 错时预约
    slots (evenings, weekends) for people who work in the day."""

    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.CASCADE,
        related_name="appointment_slots",
        verbose_name=_("centre"),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    capacity = models.PositiveSmallIntegerField(_("appointments"), default=4)
    booked_count = models.PositiveSmallIntegerField(_("booked"), default=0, editable=False)
    off_hours = models.BooleanField(_("off-hours (错时)"), default=False)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = CENTRE_SCOPE_ROLES

    class Meta:
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="centres_slot_period",
                violation_error_message=_("A slot must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(booked_count__lte=models.F("capacity")),
                name="centres_slot_not_overbooked",
                violation_error_message=_("More appointments than the slot takes."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.starts_at:%m-%d %H:%M}"

    def clean(self) -> None:
        # The database refuses it too (centres_slot_not_overbooked); this words it for the form.
        if self.capacity is not None and self.capacity < self.booked_count:
            raise ValidationError(
                {
                    "capacity": _(
                        "%(n)s appointments are booked in this slot: it takes at least %(n)s."
                    )
                    % {"n": self.booked_count}
                }
            )

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.booked_count, 0)


class Appointment(TimeStampedModel):
    """One resident's appointment for one affair item, and what came of it."""

    slot = models.ForeignKey(
        AppointmentSlot,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("slot"),
    )
    item = models.ForeignKey(
        AffairItem, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("item")
    )
    channel = models.CharField(_("channel"), max_length=12, choices=AffairChannel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="centre_appointments",
        verbose_name=_("resident's account"),
    )
    name = models.CharField(_("name"), max_length=60)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    code = models.CharField(_("check-in code"), max_length=12, unique=True, default=new_code)
    outcome = models.TextField(_("outcome"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    acting_for = models.CharField(
        _("acting for (帮代办)"),
        max_length=60,
        blank=True,
        help_text=_("Whom staff acted for when they handled it on someone's behalf."),
    )
    consent = models.CharField(
        _("consent"),
        max_length=200,
        blank=True,
        help_text=_("How the person agreed to proxy handling (signed form, phone call …)."),
    )
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    written_by = "centres.actions"  # book, cancel, record (portal.write_path)
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "slot__centre__community"
    scope_centre_field = "slot__centre"
    scope_user_field = "user"
    scope_roles = CENTRE_SCOPE_ROLES

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["slot__starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "user", "item"],
                condition=Q(status="booked"),
                name="centres_appointment_once",
                violation_error_message=_("You already have this appointment."),
            ),
            models.CheckConstraint(
                condition=~Q(channel="proxy") | ~Q(status="done") | ~Q(consent=""),
                name="centres_appointment_proxy_needs_consent",
                violation_error_message=_("Proxy handling needs a record of consent."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.item}"
