"""Shared plumbing of the case write path: the TRANSITIONS table, locking and version
checks, events, notifications on commit, actor checks and the three clocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area
from grids.models.roles import Role
from grids.scope import scope_for
from notifications import notify
from portal.memo import TTLMemo
from services import calendar, city, photos, routing
from services.choices import (
    OPEN_STATES,
    Action,
    CaseType,
    Level,
    Stage,
    State,
)
from services.models import (
    DEFAULT_LIMITS,
    Case,
    CaseEvent,
    CaseFollower,
    CasePhoto,
    Category,
    KpiConfig,
    TimeLimit,
)

S = State
OPEN = frozenset(OPEN_STATES)

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
    city.note_events([event])  # a change of status is queued for the city 12345 platform
    return event


def _notify(case: Case, user_ids: Iterable[int | None], kind: str, title: str, body: str = ""):
    """Tell these users about the case (notifications.notify: their channels, the case's page
    as the link), in the action's transaction."""
    notify.queue(users=user_ids, case=case, kind=kind, title=title, body=body)


def _reporter_ids(case: Case) -> list[int]:
    ids = [case.reporter_id] if case.reporter_id else []
    ids += list(CaseFollower.objects.filter(case=case).values_list("user_id", flat=True))
    return ids


def _notify_reporters(case: Case, kind: str, title: str, body: str = "") -> None:
    """Tell the reporter (with `body`: the result or the reason, their own case's text) and the
    followers (the title only: a follower learns the state, never what was written about the
    reporter's case — services/followers.py)."""
    followers = set(CaseFollower.objects.filter(case=case).values_list("user_id", flat=True))
    followers.discard(case.reporter_id)
    if case.reporter_id:
        _notify(case, [case.reporter_id], kind, title, body)
    if followers:
        _notify(case, sorted(followers), kind, title)


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


def may_handle(actor, case: Case) -> bool:
    """THE answer to "may this user act on this case as its handler": the assignee, staff of
    the current handling unit, or a dispatcher above it (`None`, the system, always may).
    Every handling operation refuses without it ("You are not the handling unit of this
    case."); pages ask the same function which buttons to offer (services.case_page,
    the grid worker's list), so a button shown is a step the operation accepts. No query
    when the case was read with its handling area and the scope is cached."""
    if actor is None or _is_dispatcher(actor, case):
        return True
    scope = scope_for(actor)
    if case.assignee_id == actor.pk:
        return True
    if case.handling_department_id and case.handling_department_id in scope.department_ids:
        return True
    if case.handling_area_id and case.level == Level.GRID:
        # A page that read the case with its handling area (the desk's case page asks this
        # for every button) needs no second read; a locked row has only the id.
        if Case.handling_area.is_cached(case):
            path = case.handling_area.path if case.handling_area else ""
        else:
            area_path = Area.objects.filter(pk=case.handling_area_id).values_list("path", flat=True)
            path = area_path.first() or ""
        return any(path.startswith(p) for p in scope.paths_by_role.get(Role.GRID_WORKER, ()))
    return False


# The name the operations of this package use.
_is_handler = may_handle


def _require(ok: bool, message: str | None = None) -> None:
    if not ok:
        raise ValidationError(
            {"actor": message or _("You are not the handling unit of this case.")}
        )


# --- clocks -------------------------------------------------------------------------------------


# Per-process memos of what staff rarely change, read on every intake and by the sweep for
# thousands of cases in a row. A staff edit of a category or time limit clears them at once in
# its own process (services.apps signals); other processes see it within LIMITS_TTL.
LIMITS_TTL = 60.0  # seconds
_limits: TTLMemo[tuple[tuple[int, str], ...]] = TTLMemo(LIMITS_TTL)
_categories: TTLMemo[Category | None] = TTLMemo(LIMITS_TTL)
_grids: TTLMemo[int | None] = TTLMemo(LIMITS_TTL)


def clear_limits_cache() -> None:
    """Forget the memoised time limits, categories and grids (a staff edit; tests)."""
    for memo in (_limits, _categories, _grids):
        memo.clear()


def active_category(pk) -> Category | None:
    """The active category with this id, or None."""
    return _categories.get(pk, lambda: Category.objects.filter(pk=pk, is_active=True).first())


def grid_id_for(place: Area) -> int | None:
    """The id of the deepest grid at or above `place`, memoised by the place's path (a moved
    place has a new path, so it is looked up afresh)."""

    def load():
        grid = routing.grid_of(place)
        return grid.pk if grid else None

    return _grids.get(place.path, load)


def limits_for(category_id: int, case_type: str) -> tuple[tuple[int, str], ...]:
    """The (amount, unit) of the sign, contact and resolve clocks for a category × type."""
    return _limits.get((category_id, case_type), lambda: _limits_for(category_id, case_type))


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


def timer_steps(case: Case, now: datetime | None = None) -> list[tuple[datetime, str, str]]:
    """The timer steps still ahead of the case: (when, clock, step), soonest first. With
    `now`, the reminder and supervision steps are left out while the resolve clock's red
    point is still after now: they come after it, so they are neither due nor the next."""
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
        # Reminder and supervision come after the red point: while that is still ahead of
        # `now`, neither can be due or be the next step, so neither is worked out.
        later = case.resolve_stage >= Stage.RED or now is None or due <= now
        if later and case.resolve_stage < Stage.REMINDED:
            steps.append((calendar.workday_start_after(due, 1), "resolve", "remind"))
        if later and case.resolve_stage < Stage.SUPERVISED:
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
    steps = timer_steps(case, now)
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
def save_photos(case: Case, files, kind: str) -> None:
    existing = CasePhoto.objects.filter(case=case, kind=kind).count()
    clean = photos.process_all(files, existing)
    CasePhoto.objects.bulk_create([CasePhoto(case=case, kind=kind, image=f) for f in clean])
