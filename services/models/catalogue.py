"""What staff maintain: the category tree, time limits, routing rules, KPI settings (the holiday
table is services.models.calendar).

Who may touch them is the area scope's answer (grids.scope), as for every other model:

- categories, time limits, holidays and the KPI settings hold for the whole city. Every staff
  member reads them; only users whose scope is the whole city (superusers, city staff) change
  them (`scope_roles`, asked through `grids.scope.may`).
- a routing rule hangs on an area (`area`; empty: everywhere). Staff read the rules of their
  subtree, of the areas above it (they route its cases too) and those for everywhere; city and
  district staff change the rules inside their subtree, and only city-wide users the rules for
  everywhere. Another district's rules do not exist for them (404).

`Model.objects.visible_to(user)` / `.changeable_by(user)` say which rows; admin and API ask them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models.roles import CATALOGUE_EDITORS, STAFF_ROLES, Role
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel
from services.choices import CaseType, ClockUnit, Level

# A city-wide setting is changed by those whose scope is the city: city staff (superusers may
# do everything anyway). District staff change the routing rules of their own subtree.
CITY_WIDE_ROLES = {
    "view": frozenset(STAFF_ROLES),
    "add": frozenset({Role.CITY_STAFF}),
    "change": frozenset({Role.CITY_STAFF}),
    "delete": frozenset({Role.CITY_STAFF}),
}
ROUTING_ROLES = {
    "view": frozenset(STAFF_ROLES),
    "add": CATALOGUE_EDITORS,
    "change": CATALOGUE_EDITORS,
    "delete": CATALOGUE_EDITORS,
}


class CityWideQuerySet(models.QuerySet):
    """A city-wide catalogue: all of it or nothing, by the role the model's `scope_roles` asks."""

    def visible_to(self, user) -> models.QuerySet:
        from grids.scope import may

        return self.all() if may(user, "view", self.model) else self.none()

    def changeable_by(self, user) -> models.QuerySet:
        from grids.scope import may

        return self.all() if may(user, "change", self.model) else self.none()


def _ancestor_paths(paths) -> list[str]:
    """The paths of the areas above these subtrees (materialised paths: every prefix)."""
    from grids.models import Area

    step = Area.steplen
    return sorted({p[:i] for p in paths for i in range(step, len(p), step)})


class RoutingRuleQuerySet(ScopedQuerySet):
    """Routing rules by the area they hang on (see the module docstring)."""

    def visible_to(self, user) -> models.QuerySet:
        from grids.scope import may, scope_for

        if not may(user, "view", self.model):
            return self.none()
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(
            Q(area__isnull=True)
            | Q(area__path__in=_ancestor_paths(scope.area_paths))
            | scope.q_for(self.model)
        )

    def changeable_by(self, user) -> models.QuerySet:
        from grids.scope import covers_city, may, scope_for

        if not may(user, "change", self.model):
            return self.none()
        if covers_city(user):
            return self.all()
        return self.filter(scope_for(user).q_for(self.model, "change"))


def check_rule_area(user, area, department=None) -> None:
    """Refuse (ValidationError naming the field) a routing rule the user may not write: placed
    outside their subtree, everywhere when their scope is not the whole city, or sending cases
    to a department outside their scope (a district routes to its own departments; the city's
    departments are the city's to route to)."""
    from grids.scope import covers_city, scope_for

    scope = scope_for(user)
    if area is None:
        if not covers_city(user):
            raise ValidationError(
                {"area": _("Choose an area: rules for everywhere are set by city staff.")}
            )
    elif not scope.covers_area(area):
        raise ValidationError({"area": _("This area is outside your own.")})
    if department is not None and not scope.covers_area(department.area):
        raise ValidationError({"department": _("This department is outside your area.")})


class Category(TimeStampedModel):
    """A node of the category tree staff maintain (市容环境 › 垃圾清运 …).

    A plain parent link: the tree is small (tens to hundreds of rows) and read whole."""

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    name = models.CharField(_("name"), max_length=60)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = CityWideQuerySet.as_manager()
    scope_roles = CITY_WIDE_ROLES

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                name="services_category_unique_name",
                violation_error_message=_("This category already has a child of that name."),
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")),
                name="services_category_not_own_parent",
                violation_error_message=_("A category cannot be its own parent."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id and self.parent else self.name

    def lineage_ids(self) -> list[int]:
        """This category and its ancestors, nearest first (one query)."""
        return lineage(self.pk, Category.tree())

    @staticmethod
    def tree() -> dict[int, int | None]:
        """Every category's parent: {id: parent id}, for lineage()."""
        return dict(Category.objects.values_list("pk", "parent_id"))


def lineage(category_id: int | None, parents: dict[int, int | None]) -> list[int]:
    """A category and its ancestors, nearest first, from Category.tree(); a cycle a bad edit
    left stops the walk instead of looping."""
    ids: list[int] = []
    node = category_id
    while node is not None and node not in ids:
        ids.append(node)
        node = parents.get(node)
    return ids


class TimeLimit(TimeStampedModel):
    """The three clocks for a category × type: sign for, first contact, resolve.

    A row with no category is the default for its type. The most specific row wins: the
    case's category, then its ancestors, then the type default, then DEFAULT_LIMITS."""

    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="time_limits",
        verbose_name=_("category"),
        help_text=_("Empty: the default for every category."),
    )
    case_type = models.CharField(_("type"), max_length=16, choices=CaseType.choices)
    sign_amount = models.PositiveSmallIntegerField(_("sign for within"), default=1)
    sign_unit = models.CharField(
        _("sign-for unit"), max_length=16, choices=ClockUnit.choices, default="working_days"
    )
    contact_amount = models.PositiveSmallIntegerField(_("contact resident within"), default=2)
    contact_unit = models.CharField(
        _("contact unit"), max_length=16, choices=ClockUnit.choices, default="working_days"
    )
    resolve_amount = models.PositiveSmallIntegerField(_("resolve within"), default=10)
    resolve_unit = models.CharField(
        _("resolve unit"), max_length=16, choices=ClockUnit.choices, default="working_days"
    )

    objects = CityWideQuerySet.as_manager()
    scope_roles = CITY_WIDE_ROLES

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "case_type"],
                name="services_timelimit_unique",
                violation_error_message=_("This category and type already have a time limit."),
            ),
            models.UniqueConstraint(
                fields=["case_type"],
                condition=models.Q(category__isnull=True),
                name="services_timelimit_unique_default",
                violation_error_message=_("This type already has a default time limit."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category or _('all categories')} · {self.get_case_type_display()}"


# The defaults from real rules (Guangdong 12345 管理办法 2022 and the 红黄灯 rules): sign for
# within 1 working day (emergency 2 hours), contact within 2 working days (emergency 2 hours),
# resolve 咨询 2, 求助/建议 10, 投诉/举报 15 working days, emergency the same day.
DEFAULT_LIMITS: dict[str, tuple[tuple[int, str], tuple[int, str], tuple[int, str]]] = {
    CaseType.CONSULTATION: ((1, "working_days"), (1, "working_days"), (2, "working_days")),
    CaseType.HELP: ((1, "working_days"), (2, "working_days"), (10, "working_days")),
    CaseType.SUGGESTION: ((1, "working_days"), (2, "working_days"), (10, "working_days")),
    CaseType.COMPLAINT: ((1, "working_days"), (2, "working_days"), (15, "working_days")),
    CaseType.REPORT: ((1, "working_days"), (2, "working_days"), (15, "working_days")),
    CaseType.EMERGENCY: ((2, "hours"), (2, "hours"), (0, "same_day")),
}


class RoutingRule(TimeStampedModel):
    """Category × area subtree → the level that handles it, or a named department.

    The most specific rule wins (deepest category, then deepest area, then priority); with no
    rule the case goes to the place's grid (小事不出网格)."""

    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name=_("category"),
        help_text=_("Empty: every category."),
    )
    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name=_("area"),
        help_text=_("Applies to places in this subtree; empty: everywhere."),
    )
    level = models.CharField(_("handling level"), max_length=16, choices=Level.choices)
    department = models.ForeignKey(
        "grids.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name=_("department"),
    )
    priority = models.SmallIntegerField(_("priority"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RoutingRuleQuerySet.as_manager()
    scope_area_field = "area"
    scope_roles = ROUTING_ROLES

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(level="department", department__isnull=False)
                    | (~models.Q(level="department") & models.Q(department__isnull=True))
                ),
                name="services_routingrule_department_iff_level",
                violation_error_message=_(
                    "Department-level rules name a department; other levels name none."
                ),
            ),
        ]

    def __str__(self) -> str:
        target = self.department or self.get_level_display()
        return f"{self.category or _('all categories')} @ {self.area or _('everywhere')} → {target}"


class KpiConfig(TimeStampedModel):
    """Weights and exclusion rules for the three KPIs (三率). One row; staff edit it."""

    response_weight = models.PositiveSmallIntegerField(_("response weight (%)"), default=30)
    resolution_weight = models.PositiveSmallIntegerField(_("resolution weight (%)"), default=35)
    satisfaction_weight = models.PositiveSmallIntegerField(_("satisfaction weight (%)"), default=35)
    exclude_not_accepted = models.BooleanField(_("exclude not accepted"), default=True)
    exclude_merged = models.BooleanField(_("exclude merged"), default=True)
    exclude_malicious = models.BooleanField(_("exclude malicious"), default=True)
    callback_wait_days = models.PositiveSmallIntegerField(
        _("days to wait for a callback answer"), default=3
    )

    objects = CityWideQuerySet.as_manager()
    scope_roles = CITY_WIDE_ROLES

    class Meta:
        verbose_name = _("KPI settings")
        verbose_name_plural = _("KPI settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    response_weight__lte=100,
                    resolution_weight__lte=100,
                    satisfaction_weight__lte=100,
                ),
                name="services_kpiconfig_weights_percent",
                violation_error_message=_("Weights are percentages (0-100)."),
            )
        ]

    def __str__(self) -> str:
        return str(_("KPI settings"))

    @classmethod
    def current(cls) -> KpiConfig:
        return cls.objects.order_by("pk").first() or cls()
