"""What Open311 shows of a case: the spec's request record, and which cases a caller reads.

The rule is the resident pages' (services.followers, services/views/resident.py):

- Anyone (no key) reads the cases a neighbour following them would see, of the types that are
  about a shared problem (services.views.common.SHAREABLE_TYPES: never complaints or reports,
  which may name people), and only what a follower sees: category, place, state, the handling
  unit, the due date while open, the steps in plain words. Nothing the reporter wrote
  (description, address, position, photos, the notes on the steps: followers.REPORTER_FIELDS).
- A key reads the same, inside its area only; and the cases it filed itself (its account is
  their reporter) whole, as the reporter's own tracking page shows them: the description,
  the address and position, the notes on the steps, the first photo. Never a name or phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from open311.models import ApiKey, ServiceAttribute, Submission
from open311.render import iso
from services.choices import CLOSED_STATES, Action, PhotoKind, State
from services.models import Case, CaseEvent, CasePhoto, Category
from services.views.common import PLAIN, SHAREABLE_TYPES

# Our states as FixMyStreet's extended statuses (servicerequestupdates' `status`).
EXTENDED_STATUS: dict[str, str] = {
    State.SUBMITTED: "OPEN",
    State.DISPATCHED: "OPEN",
    State.SIGNED: "ACTION_SCHEDULED",
    State.IN_PROGRESS: "IN_PROGRESS",
    State.RETURNED: "INVESTIGATING",
    State.RESOLVED: "FIXED",
    State.CALLED_BACK: "CLOSED",
    State.NOT_ACCEPTED: "NO_FURTHER_ACTION",
    State.MERGED: "DUPLICATE",
    State.ARCHIVED: "CLOSED",
}
PUBLIC_ACTIONS = tuple(str(a) for a in PLAIN)


def status_of(state: str) -> str:
    """GeoReport's two statuses: closed once finished in any way, else open."""
    return "closed" if state in CLOSED_STATES else "open"


def readable(key: ApiKey | None) -> QuerySet:
    """The cases this caller reads (see the module docstring)."""
    q = Q(case_type__in=SHAREABLE_TYPES, is_malicious=False)
    if key is not None:
        q |= Q(reporter_id=key.account_id)
    cases = Case.objects.filter(q)
    if key is not None and key.area is not None:
        cases = cases.filter(place_path__startswith=key.area.path)
    return cases


def whole(case: Case | Request, key: ApiKey | None) -> bool:
    return key is not None and case.reporter_id == key.account_id


# The columns a page of requests reads: the case's own (no joins: a join to the areas on a page
# of 100 cost more than the case scan itself, in planning and execution), the reporter's text
# only for a key (it reads its own cases whole). Names come after, one query per table.
CASE_COLUMNS = (
    "id",
    "number",
    "state",
    "case_type",
    "created_at",
    "resolve_due",
    "reporter_id",
    "category_id",
    "place_id",
    "handling_area_id",
    "handling_department_id",
)
WHOLE_COLUMNS = ("description", "address", "lat", "lng")
OPEN_STATES = frozenset((State.DISPATCHED, State.SIGNED, State.IN_PROGRESS))  # Case.is_open


@dataclass(slots=True)
class Request:
    """A case as a request record reads it: plain values, not a model (a page is up to 1,000
    of them, and their category, place and unit); the attribute names are Case's where the
    helpers shared with the updates feed read them (pk, state, reporter_id, unit_label)."""

    pk: int
    number: str
    state: str
    case_type: str
    created_at: datetime
    resolve_due: datetime | None
    reporter_id: int | None
    place_id: int
    description: str = ""
    address: str = ""
    lat: float | None = None
    lng: float | None = None
    category_name: str = ""
    category_code: str = ""
    place_name: str = ""
    place_lat: float | None = None
    place_lng: float | None = None
    unit_label: str = "—"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def load(cases: QuerySet, key: ApiKey | None) -> list[Request]:
    """The page's cases (the sliced, ordered queryset) as Requests: the cases, then the names
    of their places and handling areas, categories and departments (departments only when a
    case is with one): two queries for 1 or 1,000 cases."""
    whole_columns = WHOLE_COLUMNS if key is not None else ()
    rows = list(cases.values_list(*CASE_COLUMNS, *whole_columns))
    if not rows:
        return []
    areas, categories, departments = _names(
        {r[8] for r in rows} | {r[9] for r in rows if r[9]},
        {r[7] for r in rows},
        {r[10] for r in rows if r[10]},
    )
    out = []
    for row in rows:
        pk, number, state, case_type, created_at, due, reporter_id = row[:7]
        category_id, place_id, area_id, department_id = row[7:11]
        r = Request(pk, number, state, case_type, created_at, due, reporter_id, place_id)
        if whole_columns:
            r.description, r.address, r.lat, r.lng = row[11:]
        r.category_name, r.category_code = categories[category_id]
        r.place_name, r.place_lat, r.place_lng = areas[place_id]
        # As Case.unit_label: the department handling it, else the area, else a dash.
        if department_id:
            r.unit_label = departments.get(department_id, "—")
        elif area_id in areas:
            r.unit_label = areas[area_id][0]
        out.append(r)
    return out


# The names a page shows, from three small lookups by primary key in one round trip (UNION ALL
# of the areas, the categories and the departments; the ORM's union() cannot line up columns
# of three models).
NAMES_SQL = (
    "SELECT 'a', id, name, lat, lng, '' FROM grids_area WHERE id = ANY(%s) "
    "UNION ALL SELECT 'c', id, name, NULL, NULL, code FROM services_category WHERE id = ANY(%s) "
    "UNION ALL SELECT 'd', id, name, NULL, NULL, '' FROM grids_department WHERE id = ANY(%s)"
)


def _names(area_ids: set, category_ids: set, department_ids: set) -> tuple[dict, dict, dict]:
    """{area id: (name, lat, lng)}, {category id: (name, code)}, {department id: name}."""
    found: dict[str, dict] = {"a": {}, "c": {}, "d": {}}
    with connection.cursor() as cursor:
        cursor.execute(NAMES_SQL, [list(area_ids), list(category_ids), list(department_ids)])
        for table, pk, name, lat, lng, code in cursor.fetchall():
            found[table][pk] = (
                (name, lat, lng) if table == "a" else (name, code) if table == "c" else name
            )
    return found["a"], found["c"], found["d"]


class Words:
    """The words a page repeats on every record (a step in plain words, a state's label, a
    date in the site's zone), looked up once per page instead of once per record."""

    def __init__(self):
        self.tz = timezone.get_current_timezone()
        self._steps: dict[str, str] = {}
        self._states: dict[str, str] = {}

    def iso(self, value):
        return None if value is None else value.astimezone(self.tz).isoformat(timespec="seconds")

    def step(self, action: str) -> str:
        text = self._steps.get(action)
        if text is None:
            text = self._steps[action] = _(PLAIN[Action(action)])
        return text

    def state(self, state: str) -> str:
        text = self._states.get(state)
        if text is None:
            text = self._states[state] = str(State(state).label)
        return text


# The columns an update record reads (update_record(), _sentence()), on the updates feed.
UPDATE_FIELDS = (
    "at",
    "action",
    "to_state",
    "note",
    "payload",
    "case__number",
    "case__state",
    "case__reporter_id",
    "case__handling_area__name",
    "case__handling_department__name",
)


def _sentence(case, event: Any, full: bool, words: Words | None = None) -> str:
    if event is None:
        return ""
    payload = event.payload or {}
    unit = payload.get("to") or payload.get("unit") or case.unit_label
    step = words.step(event.action) if words else _(PLAIN[Action(event.action)])
    text = step % {"unit": unit}
    return f"{text}: {event.note}" if full and event.note else text


def latest_events(case_ids: list[int]) -> dict:
    """Each case's latest step a resident sees (one query, on the (case, at) index), as rows
    with CaseEvent's attribute names (case_id, at, action, note, payload)."""
    rows = (
        CaseEvent.objects.filter(case_id__in=case_ids, action__in=PUBLIC_ACTIONS)
        .order_by("case_id", "-at", "-id")
        .distinct("case_id")
        .values_list("case_id", "at", "action", "note", "payload", named=True)
    )
    return {e.case_id: e for e in rows}


def first_photos(case_ids: list[int]) -> dict[int, CasePhoto]:
    if not case_ids:
        return {}
    rows = (
        CasePhoto.objects.filter(case_id__in=case_ids, kind=PhotoKind.INTAKE)
        .order_by("case_id", "pk")
        .distinct("case_id")
    )
    return {p.case_id: p for p in rows}


def records(
    cases: list[Request], key: ApiKey | None, build_url, *, extensions: bool = False
) -> list[dict]:
    """The spec's request records for these cases (load()): one query beyond them for their
    latest steps, one for the photos of a key's own cases; with `extensions`, two more for
    the notes and the attributes."""
    words = Words()
    events = latest_events([c.pk for c in cases])
    photos = first_photos([c.pk for c in cases if whole(c, key)])
    rows = [record(c, key, events.get(c.pk), photos.get(c.pk), build_url, words) for c in cases]
    if extensions:
        notes = all_notes(cases, key, words)
        sent = attributes_sent([c.pk for c in cases if whole(c, key)])
        for case, row in zip(cases, rows, strict=True):
            row["extended_attributes"] = {
                "notes": notes.get(case.pk, []),
                "attributes": sent.get(case.pk, []),
            }
    return rows


def all_notes(cases: list[Request], key: ApiKey | None, words: Words) -> dict[int, list[dict]]:
    """Chicago's `extended_attributes.notes` (extensions=true): every step a resident sees,
    oldest first, as {datetime, type (our step), summary (in plain words), description (the
    step's note, for the key that filed the case only)}."""
    by_id = {c.pk: c for c in cases}
    out: dict[int, list[dict]] = {c.pk: [] for c in cases}
    rows = (
        CaseEvent.objects.filter(case_id__in=list(by_id), action__in=PUBLIC_ACTIONS)
        .order_by("case_id", "at", "id")
        .values_list("case_id", "at", "action", "note", "payload", named=True)
    )
    for event in rows:
        case = by_id[event.case_id]
        full = whole(case, key)
        out[case.pk].append(
            {
                "datetime": words.iso(event.at),
                "type": event.action,
                "summary": _sentence(case, event, False, words),
                "description": event.note if full else "",
            }
        )
    return out


def attributes_sent(case_ids: list[int]) -> dict[int, list[dict]]:
    """The `attribute[code]` answers the filing system sent, for that system only."""
    if not case_ids:
        return {}
    rows = Submission.objects.filter(case_id__in=case_ids).values_list("case_id", "attributes")
    return {
        case_id: [
            {"code": code, "value": ",".join(v) if isinstance(v, list) else str(v)}
            for code, v in (attributes or {}).items()
        ]
        for case_id, attributes in rows
    }


def record(case: Request, key, event, photo, build_url, words: Words) -> dict:
    full = whole(case, key)
    address = case.place_name
    if full and case.address:
        address = f"{case.place_name} · {case.address}"
    lat, lng = (case.lat, case.lng) if full else (case.place_lat, case.place_lng)
    return {
        "service_request_id": case.number,
        "status": status_of(case.state),
        "status_notes": _sentence(case, event, full, words),
        "service_name": case.category_name,
        "service_code": case.category_code,
        "description": case.description if full else "",
        "agency_responsible": case.unit_label,
        "service_notice": words.state(case.state),
        "requested_datetime": words.iso(case.created_at),
        "updated_datetime": words.iso(event.at if event is not None else case.created_at),
        "expected_datetime": words.iso(case.resolve_due) if case.is_open else None,
        "address": address,
        "address_id": case.place_id,
        "zipcode": "",
        "lat": lat,
        "long": lng,
        "media_url": build_url(photo.image.url) if photo is not None else "",
    }


def services_list() -> list[dict]:
    """One service per active category; `group` is the top of its branch of the tree."""
    categories = list(Category.objects.all().only("pk", "parent_id", "name", "code", "is_active"))
    asking = set(ServiceAttribute.objects.values_list("category_id", flat=True).distinct())
    by_id = {c.pk: c for c in categories}

    def top(c: Category) -> Category:
        seen = set()
        while c.parent_id and c.parent_id in by_id and c.pk not in seen:
            seen.add(c.pk)
            c = by_id[c.parent_id]
        return c

    rows = []
    for c in sorted(categories, key=lambda c: (top(c).name, c.parent_id is not None, c.name)):
        if not c.is_active:
            continue
        rows.append(
            {
                "service_code": c.code,
                "service_name": c.name,
                "description": str(c),
                # A definition to call for: the category asks extra questions.
                "metadata": c.pk in asking,
                "type": "realtime",
                "keywords": "",
                "group": top(c).name,
            }
        )
    return rows


def definition(category: Category) -> dict:
    """The spec's service definition: the category's questions in their order."""
    rows = ServiceAttribute.objects.filter(category=category).order_by("order", "pk")
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description,
                "order": a.order,
                "description": a.description,
                "values": [{"key": str(v["key"]), "name": str(v["name"])} for v in a.values or []],
            }
            for a in rows
        ],
    }


def update_record(event: CaseEvent, key: ApiKey | None) -> dict:
    """One step as FixMyStreet's request_update."""
    case = event.case
    full = whole(case, key)
    return {
        "update_id": str(event.pk),
        "service_request_id": case.number,
        "status": EXTENDED_STATUS.get(event.to_state or case.state, "OPEN"),
        "updated_datetime": iso(event.at),
        "description": _sentence(case, event, full),
        "media_url": "",
        "external_status_code": event.action,
    }
