"""The choices of the list's filters, for one viewer: categories, the streets and communities
of the scope, its grids, and the handling units.

A district holds about 200 communities and 3,000 grids: the place filter lists streets and
communities (the scope's next two levels), and grids only under the chosen community or street
(or when the scope is a community). A value from a bookmark that is not listed is checked
against the scope with one query, so an old link still works and a crafted one finds nothing.
Each list is one query, read only when the page draws it or a parameter needs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from django.db.models import Q
from django.utils.translation import gettext_lazy

from grids.models import Area, Department
from grids.scope import Scope
from portal.memo import TTLMemo
from services.models import Category

# Categories change rarely (city staff edit them); each process keeps the tree a minute.
_categories: TTLMemo[tuple[list[tuple[str, str]], dict[int, int | None], dict[int, str]]] = TTLMemo(
    60.0
)
# The areas and departments of a scope change rarely too: kept a minute per scope, so the
# list's page reads only the cases (the drop-downs of a district are 250 rows of two tables).
_lists: TTLMemo[list] = TTLMemo(60.0)
MAX_PLACES = 400  # options in the place drop-down
MAX_GRIDS = 300
PLACE_KINDS = ("district", "street", "community")
NO_UNIT = "none"  # the unit filter's value for cases with no handling unit yet


def _load_categories() -> tuple[list[tuple[str, str]], dict[int, int | None], dict[int, str]]:
    """The drop-down's options (indented by depth), each category's parent, and each
    category's name as the list prints it ("市政设施 › 道路坑洼")."""
    rows = list(Category.objects.order_by("sort", "name").values_list("pk", "name", "parent_id"))
    parents: dict[int, int | None] = {pk: parent for pk, _name, parent in rows}
    names = {pk: name for pk, name, _parent in rows}
    children: dict[int | None, list[int]] = {}
    for pk, _name, parent in rows:
        children.setdefault(parent if parent in names else None, []).append(pk)
    out: list[tuple[str, str]] = []

    def walk(parent: int | None, depth: int) -> None:
        for pk in children.get(parent, []):
            if depth > 10 or any(value == str(pk) for value, _label in out):
                continue  # a cycle a bad edit left
            out.append((str(pk), "\u3000" * depth + names[pk]))
            walk(pk, depth + 1)

    walk(None, 0)
    shown = {
        pk: f"{names[parent]} › {name}" if parent in names else name for pk, name, parent in rows
    }
    return out, parents, shown


def category_names() -> dict[int, str]:
    """Each category's name as the list and the export print it."""
    return _categories.get("tree", _load_categories)[2]


def clear() -> None:
    """Forget the memoised lists (tests; a staff edit shows within a minute)."""
    _categories.clear()
    _lists.clear()


class Place(NamedTuple):
    pk: int
    name: str
    kind: str
    path: str
    depth: int


PLACE_FIELDS = ("pk", "name", "kind", "path", "depth")


def _places(qs) -> list[Place]:
    return [Place(*row) for row in qs.values_list(*PLACE_FIELDS)]


@dataclass
class Choices:
    user: object
    scope: Scope
    chosen_area: str = ""  # the place filter's value, which decides the grids listed
    _extra_areas: dict[str, Place | None] = field(default_factory=dict)

    # --- categories -------------------------------------------------------------------------
    @property
    def categories(self) -> list[tuple[str, str]]:
        return _categories.get("tree", _load_categories)[0]

    def category_subtree(self, pk: int) -> list[int]:
        """The category and every category under it."""
        parents = _categories.get("tree", _load_categories)[1]
        out = [pk]
        for candidate in parents:
            node, seen = parents.get(candidate), {candidate}
            while node is not None and node not in seen:
                if node == pk:
                    out.append(candidate)
                    break
                seen.add(node)
                node = parents.get(node)
        return out

    # --- places ------------------------------------------------------------------------------
    def _scope_areas(self) -> Q:
        return self.scope.area_q()

    def _memo(self, name: str, load) -> list:
        scope = self.scope
        key = (name, scope.is_superuser, scope.area_paths, scope.department_ids)
        return _lists.get(key, load)

    @cached_property
    def places(self) -> list[Place]:
        """The streets and communities (districts and streets for the whole city) one can
        narrow to: the scope's next two levels down."""
        scope = self.scope
        if not scope.is_territorial:
            return []
        roots = scope.area_paths
        top = min((len(p) for p in roots), default=0) // Area.steplen if roots else 1
        if top >= 4:  # a community or a grid: nothing to narrow to but grids
            return []
        return self._memo(
            "places",
            lambda: _places(
                Area.objects.filter(self._scope_areas(), kind__in=PLACE_KINDS)
                .filter(depth__gt=top, depth__lte=top + 2)
                .order_by("path")[:MAX_PLACES]
            ),
        )

    def _find(self, value: str, kinds: tuple[str, ...], listed: list[Place]) -> Place | None:
        if not value.isdigit():
            return None
        for area in listed:
            if str(area.pk) == value:
                return area
        key = f"{value}:{kinds}"
        if key not in self._extra_areas:
            found = (
                _places(Area.objects.filter(self._scope_areas(), pk=int(value), kind__in=kinds))
                if self.scope.is_territorial
                else []
            )
            self._extra_areas[key] = found[0] if found else None
        return self._extra_areas[key]

    def area_path(self, value: str) -> str | None:
        area = self._find(value, PLACE_KINDS, self.places)
        return area.path if area else None

    @cached_property
    def grid_root(self) -> Place | None | str:
        """Where the grid drop-down lists grids from: the chosen street or community, or the
        scope when it is one community (or grid); "" when the scope is too large to list."""
        if self.chosen_area:
            area = self._find(self.chosen_area, PLACE_KINDS, self.places)
            if area is not None and area.kind != "district":
                return area
        roots = self.scope.area_paths
        if len(roots) == 1 and len(roots[0]) // Area.steplen >= 4:
            return None  # list the scope's own grids
        return ""

    @cached_property
    def grids(self) -> list[Place]:
        root = self.grid_root
        if root == "" or not self.scope.is_territorial:
            return []
        q = self._scope_areas()
        if isinstance(root, Place):
            q &= Q(path__startswith=root.path)
        return self._memo(
            f"grids:{root.path if isinstance(root, Place) else ''}",
            lambda: _places(Area.objects.filter(q, kind="grid").order_by("path")[:MAX_GRIDS]),
        )

    def grid_path(self, value: str) -> str | None:
        area = self._find(value, ("grid",), self.grids if self.grid_root != "" else [])
        return area.path if area else None

    # --- handling units ----------------------------------------------------------------------
    @cached_property
    def departments(self) -> list[tuple[int, str]]:
        """The departments that may handle the scope's cases (id, name): those of the
        districts above or inside it (a street's cases go to its district's bureaus), or the
        handler's own."""
        scope = self.scope
        if scope.is_superuser:
            q = Q()
        else:
            step = Area.steplen
            above = {p[:i] for p in scope.area_paths for i in range(step, len(p) + 1, step)}
            q = Q(pk__in=scope.department_ids) | Q(area__path__in=sorted(above))
            q |= scope.area_q("area")
        return self._memo(
            "departments",
            lambda: list(
                Department.objects.filter(q).order_by("name").values_list("pk", "name")[:300]
            ),
        )

    @property
    def units(self) -> list[tuple[str, str]]:
        # NO_UNIT: cases no unit holds yet (待派单), the dashboard's "units" panel links here.
        out = [(NO_UNIT, str(gettext_lazy("To dispatch")))]
        out += [(f"d{pk}", name) for pk, name in self.departments]
        out += [(f"a{a.pk}", a.name) for a in self.places if a.kind != "district"]
        return out

    def unit_q(self, value: str) -> Q | None:
        if value == NO_UNIT:
            return Q(handling_department__isnull=True, handling_area__isnull=True)
        kind, pk = value[:1], value[1:]
        if not pk.isdigit():
            return None
        if kind == "d":
            if any(d == int(pk) for d, _name in self.departments):
                return Q(handling_department_id=int(pk))
            return None
        if kind == "a":
            area = self._find(pk, ("city", "street", "community", "grid"), self.places)
            if area is None:
                return None
            # The handling area covers the place: the place's subtree narrows the read.
            return Q(handling_area_id=area.pk, place_path__startswith=area.path)
        return None
