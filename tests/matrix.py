"""The permission matrix: every registered scoped model, as every role, across two sibling
communities and two sibling grids (tests/territory.py).

Each app registers, in `tests/<app>/matrix.py`, a factory per scoped model that builds one
object at a `Place` (a community, one of its grids, the estate, building, household and
resident under it). The matrix builds one object at side a's first grid (a0), one at side a's
second grid (a1) and one at side b's first grid (b0), then for each role asserts:

- the admin change view (GET and POST) and delete view of b0 answer 404 (or 403 when the role
  may not use that admin at all), and b0 never appears in the changelist;
- the API detail of b0 is 404 (or 403) and b0 never appears in the API list;
- the roles named in `viewers` see a0 in the admin and the API; a grid worker does not see a1
  (the sibling grid) when the object sits on a grid;
- on a0, inside the scope, a role that may not change (or delete) the model, and every role
  when the model is written by domain operations and its admin names none for that verb
  (portal.write_path), gets 403/404 from a POST of a changed form and from the delete view,
  and the row is left exactly as it was;
- the app's own pages of the model (`check_pages`, e.g. the 12345 desk's list, counts, export and
  bulk dispatch) show and act on exactly the objects the role sees.
- the entry's own `pages` (URLs of one object, e.g. the desk's case page) answer 200 where the
  role sees the object and 404 where not (a login redirect for the anonymous), and its
  `posts` (actions on one object) answer 404 on b0 and leave it exactly as it was.

A new model gets covered by one `register(...)` call; no new test code. Pages that are not an
admin or API view (the desk, its fragments) register with `register_page(...)`: each role
opens side a's URL only when it should, and side b's answer never carries side b's data to a
role that does not cover it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.db.models import Model

from grids.models import Area, Household, Resident
from tests.territory import Side, Territory


@dataclass(frozen=True)
class Place:
    territory: Territory
    side: Side
    key: str  # "a" or "b"
    community: Area
    grid: Area
    estate: Area
    building: Area
    household: Household
    resident: Resident
    label: str  # unique per place, for names and codes


def place(territory: Territory, key: str, index: int) -> Place:
    side = territory.a if key == "a" else territory.b
    building = side.buildings[index]
    household = side.households[index]
    return Place(
        territory=territory,
        side=side,
        key=key,
        community=side.community,
        grid=side.grids[index],
        estate=Area.objects.get(path=building.path[: -Area.steplen]),
        building=building,
        household=household,
        resident=household.residents.order_by("pk").first(),
        label=f"矩阵{key}{index}",
    )


@dataclass(frozen=True)
class Entry:
    model: type
    factory: Callable[[Place], object]
    # Role keys (of tests/territory.py, without the side suffix) that see side a's object.
    viewers: tuple[str, ...] = ("community", "grid")
    api: str | None = None  # list URL; the detail is f"{api}{pk}/"
    admin: bool = True
    list_params: dict = field(default_factory=dict)
    grid_level: bool = True  # the object sits on a grid (so the sibling grid must not see it)
    # The app's own pages of the model (not the admin, not the API): called as
    # check_pages(client, role, [(obj_a0, sees), (obj_a1, sees), (obj_b0, sees)]) with the role's
    # user logged in; it asserts that each object shows exactly where the role sees it.
    check_pages: Callable[..., None] | None = None
    # Pages of one object outside the admin and the API (functions of the object to a URL):
    # GET 200 where the role sees it, else 404. `page_roles`: the roles such pages serve at
    # all (e.g. staff only); others get 404 even where they see the object elsewhere.
    pages: tuple[Callable[[object], str], ...] = ()
    page_roles: tuple[str, ...] | None = None
    # POSTs on one object (an action, a reveal): 404 outside the scope, nothing changed.
    posts: tuple[Callable[[object], str], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}"


REGISTRY: list[Entry] = []


def register(model: type, factory: Callable[[Place], object], **options) -> None:
    """Add a scoped model to the matrix (call from tests/<app>/matrix.py)."""
    REGISTRY.append(Entry(model=model, factory=factory, **options))


def load() -> list[Entry]:
    """Import every tests/<app>/matrix.py once and return the registry."""
    if not getattr(load, "_done", False):
        root = Path(__file__).parent
        for package in pkgutil.iter_modules([str(root)]):
            if package.ispkg and (root / package.name / "matrix.py").exists():
                importlib.import_module(f"tests.{package.name}.matrix")
        load._done = True
    return REGISTRY


@dataclass(frozen=True)
class Page:
    """A page, fragment or JSON endpoint of an app, fetched by every role at side a's place
    and at side b's. Registered with `register_page` from tests/<app>/matrix.py."""

    name: str
    url: Callable[[Place], str]  # the URL for a place (may build the rows it needs)
    # Role keys (without the side suffix) that open it at their own side with a 200; the
    # superuser, district and street staff always do. Everyone else: 302 (log in), 403 or 404.
    viewers: tuple[str, ...] = ("community",)
    # Text about the place that only roles covering it may receive (a name, a case number).
    secret: Callable[[Place], str] | None = None


PAGES: list[Page] = []


def register_page(name: str, url: Callable[[Place], str], **options) -> None:
    """Add a page to the matrix (call from tests/<app>/matrix.py)."""
    PAGES.append(Page(name=name, url=url, **options))


def load_pages() -> list[Page]:
    load()
    return PAGES


ROLES_A = (
    "superuser",
    "district",
    "street",
    "community_a",
    "grid_a",
    "dept",
    "resident_a",
    "unit_a",
)


def unregistered(app_label: str) -> list[str]:
    """The app's scoped models (a default manager with `visible_to`) missing from the matrix."""
    registered = {entry.model for entry in load()}
    return sorted(
        model._meta.label
        for model in apps.get_app_config(app_label).get_models()
        if hasattr(model._default_manager, "visible_to") and model not in registered
    )


def row(obj: Model) -> dict:
    """The object's stored columns, to show that a refused write left it as it was."""
    return type(obj)._default_manager.filter(pk=obj.pk).values().get()


def changed_form_data(form) -> dict:
    """POST data for an admin change form: every field at its current value, and the first
    free-text field changed, so that a save the admin should refuse would show in the row."""
    data: dict = {}
    changed = False
    for name, bound in ((name, form[name]) for name in form.fields):
        value = bound.value()
        if isinstance(value, Model):
            value = value.pk
        if isinstance(value, list | tuple):
            data[name] = [v.pk if isinstance(v, Model) else v for v in value]
            continue
        if value is None or value is False:
            continue  # an empty or unticked field is simply absent from a browser's POST
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        if not changed and type(form.fields[name]).__name__ == "CharField":
            value, changed = f"{value}改", True
        data[name] = value
    return data
