"""Grid teams "1+1+N+Z": one grid head, one full-time grid worker, N instructors and Z
auxiliary members (police, property staff, volunteers), each for a period. Old streets without a
property company add the "两长一员" roles: a party-member building head and a lane head beside the
grid worker.

At most one full-time worker per grid at any date: an exclusion constraint over
(grid, daterange(starts_on, ends_on, '[]')) refuses overlaps in the database itself;
grids.actions checks first under a row lock only to name the field in a clear error.

Only grids.actions changes these rows (appoint_team_member, end_team_membership): a full-time
worker's membership carries the grid_worker role that gives them the grid's scope, and the two
must start and end together.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.querysets import PeriodQuerySet
from portal.models import TimeStampedModel


class TeamRole(models.TextChoices):
    GRID_HEAD = "grid_head", _("grid head")
    FULL_TIME = "full_time", _("full-time grid worker")
    INSTRUCTOR = "instructor", _("grid instructor")
    AUXILIARY = "auxiliary", _("auxiliary member")
    # 两长一员 (old streets with no property company): the grid worker is FULL_TIME.
    BUILDING_HEAD = "building_head", _("party-member building head")
    LANE_HEAD = "lane_head", _("lane head")


class AuxiliaryKind(models.TextChoices):
    POLICE = "police", _("police")
    PROPERTY = "property", _("property staff")
    VOLUNTEER = "volunteer", _("volunteer")
    OTHER = "other", _("other")


class TeamPeriod(models.Func):
    """daterange(starts_on, ends_on, '[]'): the member's days, both ends included."""

    function = "DATERANGE"
    output_field = DateRangeField()


class GridTeamMember(TimeStampedModel):
    """One person on one grid's team for a period (ends_on inclusive; open-ended when empty)."""

    written_by = "grids.actions"

    grid = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="team_members",
        verbose_name=_("grid"),
        limit_choices_to={"kind": "grid"},
    )
    role = models.CharField(_("team role"), max_length=16, choices=TeamRole.choices)
    auxiliary_kind = models.CharField(
        _("auxiliary kind"), max_length=12, choices=AuxiliaryKind.choices, blank=True
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grid_team_memberships",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    organisation = models.CharField(
        _("organisation"),
        max_length=100,
        blank=True,
        help_text=_("Police station, property company or unit the member comes from."),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    # The grid_worker role that gives a full-time worker's account the grid's scope.
    role_assignment = models.OneToOneField(
        "grids.RoleAssignment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="team_member",
        editable=False,
    )

    objects = PeriodQuerySet.as_manager()  # .current(on): grids.querysets.current_q
    scope_area_field = "grid"

    class Meta:
        verbose_name = _("grid team member")
        verbose_name_plural = _("grid team members")
        ordering = ["grid", "role", "-starts_on"]
        indexes = [models.Index(fields=["grid", "role", "starts_on"], name="grids_team_grid_role")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="grids_team_period_ordered",
                violation_error_message=_("The end date is before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(role="auxiliary") | Q(auxiliary_kind=""),
                name="grids_team_auxiliary_kind_only_for_auxiliaries",
                violation_error_message=_("Only auxiliary members have an auxiliary kind."),
            ),
            ExclusionConstraint(
                name="grids_team_one_full_time_worker",
                expressions=[
                    ("grid", RangeOperators.EQUAL),
                    (
                        TeamPeriod("starts_on", "ends_on", RangeBoundary(True, True)),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(role="full_time"),
                violation_error_message=_(
                    "This grid already has a full-time worker in that period."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grid} · {self.get_role_display()} · {self.name}"

    def is_current(self, on=None) -> bool:
        """current_q for one loaded row (no query)."""
        on = on or timezone.localdate()
        return self.starts_on <= on and (self.ends_on is None or self.ends_on >= on)
