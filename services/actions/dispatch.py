"""Dispatch and re-dispatch: routing a case to its handling unit, reviewing a return (改派),
transfers and escalation one level up."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import Area, Department
from services import routing
from services.actions.core import (
    S,
    _begin,
    _commit,
    _is_dispatcher,
    _is_handler,
    _notify,
    _now,
    _require,
    _start_clocks,
)
from services.choices import (
    Action,
    Level,
)
from services.models import (
    Case,
)

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


# --- returns, transfers, escalation -----------------------------------------------------------------


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
        unit = area if isinstance(area, Area) else Area.objects.filter(pk=area).first()
        if unit is None:
            raise ValidationError({"area": _("Choose a unit.")})
        kind_level = {"grid": Level.GRID, "community": Level.COMMUNITY, "street": Level.STREET}
        lvl = kind_level.get(unit.kind, Level.CITY if unit.kind == "city" else None)
        if lvl is None:
            raise ValidationError({"area": _("Choose a grid, community, street or the city.")})
        if not case.place_path.startswith(unit.path):
            raise ValidationError({"area": _("That unit does not cover the case's place.")})
        assignee = routing.grid_worker_for(unit) if lvl == Level.GRID else None
        return routing.Target(lvl, area=unit, assignee_id=assignee)
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
