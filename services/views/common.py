"""What both phone audiences share: the place picker, similar cases, the plain-words timeline
and the tracking-link signature."""

from __future__ import annotations

import math

from django.core import signing
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET

from grids.models import Area
from services import routing
from services.actions import PLACE_KINDS
from services.choices import NOT_CLOSED_STATES, Action, CaseType, State
from services.models import Case

PICKER_KINDS = ("community", "grid", "estate", "building")
TRACK_SALT = "services.track"
FOLLOW_SALT = "services.follow"


def tracking_link_token(case: Case) -> str:
    """The tracking link's token: the case's secret token, signed, so a tampered link is told
    apart from an unknown one."""
    return signing.dumps(case.tracking_token, salt=TRACK_SALT, compress=False)


def token_from_link(value: str) -> str | None:
    try:
        return signing.loads(value, salt=TRACK_SALT)
    except signing.BadSignature:
        return None


# What names a place for a resident: the community, then the estate and building (grids are
# the office's word, not theirs).
LABEL_KINDS = ("community", "estate", "building")
SEARCH_MAX = 20


def place_labels(areas) -> dict[int, str]:
    """Each area as residents name it (甲社区 › 幸福小区 › 3号楼), all in one query."""
    areas = list(areas)
    prefixes = {p for a in areas for p in routing.path_prefixes(a.path)}
    chain = {
        a.path: a
        for a in Area.objects.filter(path__in=prefixes, kind__in=LABEL_KINDS).only(
            "path", "name", "kind"
        )
    }
    out = {}
    for area in areas:
        names = [chain[p].name for p in routing.path_prefixes(area.path)[:-1] if p in chain]
        out[area.pk] = " › ".join([*names, area.name])
    return out


def place_label(area: Area) -> str:
    return place_labels([area])[area.pk]


@require_GET
def places(request):
    """The place picker: `q` searches estates, buildings and grids by name (the one search
    box of the filing page, up to 20, nearest to the root first); `parent` lists the children
    of a place (or the communities) for a cascading picker."""
    query = (request.GET.get("q") or "").strip()[:40]
    if query:
        found = list(
            Area.objects.filter(kind__in=PLACE_KINDS, name__icontains=query)
            .order_by("depth", "path")
            .only("pk", "path", "name", "kind", "depth")[:SEARCH_MAX]
        )
        labels = place_labels(found)
        rows = [
            {"id": a.pk, "name": a.name, "kind": a.kind, "label": labels[a.pk], "pickable": True}
            for a in found
        ]
        return JsonResponse({"results": rows})
    parent_id = request.GET.get("parent")
    if parent_id:
        parent = Area.objects.filter(pk=parent_id if parent_id.isdigit() else None).first()
        if parent is None:
            return JsonResponse({"errors": {"parent": [_("No such place.")]}}, status=400)
        qs = Area.objects.filter(
            path__startswith=parent.path, depth=parent.depth + 1, kind__in=PICKER_KINDS
        )
    else:
        qs = Area.objects.filter(kind="community")
    rows = [
        {"id": a.pk, "name": a.name, "kind": a.kind, "pickable": a.kind != "community"}
        for a in qs.order_by("path").only("pk", "name", "kind")[:500]
    ]
    return JsonResponse({"results": rows})


def nearest_place(lat: float, lng: float) -> Area | None:
    """The grid, estate or building whose centre point is nearest to a WGS-84 point (at equal
    distance the deeper one: a building over its estate), within about 2 km."""
    scale = math.cos(math.radians(lat))
    best: Area | None = None
    # A small box first: in a dense city it holds the answer and a handful of rows. The
    # answer is final once it lies nearer than the box's edge (nothing outside can beat it);
    # else the wide box decides. Beyond ~2 km the position says nothing about the place.
    for box in (0.003, 0.02):
        best, best_d = _nearest_in_box(lat, lng, box, scale)
        if best_d is not None and best_d < box * min(1.0, scale):
            break
    return best


def _nearest_in_box(lat: float, lng: float, box: float, scale: float):
    candidates = Area.objects.filter(
        kind__in=PLACE_KINDS,
        lat__range=(lat - box, lat + box),
        lng__range=(lng - box, lng + box),
    ).only("pk", "path", "depth", "kind", "lat", "lng", "name")[:2000]
    best: Area | None = None
    best_d: float | None = None
    for area in candidates:
        d = math.hypot(area.lat - lat, (area.lng - lng) * scale)
        if (
            best_d is None
            or d < best_d
            or (d == best_d and best is not None and area.depth > best.depth)
        ):
            best, best_d = area, d
    return best, best_d


def nearest_grid(lat: float, lng: float) -> Area | None:
    """The grid nearest to a WGS-84 point (the nearest estate or building counts for its
    grid)."""
    best = nearest_place(lat, lng)
    if best is None:
        return None
    return best if best.kind == "grid" else routing.grid_of(best)


@require_GET
def locate(request):
    """The place for the phone's position: `id`/`label` its grid (the grid workers' pages
    pick from their grid list), `place` the nearest building, estate or grid itself (the
    resident's filing page)."""
    try:
        lat, lng = float(request.GET["lat"]), float(request.GET["lng"])
    except (KeyError, ValueError):
        return JsonResponse({"errors": {"lat": [_("Not a WGS-84 coordinate.")]}}, status=400)
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return JsonResponse({"errors": {"lat": [_("Not a WGS-84 coordinate.")]}}, status=400)
    near = nearest_place(lat, lng)
    grid = None if near is None else near if near.kind == "grid" else routing.grid_of(near)
    if grid is None or near is None:
        return JsonResponse(
            {"errors": {"place": [_("No grid near here. Choose the place.")]}}, status=400
        )
    chain = " › ".join(a.name for a in Area.objects.get_ancestors(grid) if a.kind in PICKER_KINDS)
    return JsonResponse(
        {
            "id": grid.pk,
            "name": grid.name,
            "label": f"{chain} › {grid.name}".strip(" ›"),
            "place": {"id": near.pk, "name": near.name, "label": place_label(near)},
        }
    )


# Complaints and reports (投诉/举报) may name people: they are never offered to others.
SHAREABLE_TYPES = (CaseType.HELP, CaseType.SUGGESTION, CaseType.CONSULTATION)


def similar_cases(category_id: int, place: Area, limit: int = 5) -> list[Case]:
    """Open cases of the same category in the same grid (并单 at intake), of the types that
    are about a shared problem rather than a person."""
    grid = routing.grid_of(place) or place
    return list(
        Case.objects.filter(
            category_id=category_id,
            state__in=NOT_CLOSED_STATES,
            place_path__startswith=grid.path,
            case_type__in=SHAREABLE_TYPES,
        )
        .select_related("place", "category")
        .order_by("-created_at")[:limit]
    )


def follow_ref(case: Case) -> str:
    """What the hint hands out to follow a case by: its number, signed (the number itself is
    not shown; a forged reference is refused)."""
    return signing.dumps(case.number, salt=FOLLOW_SALT, compress=False)


def number_from_ref(ref: str) -> str | None:
    try:
        return signing.loads(ref, salt=FOLLOW_SALT)
    except signing.BadSignature:
        return None


@require_GET
def similar(request):
    """The hint shown while filing: open cases like this one. Anyone may ask (the form works
    without logging in), so a row says only what, where and when — the category, the place
    and the day — never the text, the reporter or anything else a neighbour wrote."""
    try:
        category_id = int(request.GET.get("category", ""))
        place = Area.objects.get(pk=int(request.GET.get("place", "")))
    except (ValueError, Area.DoesNotExist):
        return JsonResponse({"results": []})
    rows = [
        {
            "ref": follow_ref(c),
            "category": c.category.name,
            "place": c.place.name,
            "created": c.created_at.date().isoformat(),
        }
        for c in similar_cases(category_id, place)
    ]
    return JsonResponse({"results": rows})


# --- the timeline in plain words -----------------------------------------------------------------

PLAIN = {
    Action.SUBMIT: gettext_noop("Reported"),
    Action.DISPATCH: gettext_noop("Sent to %(unit)s"),
    Action.SIGN_FOR: gettext_noop("%(unit)s took it on"),
    Action.RECORD_CONTACT: gettext_noop("The handler contacted the reporter"),
    Action.START: gettext_noop("Work started"),
    Action.ADD_PROGRESS: gettext_noop("Work update"),
    Action.RESOLVE: gettext_noop("Done"),
    Action.RETURN: gettext_noop("The unit said it is not theirs; a dispatcher is checking"),
    Action.REVIEW_RETURN: gettext_noop("Sent on to %(unit)s"),
    Action.TRANSFER: gettext_noop("Passed to %(unit)s"),
    Action.ESCALATE: gettext_noop("Passed up to %(unit)s"),
    Action.REQUEST_EXTENSION: gettext_noop("The handler asked for more time"),
    Action.DECIDE_EXTENSION: gettext_noop("More time was decided on"),
    Action.ADD_JOINT_UNIT: gettext_noop("Another unit was called in"),
    Action.REPORT_IN: gettext_noop("Another unit reported in"),
    Action.MERGE: gettext_noop("Joined with a case about the same problem"),
    Action.NOT_ACCEPTED: gettext_noop("Not taken on"),
    Action.CALLBACK: gettext_noop("Answer on the result"),
    Action.ARCHIVE: gettext_noop("Filed away"),
    Action.YELLOW: gettext_noop("Running late (yellow card)"),
    Action.RED: gettext_noop("Overdue (red card)"),
    Action.REMIND: gettext_noop("Reminder sent to the handler"),
    Action.SUPERVISE: gettext_noop("Put under supervision"),
}


def plain_timeline(case: Case, events) -> list[dict]:
    """Each event as one sentence a resident understands, newest first."""
    out = []
    for event in events:
        template = PLAIN.get(event.action)
        if template is None:
            continue
        payload = event.payload or {}
        unit = payload.get("to") or payload.get("unit") or case.unit_label
        out.append(
            {
                "at": event.at,
                "text": _(template) % {"unit": unit},
                "note": event.note,
                "action": event.action,
            }
        )
    return out[::-1]


# --- the status as a stepper ---------------------------------------------------------------------

STEPS = (
    gettext_noop("Sent in"),
    gettext_noop("Taken in"),
    gettext_noop("Being handled"),
    gettext_noop("Done"),
    gettext_noop("Rated"),
)
# Where each state stands on the resident's five steps (已提交 → 已受理 → 处理中 → 已办结 →
# 已评价); the internal words (签收, 退单待审核, 流转 …) are not theirs.
STEP_OF_STATE: dict[str, int] = {
    State.SUBMITTED: 0,
    State.DISPATCHED: 1,
    State.RETURNED: 1,  # a dispatcher is finding the right unit: still accepted, not lost
    State.SIGNED: 2,
    State.IN_PROGRESS: 2,
    State.RESOLVED: 3,
    State.CALLED_BACK: 4,
}


def stepper(case: Case) -> dict:
    """The case's status in five plain steps: each step done, current or to come, and a
    sentence for what the steps cannot say (handled again after a "not fixed", not taken on,
    joined with another case)."""
    state = case.state
    if state == State.ARCHIVED:
        at = 4 if case.called_back_at else 3
    else:
        at = STEP_OF_STATE.get(state, 0)
    note = ""
    if state == State.NOT_ACCEPTED:
        note = _("Not taken on: see the reason below.")
        at = 1
    elif state == State.MERGED:
        note = _("Joined with a case about the same problem: it is handled there.")
        at = 1
    elif case.redo_count and state in (State.DISPATCHED, State.SIGNED, State.IN_PROGRESS):
        note = _("Handled again, as you said it was not fixed.")
    steps = [
        {
            "text": _(label),
            "state": "done" if i < at else "current" if i == at else "todo",
        }
        for i, label in enumerate(STEPS)
    ]
    if at == len(STEPS) - 1:
        steps[-1]["state"] = "done"
    return {"steps": steps, "note": note, "current": _(STEPS[at])}
