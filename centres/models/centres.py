"""The centre (the "1"), its six functions plus X, opening hours, closures and photos."""

from __future__ import annotations

from datetime import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from centres.models.base import TERRITORY_SCOPE_ROLES
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class CentreKind(models.TextChoices):
    CONCENTRATED = "concentrated", _("concentrated (集中型)")
    SPREAD = "spread", _("spread over several sites (分散型)")
    UPGRADED = "upgraded", _("upgraded (完善型)")


class FunctionCode(models.TextChoices):
    CHILDCARE = "childcare", _("幼有所育 childcare and education")
    ELDERLY = "elderly", _("老有所养 elderly care")
    HEALTH = "health", _("病有所医 health")
    FOOD = "food", _("食有所安 food")
    LEISURE = "leisure", _("居有所乐 culture and leisure")
    AFFAIRS = "affairs", _("事有所办 one-stop affairs")
    X = "x", _("X (the community's own)")


SIX = [c for c in FunctionCode if c != FunctionCode.X]


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Centre(TimeStampedModel):
    """A party-led neighbourhood centre (党群服务中心 / 邻里中心) of one community."""

    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="centres",
        verbose_name=_("community"),
        limit_choices_to={"kind": "community"},
    )
    served_areas = models.ManyToManyField(
        "grids.Area",
        blank=True,
        related_name="served_by_centres",
        verbose_name=_("further communities and grids served"),
    )
    party_org = models.ForeignKey(
        "grids.PartyOrg",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="centres",
        verbose_name=_("leading party organisation"),
        help_text=_("The community party committee that leads the centre (the “1”)."),
    )
    party_organisation = models.CharField(
        _("leading party organisation (name)"),
        max_length=120,
        blank=True,
        help_text=_("As written on the sign, when the organisation is not in the party tree."),
    )
    kind = models.CharField(
        _("type"), max_length=16, choices=CentreKind.choices, default=CentreKind.CONCENTRATED
    )
    stars = models.PositiveSmallIntegerField(
        _("star rating"), default=0, validators=[MinValueValidator(0), MaxValueValidator(5)]
    )
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    directions = models.TextField(_("how to get there"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("open to the public"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"
    scope_centre_field = "pk"
    scope_roles = TERRITORY_SCOPE_ROLES

    class Meta:
        verbose_name = _("centre")
        verbose_name_plural = _("centres")
        constraints = [
            models.CheckConstraint(
                condition=Q(stars__gte=0, stars__lte=5),
                name="centres_centre_stars_0_5",
                violation_error_message=_("Stars run from 0 to 5."),
            ),
            models.CheckConstraint(
                condition=(Q(lat__isnull=True) & Q(lng__isnull=True))
                | Q(
                    lat__isnull=False,
                    lng__isnull=False,
                    lat__gte=-90,
                    lat__lte=90,
                    lng__gte=-180,
                    lng__lte=180,
                ),
                name="centres_centre_point_valid",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        created = self.pk is None
        super().save(*args, **kwargs)
        if created:
            # The six functions exist for every centre as data, from the moment it exists.
            Function.objects.bulk_create(
                [Function(centre=self, code=c, name=c.label, sort=i) for i, c in enumerate(SIX)]
            )

    # --- service area --------------------------------------------------------------------
    def served_paths(self) -> list[str]:
        """The community's path plus every further served area (cached per instance)."""
        if not hasattr(self, "_served_paths"):
            self._served_paths = [self.community.path] + [a.path for a in self.served_areas.all()]
        return self._served_paths

    def serves_path(self, path: str | None) -> bool:
        if not path:
            return False
        return any(path.startswith(p) for p in self.served_paths())

    # --- open now ------------------------------------------------------------------------
    def is_open_at(self, moment: datetime | None = None) -> bool:
        """Open at `moment` (default now): not a closure day, and inside one of that
        weekday's opening periods. Uses prefetched `hours` and `closures` when present."""
        local = timezone.localtime(moment or timezone.now())
        day, clock = local.date(), local.time()
        if any(c.date == day for c in self.closures.all()):
            return False
        return any(
            h.weekday == local.weekday() and h.opens <= clock < h.closes for h in self.hours.all()
        )

    @property
    def is_open_now(self) -> bool:
        return self.is_open_at()


class Function(models.Model):
    """One of the six functions (幼有所育 … 事有所办) or an X function a community adds."""

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="functions", verbose_name=_("centre")
    )
    code = models.CharField(_("function"), max_length=12, choices=FunctionCode.choices)
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=10)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = TERRITORY_SCOPE_ROLES

    class Meta:
        verbose_name = _("function")
        verbose_name_plural = _("functions")
        ordering = ["sort", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "code"],
                condition=~Q(code="x"),
                name="centres_function_six_once",
                violation_error_message=_("Each of the six functions exists once per centre."),
            ),
            models.UniqueConstraint(
                fields=["centre", "name"],
                name="centres_function_unique_name",
                violation_error_message=_("This centre already has a function of that name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_x(self) -> bool:
        return self.code == FunctionCode.X


class OpeningHours(models.Model):
    """One opening period on one weekday (a day may have a morning and an afternoon)."""

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="hours", verbose_name=_("centre")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = TERRITORY_SCOPE_ROLES

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lt=models.F("closes")),
                name="centres_hours_opens_before_closes",
                violation_error_message=_("A period must close after it opens."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Closure(models.Model):
    """A day the centre is closed (public holidays, a party day)."""

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="closures", verbose_name=_("centre")
    )
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = TERRITORY_SCOPE_ROLES

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "date"],
                name="centres_closure_once_a_day",
                violation_error_message=_("The centre is already closed that day."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class CentrePhoto(models.Model):
    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="photos", verbose_name=_("centre")
    )
    image = models.ImageField(_("photo"), upload_to="centres/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=100, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=10)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = TERRITORY_SCOPE_ROLES

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["sort", "pk"]

    def __str__(self) -> str:
        return self.caption or self.image.name or ""
