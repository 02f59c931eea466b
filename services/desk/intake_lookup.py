"""What the desk looks up while a case is keyed in: the place (one search box or a point on the
map), the caller (their household and earlier cases) and likely duplicates. Reads only, each
through the user's area scope; the few queries each takes are pinned by the tests."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from django.db.models import F, Q, Value
from django.db.models.functions import Length, StrIndex

from grids.models import Area, Household, Resident, ResidentTag
from grids.privacy import mask_id_number, mask_phone, visible_tags
from grids.scope import Scope, scope_for
from services.actions import PLACE_KINDS, reporter_for_phone
from services.choices import NOT_CLOSED_STATES
from services.models import Case

# Kinds a search may match as the container of what follows in the query ("阳光花园3号楼" is
# the estate 阳光花园 and its building 3号楼).
CONTAINER_KINDS = ("community", "grid", "estate")
MAX_RESULTS = 12
NEAR_BOX = 0.01  # degrees, about 1 km: beyond that a point on the map names no building


def _in_scope(scope: Scope) -> Q:
    return Q() if scope.is_superuser else scope.area_q()


@dataclass
class PlaceHit:
    area: Area
    label: str  # community › estate › building

    def as_dict(self) -> dict:
        a = self.area
        return {
            "id": a.pk,
            "name": a.name,
            "kind": a.kind,
            "kind_label": str(a.get_kind_display()),
            "label": self.label,
            "lat": a.lat,
            "lng": a.lng,
        }


def _labels(areas: list[Area]) -> list[PlaceHit]:
    """Each area with the names above it from the community down (one query for all)."""
    step = Area.steplen
    prefixes = {a.path[:i] for a in areas for i in range(step, len(a.path), step)}
    names = dict(
        # Not the grids: internal cells, people name the estate and the building.
        Area.objects.filter(
            path__in=prefixes, kind__in=("community", "estate", "building")
        ).values_list("path", "name")
    )
    hits = []
    for a in areas:
        chain = [names[a.path[:i]] for i in range(step, len(a.path), step) if a.path[:i] in names]
        hits.append(PlaceHit(area=a, label=" › ".join([*chain, a.name])))
    return hits


_FIELDS = ("pk", "name", "kind", "path", "depth", "lat", "lng")


def search_places(user, query: str) -> tuple[list[PlaceHit], bool]:
    """Grids, estates and buildings in the user's scope whose name holds `query` (names that
    start with it first, then shorter ones); failing that, a container the start of the query
    names and what the rest names inside it ("安居苑1号楼", "安居苑 1号楼"). Also says whether the query matches a place outside the scope (the desk says so
    rather than "nothing found")."""
    # Control characters (a NUL would make the database refuse the query) are no place name.
    query = "".join(c for c in (query or "") if unicodedata.category(c)[0] != "C")
    query = " ".join(query.split())[:60]
    if not query:
        return [], False
    scope = scope_for(user)
    scoped = Area.objects.filter(_in_scope(scope), kind__in=PLACE_KINDS)
    direct = list(
        scoped.filter(name__icontains=query)
        .annotate(pos=StrIndex(F("name"), Value(query)), n=Length("name"))
        .order_by("pos", "n", "path")
        .only(*_FIELDS)[:MAX_RESULTS]
    )
    # Nothing named so: the query may be a container and a place inside it.
    compound = [] if direct else _inside_containers(scope, scoped, query)
    hits = _labels(direct + compound)
    outside = False
    if not hits:
        outside = Area.objects.filter(kind__in=PLACE_KINDS, name__icontains=query).exists()
    return hits, outside


def _inside_containers(scope: Scope, scoped, query: str) -> list[Area]:
    """ "安居苑1号楼", "安居苑 1号楼": a community, grid or estate named by the start of the
    query (part of its name will do: 阔口社区安居苑) and, inside it, the place the rest names.
    Two queries: the containers, then what is inside them."""
    splits = []
    for k in range(len(query) - 1, 1, -1):  # the longest head first
        head, rest = query[:k].strip(), query[k:].strip()
        if len(head) >= 2 and rest:
            splits.append((head, rest))
    splits = splits[:16]
    if not splits:
        return []
    named = Q(pk__in=[])
    for head, _rest in splits:
        named |= Q(name__icontains=head)
    containers = list(
        Area.objects.filter(_in_scope(scope), named, kind__in=CONTAINER_KINDS)
        .order_by("-depth", "path")
        .only("pk", "name", "path")[:20]
    )
    arms = Q(pk__in=[])
    for c in containers:
        # The longest head this container's name holds decides what the rest is.
        head, rest = next((h, r) for h, r in splits if h.lower() in c.name.lower())
        arms |= Q(path__startswith=c.path, name__icontains=rest)
    if not containers:
        return []
    return list(scoped.filter(arms).order_by("-depth", "path").only(*_FIELDS)[:MAX_RESULTS])


def nearest_place(user, lat: float, lng: float) -> tuple[PlaceHit | None, bool]:
    """The building (else estate, else grid) nearest a point on the map, among those in the
    user's scope; and whether a nearer one lies outside it (the point is someone else's)."""
    box = Q(
        lat__range=(lat - NEAR_BOX, lat + NEAR_BOX), lng__range=(lng - NEAR_BOX, lng + NEAR_BOX)
    )
    rows = list(Area.objects.filter(box, kind__in=PLACE_KINDS).only(*_FIELDS)[:3000])
    scope = scope_for(user)
    cos = math.cos(math.radians(lat))
    rank = {"building": 0, "estate": 1, "grid": 2}

    def distance(a: Area) -> tuple[float, int]:
        assert a.lat is not None and a.lng is not None  # the box only holds placed areas
        return (math.hypot(a.lat - lat, (a.lng - lng) * cos), rank[a.kind])

    rows.sort(key=distance)
    mine = [a for a in rows if scope.covers_area(a)]
    if not mine:
        return None, bool(rows)
    best = mine[0]
    outside = rows[0].pk != best.pk and distance(rows[0])[0] < distance(best)[0] / 2
    return _labels([best])[0], outside


# --- the caller ----------------------------------------------------------------------------------


@dataclass
class Member:
    resident: Resident
    phone: str  # masked: the full number is a logged reveal away
    id_number: str
    tags: list[str]  # grids.models.ResidentTag values the user may see

    @property
    def tag_labels(self) -> list[str]:
        return [str(ResidentTag(t).label) for t in self.tags]


@dataclass
class HouseholdCard:
    household: Household
    label: str  # the building: community › estate › building
    callers: list[int]  # the residents whose number was typed
    members: list[Member] = field(default_factory=list)


@dataclass
class CallerCard:
    phone: str
    has_account: bool
    households: list[HouseholdCard]
    cases: list[Case]
    name: str = ""  # the caller's name on the register, to fill in

    @property
    def found(self) -> bool:
        return bool(self.households or self.cases)


def caller_card(user, phone: str) -> CallerCard:
    """The caller's household(s) and earlier cases as `user` may see them: residents of the
    households in the user's scope (numbers masked; revealing one is logged), cases the user
    may see that were filed by or for this number. Five queries."""
    residents = list(
        Resident.objects.visible_to(user)
        .filter(phone=phone)
        .select_related("household__building")
        .order_by("pk")[:5]
    )
    households: dict[int, HouseholdCard] = {}
    buildings = {r.household.building_id: r.household.building for r in residents}
    labels = {h.area.pk: h.label for h in _labels(list(buildings.values()))} if buildings else {}
    for r in residents:
        card = households.get(r.household_id)
        if card is None:
            label = labels.get(r.household.building_id, r.household.building.name)
            card = households[r.household_id] = HouseholdCard(
                household=r.household, label=label, callers=[]
            )
        card.callers.append(r.pk)
    if households:
        members = (
            Resident.objects.filter(household_id__in=list(households))
            .select_related("household__building")
            .order_by("household_id", "pk")
        )
        for m in members:
            households[m.household_id].members.append(
                Member(
                    resident=m,
                    phone=mask_phone(m.phone),
                    id_number=mask_id_number(m.id_number),
                    tags=visible_tags(user, m),
                )
            )
    account = reporter_for_phone(phone)
    own = Q(reporter__isnull=True, reporter_phone=phone)
    if account is not None:
        own |= Q(reporter=account)
    cases = list(
        Case.objects.visible_to(user)
        .filter(own)
        .select_related("category", "place")
        .order_by("-created_at")[:10]
    )
    name = residents[0].name if residents else (account.display_name if account else "")
    return CallerCard(
        phone=phone,
        has_account=account is not None,
        households=list(households.values()),
        cases=cases,
        name=name,
    )


# --- likely duplicates ---------------------------------------------------------------------------


def duplicate_anchor(place: Area) -> Area:
    """Where "the same place" is looked for: a building's estate (neighbours report the same
    road, the same pipe from the next building), else the place itself."""
    if place.kind == "building" and place.depth > 1:
        parent = Area.objects.filter(path=place.path[: -Area.steplen]).only(*_FIELDS).first()
        if parent is not None and parent.kind == "estate":
            return parent
    return place


def likely_duplicates(user, place: Area, category_id: int, limit: int = 10) -> list[Case]:
    """Open cases (not closed yet) of the same category at the same place (see
    duplicate_anchor) that the user may see, newest first."""
    anchor = duplicate_anchor(place)
    return list(
        Case.objects.visible_to(user)
        .filter(
            category_id=category_id,
            state__in=NOT_CLOSED_STATES,
            place_path__startswith=anchor.path,
        )
        .select_related("place", "category")
        .order_by("-created_at")[:limit]
    )
