"""The case engine's write operations: THE one write path for cases.

Views, admin, API and tasks call these functions; nothing else changes a case. Each
transition:

1. locks the case row (`select_for_update`) inside a transaction,
2. checks the optional `expected_version` (someone else acted first → a clear error),
3. checks the state against TRANSITIONS (the single table of what may follow what),
4. checks that the actor may act (scope and role),
5. changes the case, bumps `version`, recomputes its timers, writes a CaseEvent,
6. queues notifications and tasks with `transaction.on_commit`.

A refused step raises django.core.exceptions.ValidationError with a message for people
(forms show it, the API turns it into a 400 naming the field). `actor=None` means the system
(the dispatch task, the sweep).
"""

from __future__ import annotations

import secrets
import time as _time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area, Department
from grids.models.roles import Role
from grids.scope import scope_for
from services import calendar, notify, photos, routing
from services.choices import (
    SATISFIED_RATINGS,
    Action,
    CallbackMethod,
    CaseType,
    Channel,
    ExtensionStatus,
    JointRole,
    Level,
    PhotoKind,
    Stage,
    State,
    Urgency,
)
from services.models import (
    DEFAULT_LIMITS,
    Callback,
    Case,
    CaseCounter,
    CaseEvent,
    CaseFollower,
    CasePhoto,
    Category,
    ExtensionRequest,
    JointUnit,
    KpiConfig,
    TimeLimit,
)

S = State
OPEN = frozenset({S.DISPATCHED, S.SIGNED, S.IN_PROGRESS})

# action → (states it may start from, states it may end in; empty = unchanged).
TRANSITIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    Action.DISPATCH: (frozenset({S.SUBMITTED}), frozenset({S.DISPATCHED})),
    Action.SIGN_FOR: (frozenset({S.DISPATCHED}), frozenset({S.SIGNED})),
    Action.RECORD_CONTACT: (frozenset({S.SIGNED, S.IN_PROGRESS}), frozenset()),
    Action.START: (frozenset({S.SIGNED}), frozenset({S.IN_PROGRESS})),
    Action.ADD_PROGRESS: (frozenset({S.SIGNED, S.IN_PROGRESS}), frozenset()),
    # From SUBMITTED only when handled on the spot by the grid worker who raised it.
    Action.RESOLVE: (frozenset({S.SUBMITTED, S.SIGNED, S.IN_PROGRESS}), frozenset({S.RESOLVED})),
    Action.RETURN: (frozenset({S.DISPATCHED, S.SIGNED}), frozenset({S.RETURNED})),
    Action.REVIEW_RETURN: (frozenset({S.RETURNED}), frozenset({S.DISPATCHED})),
    Action.TRANSFER: (OPEN, frozenset({S.DISPATCHED})),
    Action.ESCALATE: (OPEN, frozenset({S.DISPATCHED})),
    Action.REQUEST_EXTENSION: (frozenset({S.SIGNED, S.IN_PROGRESS}), frozenset()),
    Action.DECIDE_EXTENSION: (OPEN, frozenset()),
    Action.ADD_JOINT_UNIT: (OPEN, frozenset()),
    Action.REPORT_IN: (OPEN, frozenset()),
    Action.MERGE: (OPEN | {S.SUBMITTED, S.RETURNED}, frozenset({S.MERGED})),
    Action.NOT_ACCEPTED: (frozenset({S.SUBMITTED, S.RETURNED}), frozenset({S.NOT_ACCEPTED})),
    # Satisfied and solved → called back; otherwise redo (重办) → dispatched again.
    Action.CALLBACK: (frozenset({S.RESOLVED}), frozenset({S.CALLED_BACK, S.DISPATCHED})),
    Action.ARCHIVE: (
        frozenset({S.CALLED_BACK, S.NOT_ACCEPTED, S.MERGED}),
        frozenset({S.ARCHIVED}),
    ),
}

YELLOW_FRACTION = 0.8
SUPERVISION_AFTER = 5  # working days after the reminder day (督办)


def allowed_actions(case: Case) -> list[str]:
    """The actions the case's state allows (the actor may still be refused)."""
    return [a for a, (sources, _t) in TRANSITIONS.items() if case.state in sources]


# --- plumbing ---------------------------------------------------------------------------------


def _now() -> datetime:
    return timezone.now()


def _lock(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    try:
        return Case.objects.select_for_update().get(pk=pk)
    except Case.DoesNotExist as exc:
        raise ValidationError({"case": _("No such case.")}) from exc


def _begin(case: Case | int, action: str, expected_version: int | None) -> Case:
    """Lock the case and check version and state for `action`."""
    locked = _lock(case)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(
            {
                "expected_version": _(
                    "Someone else changed case %(number)s first (it is now at version "
                    "%(version)s, you had %(expected)s). Reload it and try again."
                )
                % {
                    "number": locked.number,
                    "version": locked.version,
                    "expected": expected_version,
                }
            }
        )
    sources, _targets = TRANSITIONS[action]
    if locked.state not in sources:
        raise ValidationError(
            {
                "action": _("You cannot %(action)s a case that is %(state)s.")
                % {"action": Action(action).label, "state": State(locked.state).label}
            }
        )
    return locked


def _event(
    case: Case,
    action: str,
    actor,
    from_state: str,
    note: str = "",
    payload: dict | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    return CaseEvent(
        case=case,
        actor_id=getattr(actor, "pk", actor),
        at=at or _now(),
        action=str(action),
        from_state=from_state,
        to_state=case.state,
        note=note,
        payload=payload or {},
    )


def _commit(
    case: Case,
    action: str,
    actor,
    from_state: str,
    note: str = "",
    payload: dict | None = None,
    now: datetime | None = None,
) -> CaseEvent:
    """Bump the version, recompute timers, save the case and write its timeline event."""
    now = now or _now()
    case.version += 1
    schedule(case, now)
    case.save()
    event = _event(case, action, actor, from_state, note, payload, now)
    event.save()
    return event


def _users(ids: Iterable[int | None]):
    ids = {i for i in ids if i}
    if not ids:
        return []
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True))


def _notify(case: Case, user_ids: Iterable[int | None], kind: str, title: str, body: str = ""):
    notify.queue(users=_users(user_ids), case=case, kind=kind, title=title, body=body)


def _reporter_ids(case: Case) -> list[int]:
    ids = [case.reporter_id] if case.reporter_id else []
    ids += list(CaseFollower.objects.filter(case=case).values_list("user_id", flat=True))
    return ids


# --- who may act --------------------------------------------------------------------------------


def _is_dispatcher(actor, case: Case) -> bool:
    """Territorial staff above grid level whose area covers the place (or the superuser)."""
    if actor is None:
        return True
    scope = scope_for(actor)
    if scope.is_superuser:
        return True
    for role, paths in scope.paths_by_role.items():
        if role == Role.GRID_WORKER:
            continue
        if any(case.place_path.startswith(p) for p in paths):
            return True
    return False


def _is_handler(actor, case: Case) -> bool:
    """The assignee, staff of the current handling unit, or a dispatcher above it."""
    if actor is None or _is_dispatcher(actor, case):
        return True
    scope = scope_for(actor)
    if case.assignee_id == actor.pk:
        return True
    if case.handling_department_id and case.handling_department_id in scope.department_ids:
        return True
    if case.handling_area_id and case.level == Level.GRID:
        area_path = Area.objects.filter(pk=case.handling_area_id).values_list("path", flat=True)
        path = area_path.first() or ""
        return any(path.startswith(p) for p in scope.paths_by_role.get(Role.GRID_WORKER, ()))
    return False


def _require(ok: bool, message: str | None = None) -> None:
    if not ok:
        raise ValidationError(
            {"actor": message or _("You are not the handling unit of this case.")}
        )


# --- clocks -------------------------------------------------------------------------------------


_limits_cache: dict[tuple[int, str], tuple[float, tuple]] = {}
LIMITS_TTL = 60.0  # seconds; a staff edit clears this process's cache at once


def clear_limits_cache() -> None:
    _limits_cache.clear()


def limits_for(category_id: int, case_type: str) -> tuple[tuple[int, str], ...]:
    """The (amount, unit) of the sign, contact and resolve clocks for a category × type,
    cached for a minute (the sweep re-starts clocks for thousands of cases in a row)."""
    key = (category_id, case_type)
    hit = _limits_cache.get(key)
    if hit is not None and _time.monotonic() - hit[0] < LIMITS_TTL:
        return hit[1]
    value = _limits_for(category_id, case_type)
    _limits_cache[key] = (_time.monotonic(), value)
    return value


def _limits_for(category_id: int, case_type: str) -> tuple[tuple[int, str], ...]:
    category = Category.objects.filter(pk=category_id).first()
    lineage = category.lineage_ids() if category else []
    rows = {
        row.category_id: row
        for row in TimeLimit.objects.filter(case_type=case_type).filter(
            Q(category_id__in=lineage) | Q(category__isnull=True)
        )
    }
    for key in [*lineage, None]:
        row = rows.get(key)
        if row is not None:
            return (
                (row.sign_amount, row.sign_unit),
                (row.contact_amount, row.contact_unit),
                (row.resolve_amount, row.resolve_unit),
            )
    return DEFAULT_LIMITS[CaseType(case_type)]


def _start_clocks(case: Case, now: datetime, *, sign=True, contact=False, resolve=False) -> None:
    sign_limit, contact_limit, resolve_limit = limits_for(case.category_id, case.case_type)
    if sign:
        case.sign_due = calendar.add_clock(now, *sign_limit)
        case.sign_warn_at = calendar.fraction_point(
            now, case.sign_due, YELLOW_FRACTION, sign_limit[1]
        )
        case.sign_stage = Stage.NONE
    if contact and case.contacted_at is None:
        case.contact_due = calendar.add_clock(now, *contact_limit)
        case.contact_warn_at = calendar.fraction_point(
            now, case.contact_due, YELLOW_FRACTION, contact_limit[1]
        )
        case.contact_stage = Stage.NONE
    if resolve:
        case.clock_started_at = now
        case.resolve_due = calendar.add_clock(now, *resolve_limit)
        case.resolve_warn_at = calendar.fraction_point(
            now, case.resolve_due, YELLOW_FRACTION, resolve_limit[1]
        )
        case.resolve_stage = Stage.NONE
        case.card_level = 0


def _stop_all_clocks(case: Case) -> None:
    case.sign_due = case.sign_warn_at = None
    case.contact_due = case.contact_warn_at = None
    case.resolve_due = case.resolve_warn_at = None


def _callback_wait_until(case: Case) -> datetime | None:
    if case.resolved_at is None:
        return None
    return calendar.add_working_days(case.resolved_at, KpiConfig.current().callback_wait_days)


def timer_steps(case: Case) -> list[tuple[datetime, str, str]]:
    """The timer steps still ahead of the case: (when, clock, step), soonest first."""
    steps: list[tuple[datetime, str, str]] = []
    if case.state == S.DISPATCHED and case.sign_due:
        if case.sign_stage < Stage.YELLOW and case.sign_warn_at:
            steps.append((case.sign_warn_at, "sign", "yellow"))
        if case.sign_stage < Stage.RED:
            steps.append((case.sign_due, "sign", "red"))
    if case.state in OPEN and case.contact_due and case.contacted_at is None:
        if case.contact_stage < Stage.YELLOW and case.contact_warn_at:
            steps.append((case.contact_warn_at, "contact", "yellow"))
        if case.contact_stage < Stage.RED:
            steps.append((case.contact_due, "contact", "red"))
    if case.state in OPEN and case.resolve_due:
        due = case.resolve_due
        if case.resolve_stage < Stage.YELLOW and case.resolve_warn_at:
            steps.append((case.resolve_warn_at, "resolve", "yellow"))
        if case.resolve_stage < Stage.RED:
            steps.append((due, "resolve", "red"))
        if case.resolve_stage < Stage.REMINDED:
            steps.append((calendar.workday_start_after(due, 1), "resolve", "remind"))
        if case.resolve_stage < Stage.SUPERVISED:
            steps.append(
                (
                    calendar.workday_start_after(due, 1 + SUPERVISION_AFTER),
                    "resolve",
                    "supervise",
                )
            )
    if case.state == S.RESOLVED:
        wait = _callback_wait_until(case)
        if wait:
            steps.append((wait, "callback", "no_answer"))
    steps.sort(key=lambda s: s[0])
    return steps


def schedule(case: Case, now: datetime | None = None) -> None:
    """Set `next_check_at` (what the sweep looks at) and the card from the stored stages."""
    steps = timer_steps(case)
    case.next_check_at = steps[0][0] if steps else None
    if case.state in OPEN:
        running = [case.resolve_stage]
        if case.state == S.DISPATCHED:
            running.append(case.sign_stage)
        if case.contacted_at is None:
            running.append(case.contact_stage)
        card = 2 if max(running) >= Stage.RED else (1 if max(running) >= Stage.YELLOW else 0)
        case.card_level = max(case.card_level, card)


# --- numbers ------------------------------------------------------------------------------------


def next_number(now: datetime | None = None) -> str:
    """The next case number, YYYYMMDD + 5 digits (2026112400123), from one atomic upsert:
    concurrent submissions each get their own number without a lock held past the statement."""
    day = calendar.local(now or _now()).date()
    table = CaseCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        (last,) = cursor.fetchone()
    return f"{day:%Y%m%d}{last:05d}"


# --- intake -------------------------------------------------------------------------------------


PLACE_KINDS = ("grid", "estate", "building")


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
    category = data.category
    if not isinstance(category, Category):
        category = Category.objects.filter(pk=category, is_active=True).first()
    if category is None or not category.is_active:
        errors["category"] = [_("Choose a category.")]
    place = data.place
    if not isinstance(place, Area):
        place = Area.objects.filter(pk=place).first() if place else None
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
        grid=routing.grid_of(place),
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
    )
    if case.channel == Channel.RESIDENT_WEB and case.reporter is None and not case.reporter_phone:
        raise ValidationError({"reporter_phone": _("Leave a phone number so we can reach you.")})
    case.save()
    CasePhoto.objects.bulk_create(
        [CasePhoto(case=case, kind=PhotoKind.INTAKE, image=f) for f in clean_photos]
    )
    _event(case, Action.SUBMIT, user, "", payload={"channel": case.channel}, at=now).save()
    if data.handled_on_spot:
        _resolve_locked(case, user, data.result, clean_results, now)
        return case
    case_id = case.pk

    def dispatch_later() -> None:
        from services.tasks import dispatch_case

        dispatch_case.delay(case_id)

    transaction.on_commit(dispatch_later)
    return case


def save_photos(case: Case, files, kind: str) -> None:
    existing = CasePhoto.objects.filter(case=case, kind=kind).count()
    clean = photos.process_all(files, existing)
    CasePhoto.objects.bulk_create([CasePhoto(case=case, kind=kind, image=f) for f in clean])


# --- dispatch and handling ------------------------------------------------------------------------


def _hand_to(case: Case, target: routing.Target, now: datetime) -> None:
    case.level = target.level
    case.handling_area = target.area
    case.handling_department = target.department
    case.assignee_id = target.assignee_id
    case.state = S.DISPATCHED


def _announce(case: Case, title: str) -> None:
    _notify(case, routing.unit_user_ids(case), "assigned", title, case.description[:200])


@transaction.atomic
def dispatch(
    case: Case | int,
    *,
    actor=None,
    target: routing.Target | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """派单: hand a submitted case to a unit (by routing rules unless `target` is given) and
    start its three clocks. Idempotent for the dispatch task: a case already dispatched is
    refused by the state table, which the task treats as done."""
    case = _begin(case, Action.DISPATCH, expected_version)
    _require(
        actor is None or _is_dispatcher(actor, case) or case.received_by_id == actor.pk,
        _("Only the first receiver or a dispatcher may dispatch this case."),
    )
    now = _now()
    target = target or routing.route(case)
    from_state = case.state
    _hand_to(case, target, now)
    case.dispatched_at = case.dispatched_at or now
    _start_clocks(case, now, sign=True, contact=True, resolve=True)
    _commit(
        case,
        Action.DISPATCH,
        actor,
        from_state,
        note,
        {"to": target.label, "level": target.level},
        now,
    )
    _announce(case, _("New case %(number)s for you") % {"number": case.number})
    return case


@transaction.atomic
def sign_for(case: Case | int, *, actor, note: str = "", expected_version: int | None = None):
    """签收: the handling unit accepts the case; the sign-for clock stops."""
    case = _begin(case, Action.SIGN_FOR, expected_version)
    _require(_is_handler(actor, case))
    now = _now()
    from_state = case.state
    case.state = S.SIGNED
    if case.signed_at is None:
        case.signed_at = now
        case.sign_on_time = case.sign_due is None or now <= case.sign_due
    if actor is not None and case.assignee_id is None:
        case.assignee = actor
    case.sign_due = case.sign_warn_at = None
    _commit(case, Action.SIGN_FOR, actor, from_state, note, now=now)
    return case


@transaction.atomic
def record_contact(case: Case | int, *, actor, note: str = "", expected_version: int | None = None):
    """First contact with the resident (联系群众); the contact clock stops."""
    case = _begin(case, Action.RECORD_CONTACT, expected_version)
    _require(_is_handler(actor, case))
    now = _now()
    if case.contacted_at is None:
        case.contacted_at = now
        case.contact_on_time = case.contact_due is None or now <= case.contact_due
    case.contact_due = case.contact_warn_at = None
    _commit(case, Action.RECORD_CONTACT, actor, case.state, note, now=now)
    return case


@transaction.atomic
def start(case: Case | int, *, actor, note: str = "", expected_version: int | None = None):
    """Start work on a signed case (办理)."""
    case = _begin(case, Action.START, expected_version)
    _require(_is_handler(actor, case))
    from_state = case.state
    case.state = S.IN_PROGRESS
    _commit(case, Action.START, actor, from_state, note)
    return case


@transaction.atomic
def add_progress(
    case: Case | int,
    *,
    actor,
    note: str,
    photos_: list | None = None,
    expected_version: int | None = None,
) -> Case:
    """A progress note (and photos) on the timeline; the state does not change."""
    case = _begin(case, Action.ADD_PROGRESS, expected_version)
    _require(_is_handler(actor, case))
    if not note.strip():
        raise ValidationError({"note": _("Write what was done.")})
    if photos_:
        save_photos(case, photos_, PhotoKind.RESULT)
    _commit(case, Action.ADD_PROGRESS, actor, case.state, note.strip())
    return case


def _resolve_locked(case: Case, actor, result: str, clean_results: list, now: datetime) -> None:
    from_state = case.state
    case.state = S.RESOLVED
    case.result = result.strip()
    case.resolved_at = now
    case.resolved_on_time = case.resolve_due is None or now <= case.resolve_due
    if case.signed_at is None and case.handled_on_spot:
        case.signed_at = now
    _stop_all_clocks(case)
    CasePhoto.objects.bulk_create(
        [CasePhoto(case=case, kind=PhotoKind.RESULT, image=f) for f in clean_results]
    )
    _commit(case, Action.RESOLVE, actor, from_state, case.result, now=now)
    _notify(
        case,
        _reporter_ids(case),
        "resolved",
        _("Your case %(number)s is resolved") % {"number": case.number},
        case.result[:200],
    )


@transaction.atomic
def resolve(
    case: Case | int,
    *,
    actor,
    result: str,
    photos_: list | None = None,
    expected_version: int | None = None,
) -> Case:
    """办结: record the result (and photos); the clocks stop and the callback wait begins."""
    case = _begin(case, Action.RESOLVE, expected_version)
    if case.state == S.SUBMITTED:
        raise ValidationError({"action": _("Dispatch the case before resolving it.")})
    _require(_is_handler(actor, case))
    if not result.strip():
        raise ValidationError({"result": _("Describe the result.")})
    if JointUnit.objects.filter(case=case, reported_in_at__isnull=True).exists():
        raise ValidationError({"action": _("Every joint unit must report in before resolving.")})
    existing = CasePhoto.objects.filter(case=case, kind=PhotoKind.RESULT).count()
    clean = photos.process_all(photos_ or [], existing)
    _resolve_locked(case, actor, result, clean, _now())
    return case


# --- returns, transfers, escalation -----------------------------------------------------------------


@transaction.atomic
def return_case(case: Case | int, *, actor, reason: str, expected_version: int | None = None):
    """退单: the unit says the case is not theirs; a dispatcher reviews it."""
    case = _begin(case, Action.RETURN, expected_version)
    _require(_is_handler(actor, case))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for returning the case.")})
    from_state = case.state
    payload = {"from_unit": case.unit_label, "level": case.level}
    case.state = S.RETURNED
    case.sign_due = case.sign_warn_at = None
    _commit(case, Action.RETURN, actor, from_state, reason.strip(), payload)
    return case


def _target_from(
    level: str | None, area: Area | int | None, department: Department | int | None, case: Case
) -> routing.Target:
    if department is not None:
        if not isinstance(department, Department):
            department = Department.objects.filter(pk=department, is_active=True).first()
        if department is None:
            raise ValidationError({"department": _("Choose an active department.")})
        return routing.Target(Level.DEPARTMENT, department=department)
    if area is not None:
        if not isinstance(area, Area):
            area = Area.objects.filter(pk=area).first()
        if area is None:
            raise ValidationError({"area": _("Choose a unit.")})
        kind_level = {"grid": Level.GRID, "community": Level.COMMUNITY, "street": Level.STREET}
        lvl = kind_level.get(area.kind, Level.CITY if area.kind == "city" else None)
        if lvl is None:
            raise ValidationError({"area": _("Choose a grid, community, street or the city.")})
        if not case.place_path.startswith(area.path):
            raise ValidationError({"area": _("That unit does not cover the case's place.")})
        assignee = routing.grid_worker_for(area) if lvl == Level.GRID else None
        return routing.Target(lvl, area=area, assignee_id=assignee)
    if level:
        target = routing.target_at(case, level)
        if target is None:
            raise ValidationError({"level": _("The place has no unit at that level.")})
        return target
    raise ValidationError({"department": _("Name the unit to send the case to.")})


def _redispatch(case: Case, target: routing.Target, now: datetime) -> None:
    _hand_to(case, target, now)
    case.dispatched_at = case.dispatched_at or now
    _start_clocks(case, now, sign=True)


@transaction.atomic
def review_return(
    case: Case | int,
    *,
    actor,
    uphold: bool,
    note: str = "",
    level: str | None = None,
    area: Area | int | None = None,
    department: Department | int | None = None,
    expected_version: int | None = None,
) -> Case:
    """Review a 退单. Uphold: re-dispatch (改派) to the unit named (or re-routed). Reject: the
    case goes back to the unit that returned it, with a fresh sign-for clock."""
    case = _begin(case, Action.REVIEW_RETURN, expected_version)
    _require(_is_dispatcher(actor, case), _("Only a dispatcher reviews returns."))
    now = _now()
    from_state = case.state
    if uphold:
        if level or area or department:
            target = _target_from(level, area, department, case)
        else:
            target = routing.next_level_target(case) or routing.route(case)
        if (
            target.level == case.level
            and target.area == case.handling_area
            and target.department == case.handling_department
        ):
            raise ValidationError(
                {"department": _("Choose a different unit than the one that returned it.")}
            )
    else:
        target = routing.Target(
            case.level,
            area=case.handling_area,
            department=case.handling_department,
            assignee_id=case.assignee_id,
        )
    _redispatch(case, target, now)
    payload = {"upheld": uphold, "to": target.label, "level": target.level}
    _commit(case, Action.REVIEW_RETURN, actor, from_state, note, payload, now)
    _announce(case, _("Case %(number)s sent to you") % {"number": case.number})
    return case


@transaction.atomic
def transfer(
    case: Case | int,
    *,
    actor,
    note: str = "",
    level: str | None = None,
    area: Area | int | None = None,
    department: Department | int | None = None,
    expected_version: int | None = None,
) -> Case:
    """转办: a dispatcher moves an open case to another unit; a new sign-for clock starts,
    the resolve clock keeps running."""
    case = _begin(case, Action.TRANSFER, expected_version)
    _require(_is_dispatcher(actor, case), _("Only a dispatcher transfers cases."))
    target = _target_from(level, area, department, case)
    now = _now()
    from_state = case.state
    _redispatch(case, target, now)
    _commit(
        case,
        Action.TRANSFER,
        actor,
        from_state,
        note,
        {"to": target.label, "level": target.level},
        now,
    )
    _announce(case, _("Case %(number)s sent to you") % {"number": case.number})
    return case


def _escalate_locked(case: Case, actor, note: str, now: datetime, cache: dict | None = None):
    target = routing.next_level_target(case, cache)
    if target is None:
        raise ValidationError({"action": _("The case is already at the top level.")})
    from_state = case.state
    old = case.unit_label
    _redispatch(case, target, now)
    case.escalation_level += 1
    payload = {"from_unit": old, "to": target.label, "level": target.level}
    return from_state, payload


@transaction.atomic
def escalate(case: Case | int, *, actor, note: str = "", expected_version: int | None = None):
    """Escalate one level: grid → community → street → district department → city 12345."""
    case = _begin(case, Action.ESCALATE, expected_version)
    _require(_is_handler(actor, case))
    now = _now()
    from_state, payload = _escalate_locked(case, actor, note, now)
    _commit(case, Action.ESCALATE, actor, from_state, note, payload, now)
    _announce(case, _("Case %(number)s escalated to you") % {"number": case.number})
    return case


# --- extensions ------------------------------------------------------------------------------------


@transaction.atomic
def request_extension(
    case: Case | int,
    *,
    actor,
    working_days: int,
    reason: str,
    expected_version: int | None = None,
) -> ExtensionRequest:
    """延期申请: asked before the resolve deadline, for 1-30 working days, with a reason."""
    case = _begin(case, Action.REQUEST_EXTENSION, expected_version)
    _require(_is_handler(actor, case))
    now = _now()
    errors = {}
    if case.resolve_due and now > case.resolve_due:
        errors["working_days"] = [_("Extensions must be requested before the deadline.")]
    if not isinstance(working_days, int) or not 1 <= working_days <= 30:
        errors["working_days"] = [_("An extension is 1 to 30 working days.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason.")]
    if ExtensionRequest.objects.filter(case=case, status=ExtensionStatus.PENDING).exists():
        errors["action"] = [_("This case already has an extension request pending.")]
    if errors:
        raise ValidationError(errors)
    ext = ExtensionRequest.objects.create(
        case=case, requested_by=actor, working_days=working_days, reason=reason.strip()
    )
    _commit(
        case,
        Action.REQUEST_EXTENSION,
        actor,
        case.state,
        reason.strip(),
        {"working_days": working_days, "extension": ext.pk},
        now,
    )
    return ext


@transaction.atomic
def decide_extension(
    case: Case | int,
    *,
    actor,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> ExtensionRequest:
    """Approve (the resolve deadline moves by the working days asked, the timer ladder
    starts over) or refuse the pending extension request. Decided by a dispatcher above the
    handling unit."""
    case = _begin(case, Action.DECIDE_EXTENSION, expected_version)
    _require(_is_dispatcher(actor, case), _("Only a supervisor decides extensions."))
    ext = (
        ExtensionRequest.objects.select_for_update()
        .filter(case=case, status=ExtensionStatus.PENDING)
        .first()
    )
    if ext is None:
        raise ValidationError({"action": _("There is no extension request to decide.")})
    now = _now()
    ext.decided_by = actor
    ext.decided_at = now
    ext.decision_note = note
    ext.old_due = case.resolve_due
    if approve:
        ext.status = ExtensionStatus.APPROVED
        base = case.resolve_due or now
        case.resolve_due = calendar.add_working_days(base, ext.working_days)
        start_at = case.clock_started_at or now
        case.resolve_warn_at = calendar.fraction_point(
            start_at, case.resolve_due, YELLOW_FRACTION, "working_days"
        )
        case.resolve_stage = Stage.NONE
        case.card_level = 0
        ext.new_due = case.resolve_due
    else:
        ext.status = ExtensionStatus.REFUSED
    ext.save()
    payload = {"approved": approve, "extension": ext.pk}
    if approve:
        payload["resolve_due"] = case.resolve_due.isoformat()
    _commit(case, Action.DECIDE_EXTENSION, actor, case.state, note, payload, now)
    _notify(
        case,
        [ext.requested_by_id],
        "extension",
        (
            _("Extension approved for %(number)s")
            if approve
            else _("Extension refused for %(number)s")
        )
        % {"number": case.number},
        note,
    )
    return ext


# --- joint handling (吹哨报到) --------------------------------------------------------------------------


@transaction.atomic
def add_joint_unit(
    case: Case | int,
    *,
    actor,
    role: str = JointRole.SUPPORT,
    department: Department | int | None = None,
    area: Area | int | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> JointUnit:
    """Summon a unit to handle the case jointly, as lead (主办) or support (协办)."""
    case = _begin(case, Action.ADD_JOINT_UNIT, expected_version)
    _require(_is_handler(actor, case))
    if role not in JointRole.values:
        raise ValidationError({"role": _("Choose lead or support.")})
    target = _target_from(None, area, department, case)
    unit = JointUnit(case=case, role=role, department=target.department, area=target.area)
    unit.full_clean()
    unit.save()
    _commit(
        case, Action.ADD_JOINT_UNIT, actor, case.state, note, {"unit": target.label, "role": role}
    )
    users = (
        routing.unit_user_ids(Case(level=Level.DEPARTMENT, handling_department=target.department))
        if target.department
        else routing.unit_user_ids(Case(level=target.level, handling_area=target.area))
    )
    _notify(case, users, "joint", _("Report in on case %(number)s") % {"number": case.number}, note)
    return unit


@transaction.atomic
def report_in(
    case: Case | int,
    *,
    actor,
    unit: JointUnit | int,
    report: str,
    expected_version: int | None = None,
) -> JointUnit:
    """报到: a joint unit reports in and adds its part."""
    case = _begin(case, Action.REPORT_IN, expected_version)
    unit_id = unit.pk if isinstance(unit, JointUnit) else unit
    joint = JointUnit.objects.select_for_update().filter(case=case, pk=unit_id).first()
    if joint is None:
        raise ValidationError({"unit": _("That unit is not handling this case.")})
    scope = scope_for(actor)
    mine = (
        scope.is_superuser
        or (joint.department_id and joint.department_id in scope.department_ids)
        or (joint.area_id and scope.covers_area(joint.area))
    )
    _require(bool(mine), _("Only that unit reports in for itself."))
    if not report.strip():
        raise ValidationError({"report": _("Write what your unit did.")})
    joint.reported_in_at = joint.reported_in_at or _now()
    joint.report = report.strip()
    joint.save()
    _commit(
        case,
        Action.REPORT_IN,
        actor,
        case.state,
        report.strip(),
        {"unit": str(joint.department or joint.area)},
    )
    return joint


# --- merge, not accepted ------------------------------------------------------------------------------


@transaction.atomic
def merge(
    case: Case | int,
    *,
    actor,
    master: Case | int,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """并单: fold a repeat case into a master case; its reporter follows the master from now on.
    The master must be a different, not-merged case the actor can see."""
    case = _begin(case, Action.MERGE, expected_version)
    _require(_is_dispatcher(actor, case), _("Only a dispatcher merges cases."))
    master_id = master.pk if isinstance(master, Case) else master
    if master_id == case.pk:
        raise ValidationError({"master": _("A case cannot be merged into itself.")})
    target = Case.objects.select_for_update().filter(pk=master_id).first()
    if target is None or (
        actor is not None and not Case.objects.visible_to(actor).filter(pk=master_id).exists()
    ):
        raise ValidationError({"master": _("No such case.")})
    if target.state in (S.MERGED, S.ARCHIVED, S.NOT_ACCEPTED):
        raise ValidationError({"master": _("Merge into an open case.")})
    from_state = case.state
    case.state = S.MERGED
    case.master = target
    case.closed_at = _now()
    _stop_all_clocks(case)
    followers = set(_reporter_ids(case)) - {target.reporter_id}
    CaseFollower.objects.bulk_create(
        [CaseFollower(case=target, user_id=u) for u in followers], ignore_conflicts=True
    )
    _commit(case, Action.MERGE, actor, from_state, note, {"master": target.number})
    target.version += 1
    target.save(update_fields=["version", "updated_at"])
    _event(target, Action.MERGE, actor, target.state, note, {"merged": case.number}).save()
    _notify(
        case,
        followers,
        "merged",
        _("Your case %(number)s is handled together with %(master)s")
        % {"number": case.number, "master": target.number},
    )
    return case


@transaction.atomic
def not_accepted(case: Case | int, *, actor, reason: str, expected_version: int | None = None):
    """不予受理: the request is outside what the hotline handles; explained with a reason.
    It stays out of the KPIs when the exclusion rule says so."""
    case = _begin(case, Action.NOT_ACCEPTED, expected_version)
    _require(
        _is_dispatcher(actor, case) or (actor is not None and case.received_by_id == actor.pk),
        _("Only the receiver or a dispatcher decides this."),
    )
    if not reason.strip():
        raise ValidationError({"reason": _("Explain why the case is not accepted.")})
    from_state = case.state
    case.state = S.NOT_ACCEPTED
    case.not_accepted_reason = reason.strip()
    case.closed_at = _now()
    _stop_all_clocks(case)
    _commit(case, Action.NOT_ACCEPTED, actor, from_state, reason.strip())
    _notify(
        case,
        _reporter_ids(case),
        "not_accepted",
        _("About your case %(number)s") % {"number": case.number},
        reason.strip(),
    )
    return case


# --- callback, redo, archive ----------------------------------------------------------------------------


@transaction.atomic
def callback(
    case: Case | int,
    *,
    actor,
    solved: bool | None,
    rating: int | None,
    comment: str = "",
    method: str = CallbackMethod.PHONE,
    expected_version: int | None = None,
) -> Callback:
    """回访: solved? and a five-level rating. Unsolved or dissatisfied (不满意/非常不满意) →
    重办: the case goes back to the same unit with new clocks. No answer (method no_answer,
    recorded by the sweep after the wait) closes it without a rating."""
    case = _begin(case, Action.CALLBACK, expected_version)
    reporter_ids = set(_reporter_ids(case))
    if method == CallbackMethod.RESIDENT:
        _require(
            actor is not None and actor.pk in reporter_ids,
            _("Only the reporter answers for themselves."),
        )
    elif method == CallbackMethod.PHONE:
        _require(_is_dispatcher(actor, case), _("Only a dispatcher records phone callbacks."))
    elif method == CallbackMethod.NO_ANSWER:
        _require(actor is None or _is_dispatcher(actor, case))
    else:
        raise ValidationError({"method": _("Choose how the callback was made.")})
    if method != CallbackMethod.NO_ANSWER:
        errors = {}
        if solved is None:
            errors["solved"] = [_("Was the problem solved?")]
        if rating not in (1, 2, 3, 4, 5):
            errors["rating"] = [_("Choose a rating from very satisfied to very dissatisfied.")]
        if errors:
            raise ValidationError(errors)
    else:
        solved, rating = None, None
    now = _now()
    redo = method != CallbackMethod.NO_ANSWER and (not solved or rating not in SATISFIED_RATINGS)
    record = Callback.objects.create(
        case=case,
        method=method,
        solved=solved,
        rating=rating,
        comment=comment.strip(),
        by=actor if actor and actor.is_authenticated else None,
        at=now,
        led_to_redo=redo,
    )
    from_state = case.state
    case.called_back_at = now
    case.callback_solved = solved
    case.rating = rating
    if redo:
        case.redo_count += 1
        case.state = S.DISPATCHED
        case.resolved_at = None
        case.resolved_on_time = None
        case.card_level = 0
        _start_clocks(case, now, sign=True, contact=False, resolve=True)
        action_note = _("Redo: %(comment)s") % {
            "comment": comment.strip() or _("the resident is not satisfied")
        }
    else:
        case.state = S.CALLED_BACK
        case.closed_at = now
        action_note = comment.strip()
    _commit(
        case,
        Action.CALLBACK,
        actor,
        from_state,
        action_note,
        {"solved": solved, "rating": rating, "method": method, "redo": redo},
        now,
    )
    if redo:
        _announce(case, _("Case %(number)s must be redone") % {"number": case.number})
    return record


@transaction.atomic
def archive(
    case: Case | int, *, actor, note: str = "", expected_version: int | None = None
) -> Case:
    """归档: close the file on a called-back, not-accepted or merged case."""
    case = _begin(case, Action.ARCHIVE, expected_version)
    _require(_is_dispatcher(actor, case), _("Only a dispatcher archives cases."))
    from_state = case.state
    case.state = S.ARCHIVED
    case.closed_at = case.closed_at or _now()
    _commit(case, Action.ARCHIVE, actor, from_state, note)
    return case


@transaction.atomic
def set_malicious(case: Case | int, *, actor, malicious: bool, note: str = "") -> Case:
    """Mark a case malicious or invalid (it leaves the KPIs when the exclusion rule says so)."""
    case = _lock(case)
    _require(_is_dispatcher(actor, case), _("Only a dispatcher marks cases malicious."))
    case.is_malicious = malicious
    _commit(case, "mark_malicious", actor, case.state, note, {"malicious": malicious})
    return case


# --- the timer ladder (called by the sweep) ------------------------------------------------------------


@dataclass
class TimerBatch:
    """Events and notifications collected over a batch of cases, written in bulk."""

    events: list = field(default_factory=list)
    notices: list = field(default_factory=list)  # (case, user_ids, kind, title)
    cache: dict = field(default_factory=dict)
    user_cache: dict = field(default_factory=dict)

    def flush(self) -> None:
        CaseEvent.objects.bulk_create(self.events, batch_size=2000)
        ids = {u for _c, users, _k, _t in self.notices for u in users}
        users = {u.pk: u for u in _users(ids)}
        rows = []
        for case, user_ids, kind, title in self.notices:
            rows += notify.build_rows(
                users=[users.get(u) for u in user_ids], case=case, kind=kind, title=title
            )
        notify.save_and_send(rows)
        self.events.clear()
        self.notices.clear()


_STEP_TITLES = {
    "yellow": lambda c, clock: _("Yellow card: case %(number)s is near its %(clock)s deadline"),
    "red": lambda c, clock: _("Red card: case %(number)s missed its %(clock)s deadline"),
    "remind": lambda c, clock: _("Reminder (催办): case %(number)s is overdue"),
    "supervise": lambda c, clock: _("Supervision (督办): case %(number)s is still overdue"),
}
_CLOCK_LABELS = {"sign": "sign-for", "contact": "contact", "resolve": "resolve"}


def advance_timers(case: Case, now: datetime, batch: TimerBatch) -> bool:
    """Take every timer step now due on a LOCKED case, each exactly once (the stage markers
    are stored on the case, so a second sweep finds nothing left to do). Returns True if the
    case changed; the caller saves it and flushes the batch in the same transaction."""
    changed = False
    escalated = False
    for when, clock, step in timer_steps(case):
        if when > now:
            break
        if clock == "callback":
            _record_no_answer(case, now, batch)
            changed = True
            break
        # A step may be stale after an escalation earlier in this loop changed the clocks.
        if clock == "sign" and (case.state != S.DISPATCHED or case.sign_due is None):
            continue
        stage_attr = f"{clock}_stage"
        stage = {
            "yellow": Stage.YELLOW,
            "red": Stage.RED,
            "remind": Stage.REMINDED,
            "supervise": Stage.SUPERVISED,
        }[step]
        if getattr(case, stage_attr) >= stage:
            continue
        setattr(case, stage_attr, stage)
        # The card is sticky: an escalation restarts the sign-for clock, not the record.
        case.card_level = max(case.card_level, 2 if stage >= Stage.RED else 1)
        changed = True
        from_state = case.state
        title = _STEP_TITLES[step](case, clock) % {
            "number": case.number,
            "clock": _CLOCK_LABELS[clock],
        }
        action = {
            "yellow": Action.YELLOW,
            "red": Action.RED,
            "remind": Action.REMIND,
            "supervise": Action.SUPERVISE,
        }[step]
        payload = {"clock": clock, "due": (getattr(case, f"{clock}_due") or now).isoformat()}
        recipients = routing.unit_user_ids(case, batch.user_cache)
        if (
            step == "red"
            and clock in ("sign", "resolve")
            and not escalated
            and case.level != Level.CITY
        ):
            # Red card: escalate one level (once per expired clock: the stage says it happened).
            try:
                from_state, esc = _escalate_locked(case, None, "", now, batch.cache)
            except ValidationError:
                esc = None
            if esc is not None:
                escalated = True
                payload.update(esc)
                batch.events.append(_event(case, Action.RED, None, from_state, title, payload, now))
                batch.events.append(_event(case, Action.ESCALATE, None, from_state, "", esc, now))
                batch.notices.append((case, recipients, "red", title))
                batch.notices.append(
                    (
                        case,
                        routing.unit_user_ids(case, batch.user_cache),
                        "assigned",
                        _("Case %(number)s escalated to you") % {"number": case.number},
                    )
                )
                continue
        if step == "supervise":
            # 督办 goes to the level above as well: it is their turn to watch.
            above = routing.next_level_target(case, batch.cache)
            if above is not None:
                probe = Case(
                    level=above.level,
                    handling_area=above.area,
                    handling_department=above.department,
                )
                recipients = recipients + routing.unit_user_ids(probe, batch.user_cache)
        batch.events.append(_event(case, action, None, from_state, title, payload, now))
        batch.notices.append((case, recipients, step, title))
    if changed:
        case.version += 1
        schedule(case, now)
    return changed


def _record_no_answer(case: Case, now: datetime, batch: TimerBatch) -> None:
    """No answer within the wait: recorded as such, the case is closed without a rating."""
    Callback.objects.create(case=case, method=CallbackMethod.NO_ANSWER, at=now)
    from_state = case.state
    case.state = S.CALLED_BACK
    case.called_back_at = now
    case.closed_at = now
    batch.events.append(
        _event(
            case,
            Action.CALLBACK,
            None,
            from_state,
            _("No answer to the callback."),
            {"method": "no_answer"},
            now,
        )
    )


TIMER_FIELDS = [
    "state",
    "level",
    "handling_area",
    "handling_department",
    "assignee",
    "sign_due",
    "sign_warn_at",
    "sign_stage",
    "contact_stage",
    "resolve_stage",
    "card_level",
    "escalation_level",
    "next_check_at",
    "called_back_at",
    "closed_at",
    "version",
    "updated_at",
]


def timers_due(now: datetime | None = None) -> int:
    """How many cases have a timer step due (for monitoring and tests)."""
    return Case.objects.filter(next_check_at__lte=now or _now()).count()
