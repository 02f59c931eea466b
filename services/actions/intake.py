"""Intake: case numbers, cleaning what a resident, grid worker or staff member filed, and
`submit_case` (the case and its photos land whole or not at all)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import Area
from grids.models.roles import Role
from grids.scope import scope_for
from services import calendar, city, photos, sql
from services.actions.core import S, _event, _now, active_category, grid_id_for
from services.actions.handling import _resolve_locked
from services.choices import (
    Action,
    CaseType,
    Channel,
    PhotoKind,
    Urgency,
)
from services.models import (
    Case,
    CaseFollower,
    CasePhoto,
    Category,
)


def next_number(now: datetime | None = None) -> str:
    """The next case number, YYYYMMDD + at least 5 digits (2026112400123), from one atomic
    upsert of the day's counter row: concurrent submissions each get their own number, and the
    row is held only for the length of the statement (the ORM has no "increment or insert")."""
    day = calendar.local(now or _now()).date()
    last = sql.take_next_number(day)
    return f"{day:%Y%m%d}{last:05d}"


# --- intake -------------------------------------------------------------------------------------


PLACE_KINDS = ("grid", "estate", "building")
DISPATCH_GRACE = timedelta(seconds=60)


@dataclass
class Intake:
    """What a submission carries (a form, the API and the phone pages fill one)."""

    case_type: str
    category: Category | int
    description: str
    place: Area | int
    channel: str = Channel.RESIDENT_WEB
    lat: float | None = None
    lng: float | None = None
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    urgency: str = Urgency.NORMAL
    raised_before_complaint: bool = False
    handled_on_spot: bool = False
    result: str = ""
    photos: list = field(default_factory=list)
    result_photos: list = field(default_factory=list)


def _clean_intake(data: Intake, actor) -> tuple[Category, Area]:
    errors: dict[str, list[str]] = {}
    if data.case_type not in CaseType.values:
        errors["case_type"] = [_("Choose a type.")]
    if data.channel not in Channel.values:
        errors["channel"] = [_("Choose a channel.")]
    if data.urgency not in Urgency.values:
        errors["urgency"] = [_("Choose an urgency.")]
    description = (data.description or "").strip()
    if not description:
        errors["description"] = [_("Describe the problem.")]
    elif len(description) > 4000:
        errors["description"] = [_("At most 4,000 characters.")]
    category = (
        data.category if isinstance(data.category, Category) else active_category(data.category)
    )
    if category is None or not category.is_active:
        errors["category"] = [_("Choose a category.")]
    place: Area | None = data.place if isinstance(data.place, Area) else None
    if place is None and data.place:
        place = Area.objects.filter(pk=data.place).first()
    scope = scope_for(actor)
    if place is None or place.kind not in PLACE_KINDS:
        errors["place"] = [_("Choose a grid, estate or building.")]
    elif scope.is_staff and not scope.is_superuser and not scope.covers_area(place):
        # Staff key cases in for their own area only; residents may report anywhere.
        errors["place"] = [_("This place is outside your area.")]
    if (actor is None or not actor.is_authenticated) and not data.reporter_phone.strip():
        errors["reporter_phone"] = [_("Leave a phone number so we can reach you.")]
    for name, value, lo, hi in (("lat", data.lat, -90, 90), ("lng", data.lng, -180, 180)):
        if value is not None and not (lo <= value <= hi):
            errors[name] = [_("Not a WGS-84 coordinate.")]
    if data.handled_on_spot:
        if not (scope.is_superuser or scope.has_role(Role.GRID_WORKER, Role.COMMUNITY_STAFF)):
            errors["handled_on_spot"] = [
                _("Only grid and community staff handle cases on the spot.")
            ]
        elif not data.result.strip():
            errors["result"] = [_("Say how it was handled.")]
    if errors:
        raise ValidationError(errors)
    assert category is not None and place is not None  # else errors were raised above
    return category, place


@transaction.atomic
def submit_case(data: Intake, actor=None) -> Case:
    """Take in a case (受理). It lands whole with its photos or not at all.

    The first receiver owns it until it is dispatched. On commit the dispatch task routes it;
    a case handled on the spot is resolved at once and goes straight to callback."""
    category, place = _clean_intake(data, actor)
    clean_photos = photos.process_all(data.photos)
    clean_results = photos.process_all(data.result_photos) if data.handled_on_spot else []
    now = _now()
    user = actor if actor is not None and actor.is_authenticated else None
    case = Case(
        number=next_number(now),
        channel=data.channel,
        case_type=data.case_type,
        category=category,
        description=data.description.strip(),
        place=place,
        place_path=place.path,
        grid_id=grid_id_for(place),
        lat=data.lat,
        lng=data.lng,
        address=data.address.strip()[:200],
        reporter=user if data.channel in (Channel.RESIDENT_WEB, Channel.KIOSK) else None,
        reporter_name=data.reporter_name.strip()[:60],
        reporter_phone=data.reporter_phone.strip()[:20],
        tracking_token=secrets.token_urlsafe(16)[:22],
        urgency=data.urgency,
        raised_before_complaint=data.raised_before_complaint,
        handled_on_spot=data.handled_on_spot,
        received_by=user,
        state=S.SUBMITTED,
        # Waiting for the dispatch task; if its message is lost, the sweep dispatches the case
        # once this time has passed (the database, not the broker, remembers it is waiting).
        next_check_at=None if data.handled_on_spot else now + DISPATCH_GRACE,
    )
    if case.channel == Channel.RESIDENT_WEB and case.reporter is None and not case.reporter_phone:
        raise ValidationError({"reporter_phone": _("Leave a phone number so we can reach you.")})
    submitted = _event(case, Action.SUBMIT, user, "", payload={"channel": case.channel}, at=now)
    case.save()
    submitted.case = case
    submitted.save()
    if clean_photos:
        CasePhoto.objects.bulk_create(
            [CasePhoto(case=case, kind=PhotoKind.INTAKE, image=f) for f in clean_photos]
        )
    city.note_events([submitted])  # collected here: the city 12345 platform hears of it
    if data.handled_on_spot:
        _resolve_locked(case, user, data.result, clean_results, now)
        return case
    from services.tasks import request_dispatch

    transaction.on_commit(request_dispatch)
    return case


def follow(case: Case | int, *, actor) -> bool:
    """Follow an open case instead of filing a duplicate (并单 at intake): the resident is told
    of its progress and may answer its callback. True when newly following."""
    case_id = case.pk if isinstance(case, Case) else case
    if actor is None or not actor.is_authenticated:
        raise ValidationError({"actor": _("Log in to follow a case.")})
    target = Case.objects.filter(pk=case_id).only("pk", "state", "reporter_id").first()
    if target is None:
        raise ValidationError({"case": _("No such case.")})
    if target.state not in (S.SUBMITTED, S.DISPATCHED, S.SIGNED, S.IN_PROGRESS, S.RETURNED):
        raise ValidationError({"case": _("This case is closed; file a new one.")})
    if target.reporter_id == actor.pk:
        return False
    _row, created = CaseFollower.objects.get_or_create(case_id=target.pk, user=actor)
    return created
