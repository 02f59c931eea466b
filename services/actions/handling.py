"""The handling unit's work on a case: sign for (签收), contact, progress, resolve (办结),
return (退单) and joint handling (吹哨报到)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import Area, Department
from grids.scope import scope_for
from services import photos, routing
from services.actions.core import (
    S,
    _begin,
    _commit,
    _is_handler,
    _notify,
    _notify_reporters,
    _now,
    _require,
    _stop_all_clocks,
    save_photos,
)
from services.actions.dispatch import _target_from
from services.choices import (
    Action,
    JointRole,
    Level,
    PhotoKind,
)
from services.models import (
    Case,
    CasePhoto,
    JointUnit,
)


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
        save_photos(case, photos_, PhotoKind.PROGRESS)
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
    _notify_reporters(
        case,
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
