"""The area tree: city → district → street → community → grid (levels 1-3) → estate → building.

A materialised path (django-treebeard MP_Node) makes "everything under this street" one indexed
`path LIKE '0001000300020%'` query, which is what every scope filter in the portal relies on.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager

from grids.querysets import ScopedMPNodeQuerySet
from portal.models import TimeStampedModel


class AreaKind(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district / county")
    STREET = "street", _("street")
    COMMUNITY = "community", _("community")
    GRID = "grid", _("grid")
    ESTATE = "estate", _("estate")
    BUILDING = "building", _("building")


class GridKind(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("comprehensive grid")
    DEDICATED = "dedicated", _("dedicated grid")


class DedicatedKind(models.TextChoices):
    SCHOOL = "school", _("school")
    MARKET = "market", _("market")
    ENTERPRISE_PARK = "enterprise_park", _("enterprise park")
    HOSPITAL = "hospital", _("hospital")
    OTHER = "other", _("other")


# Which kinds may sit directly under which. A level-1 grid is a whole community; level 2 sits
# under level 1 and level 3 under level 2 (Quanzhou). Buildings may hang straight off a grid
# in old streets that have no estate.
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    AreaKind.CITY: {None},
    AreaKind.DISTRICT: {AreaKind.CITY},
    AreaKind.STREET: {AreaKind.DISTRICT},
    AreaKind.COMMUNITY: {AreaKind.STREET},
    AreaKind.GRID: {AreaKind.COMMUNITY, AreaKind.GRID},
    AreaKind.ESTATE: {AreaKind.GRID},
    AreaKind.BUILDING: {AreaKind.ESTATE, AreaKind.GRID},
}


class AreaManager(MP_NodeManager):
    def get_queryset(self):
        return ScopedMPNodeQuerySet(self.model, using=self._db).order_by("path")

    def visible_to(self, user):
        return self.get_queryset().visible_to(user)

    def changeable_by(self, user):
        return self.get_queryset().changeable_by(user)


class Area(MP_Node, TimeStampedModel):
    """One node of the territory. Grids carry a level (1-3) and a kind (comprehensive or
    dedicated: a school, a market, an enterprise park)."""

    # Adds, moves and edits go through grids.actions (add_area, move_area, update_area): they
    # check the placement and the actor's scope, and a move renews the shared scopes.
    written_by = "grids.actions"

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=AreaKind.choices, db_index=True)
    code = models.CharField(_("code"), max_length=40, blank=True, db_index=True)
    grid_level = models.PositiveSmallIntegerField(_("grid level"), null=True, blank=True)
    grid_kind = models.CharField(
        _("grid kind"), max_length=16, choices=GridKind.choices, blank=True
    )
    dedicated_kind = models.CharField(
        _("dedicated to"), max_length=20, choices=DedicatedKind.choices, blank=True
    )
    households_planned = models.PositiveIntegerField(_("households (planned)"), default=0)
    # The households registered straight on this area (a building, or a grid in old lanes) and
    # the sum of their members, for the figures of a subtree (grids.figures, workforce.figures):
    # written by the database only (grids.sql.HOUSEHOLD_COUNTS: triggers on the households, and
    # a guard that keeps every other writer's values out), so they always equal the rows.
    figs_households = models.PositiveIntegerField(
        _("households registered (figures)"), default=0, editable=False
    )
    figs_people = models.PositiveIntegerField(
        _("household members (figures)"), default=0, editable=False
    )
    # Optional WGS-84 centre point, used to match a phone's location to a grid.
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    # Optional outline: a GeoJSON Polygon or MultiPolygon geometry in WGS-84 (lng, lat), set by
    # grids.actions.import_boundaries; the dashboard's map draws it (grids.boundaries).
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True, editable=False)

    node_order_by = None
    objects = AreaManager()

    scope_area_field = ""  # the area is itself the scoped thing

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [
            models.Index(fields=["kind", "path"], name="grids_area_kind_path"),
            # The nearest place to a phone's position (a box on lat/lng): a city's 100,000
            # areas were read whole for each located filing (21 ms).
            models.Index(fields=["lat", "lng"], name="grids_area_lat_lng"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="grid", grid_level__in=[1, 2, 3])
                    | (~models.Q(kind="grid") & models.Q(grid_level__isnull=True))
                ),
                name="grids_area_grid_level_only_on_grids",
                violation_error_message=_("Grids need a level of 1, 2 or 3; other areas none."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind not in AreaKind.values:
            return  # the kind field reports its own error
        # A node not yet in the tree is placed by whoever adds it (a form sets
        # `_pending_parent`); one already in it is checked against its parent.
        if hasattr(self, "_pending_parent"):
            parent = self._pending_parent
        elif self.path:
            parent = Area.objects.filter(path=self.path[: -self.steplen]).first()
        else:
            parent = None
        validate_placement(self.kind, parent, self.grid_level)

    def ancestors_and_self(self) -> models.QuerySet:
        """The chain from the root down to this node, in one indexed query."""
        steplen = self.steplen
        prefixes = [self.path[:i] for i in range(steplen, len(self.path) + 1, steplen)]
        return Area.objects.filter(path__in=prefixes).order_by("depth")

    def ancestor_of_kind(self, kind: str) -> "Area | None":
        if self.kind == kind:
            return self
        return next((a for a in self.ancestors_and_self() if a.kind == kind), None)

    @property
    def label(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"


def validate_placement(kind: str, parent: Area | None, grid_level: int | None = None) -> None:
    """Refuse a node that cannot sit where it is put (a building under a street, say)."""
    parent_kind = parent.kind if parent else None
    if parent_kind not in ALLOWED_PARENTS.get(kind, set()):
        raise ValidationError(
            {
                "kind": _("A %(kind)s cannot sit under %(parent)s.")
                % {
                    "kind": AreaKind(kind).label,
                    "parent": AreaKind(parent_kind).label if parent_kind else _("the top"),
                }
            }
        )
    if kind == AreaKind.GRID:
        assert parent is not None  # ALLOWED_PARENTS gives a grid no place at the top
        expected = 1 if parent_kind == AreaKind.COMMUNITY else (parent.grid_level or 0) + 1
        if grid_level != expected:
            raise ValidationError(
                {"grid_level": _("A grid here must be level %(level)s.") % {"level": expected}}
            )
