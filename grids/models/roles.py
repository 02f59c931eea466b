"""Role assignments: what a user is, and where on the area tree (or in which department,
centre, unit or household) they are it. grids.scope turns these into what they may see."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.querysets import PeriodQuerySet
from portal.models import TimeStampedModel


class Role(models.TextChoices):
    CITY_STAFF = "city_staff", _("city staff")
    DISTRICT_STAFF = "district_staff", _("district staff")
    STREET_STAFF = "street_staff", _("street staff")
    COMMUNITY_STAFF = "community_staff", _("community staff")
    GRID_WORKER = "grid_worker", _("grid worker")
    DEPARTMENT_HANDLER = "department_handler", _("department handler")
    CENTRE_OPERATOR = "centre_operator", _("centre operator")
    UNIT_MEMBER = "unit_member", _("co-building unit")
    RESIDENT = "resident", _("resident")


# Roles whose scope is the subtree of their area, and the area kind each must sit on.
TERRITORIAL_ROLES: dict[str, str] = {
    Role.CITY_STAFF: "city",
    Role.DISTRICT_STAFF: "district",
    Role.STREET_STAFF: "street",
    Role.COMMUNITY_STAFF: "community",
    Role.GRID_WORKER: "grid",
}
# The role groups: every app names these instead of spelling out its own sets.
STAFF_ROLES = frozenset({*TERRITORIAL_ROLES, Role.DEPARTMENT_HANDLER, Role.CENTRE_OPERATOR})
# Territorial staff with an office (community and above): they supervise their subtree, read
# role assignments and the access log, and see everything grid workers see.
OFFICE_ROLES = frozenset(
    {Role.CITY_STAFF, Role.DISTRICT_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF}
)
# Street staff and above hand out roles inside their subtree.
ROLE_GRANTING_ROLES = frozenset({Role.CITY_STAFF, Role.DISTRICT_STAFF, Role.STREET_STAFF})
# City and district staff keep the catalogues (categories, time limits, routing rules...).
CATALOGUE_EDITORS = frozenset({Role.CITY_STAFF, Role.DISTRICT_STAFF})


class RoleAssignment(TimeStampedModel):
    """One role held by one user on one target. A user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("area"),
    )
    department = models.ForeignKey(
        "grids.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("department"),
    )
    household = models.ForeignKey(
        "grids.Household",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("household"),
    )
    unit = models.ForeignKey(
        "grids.CoBuildingUnit",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("co-building unit"),
    )
    # Centre operators are tied to one centre (centres.Centre); the id is kept here rather
    # than a foreign key so grids does not depend on centres. centres validates it.
    centre_id = models.BigIntegerField(_("centre"), null=True, blank=True, db_index=True)
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)

    # RoleAssignment.objects.current(on): who holds a role on a date (grids.querysets.current_q),
    # the one rule the scope, routing and notices read.
    objects = PeriodQuerySet.as_manager()
    # Staff see the roles held on their territory; street staff and above hand them out (only
    # inside their own subtree: the admin checks the saved object against the scope).
    scope_area_field = "area"
    scope_roles = {
        "view": OFFICE_ROLES,
        "add": ROLE_GRANTING_ROLES,
        "change": ROLE_GRANTING_ROLES,
        "delete": ROLE_GRANTING_ROLES,
    }

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        role__in=list(TERRITORIAL_ROLES),
                        area__isnull=False,
                        department__isnull=True,
                        household__isnull=True,
                    )
                    | models.Q(role=Role.DEPARTMENT_HANDLER, department__isnull=False)
                    | models.Q(role=Role.CENTRE_OPERATOR, centre_id__isnull=False)
                    | models.Q(role=Role.UNIT_MEMBER, unit__isnull=False)
                    | models.Q(role=Role.RESIDENT, household__isnull=False)
                ),
                name="grids_roleassignment_target_matches_role",
                violation_error_message=_("This role needs its own kind of target."),
            ),
        ]

    def __str__(self) -> str:
        target = self.area or self.department or self.household or self.unit or self.centre_id
        return f"{self.user} · {self.get_role_display()} · {target}"
