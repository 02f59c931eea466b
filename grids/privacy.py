"""Residents' phone and ID numbers: masked everywhere except to staff whose scope covers them.

Every screen, serializer, export and template that shows a phone or ID number calls one of the
functions here, so the masking rule lives once. Apps never format these numbers themselves.
"""

from __future__ import annotations

from grids.models.roles import TERRITORIAL_ROLES
from grids.scope import may_act_on, scope_for


def mask_phone(phone: str | None) -> str:
    """138****5678: keep the first three and last four digits (the form people recognise)."""
    if not phone:
        return ""
    digits = str(phone)
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(id_number: str | None) -> str:
    """350502********1234: keep the six-digit region code and the last four characters."""
    if not id_number:
        return ""
    value = str(id_number)
    if len(value) <= 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def may_see_private(user, area) -> bool:
    """True when `user` is staff whose area scope covers `area` (an Area, or None).

    Residents never see others' numbers in full, not even neighbours in the same household
    list; department handlers and centre operators see them masked (their scope is not a
    territory). An object with no area is shown in full only to superusers."""
    return scope_for(user).is_superuser or may_act_on(user, area)


def shown_phone(user, phone: str | None, area) -> str:
    """The phone number as `user` may see it for a record placed in `area`."""
    return (phone or "") if may_see_private(user, area) else mask_phone(phone)


def shown_id_number(user, id_number: str | None, area) -> str:
    """The ID number as `user` may see it for a record placed in `area`."""
    return (id_number or "") if may_see_private(user, area) else mask_id_number(id_number)


# --- audited reveal --------------------------------------------------------------------------
def reveal(user, resident, field: str, reason: str) -> str:
    """The full phone or ID number of `resident`, for staff whose scope covers them, written
    to the append-only AccessLog (who, whose, which number, when, why) in the same transaction.

    Out of the user's sight: Http404 (as if the resident did not exist). Visible but not
    theirs to reveal (the resident themself, a department handler): PermissionDenied. A
    missing reason or unknown field: ValidationError naming it."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction
    from django.http import Http404
    from django.utils.translation import gettext as _

    from grids.models import AccessLog, PrivateField, Resident

    if field not in PrivateField.values:
        raise ValidationError({"field": _("Choose the phone or the ID number.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you need the full number.")})
    found = (
        Resident.objects.visible_to(user)
        .select_related("household__building")
        .filter(pk=getattr(resident, "pk", resident))
        .first()
    )
    if found is None:
        raise Http404
    building = found.household.building
    if not may_see_private(user, building):
        raise PermissionDenied
    with transaction.atomic():
        AccessLog.objects.create(
            viewer=user,
            viewer_name=getattr(user, "display_name", "") or user.get_username(),
            resident=found,
            resident_name=found.name,
            area=building,
            field=field,
            reason=reason[:200],
        )
    return getattr(found, field) or ""


def reveal_on_record(
    user,
    *,
    phone: str,
    name: str,
    area,
    record: str,
    reason: str,
    handles: bool = False,
    entitled: bool = False,
) -> str:
    """The full phone number kept on a record placed in `area` (a case's reporter), written to
    the access log like `reveal` (the record named in place of a resident of the register), for
    staff whose scope covers the area, or who handle the record now (`handles`: a case's
    handling department must reach its reporter). The caller has read the record through the
    user's scope and says whether they handle it. Anyone else (a follower, a joint unit, a
    department the case has left): PermissionDenied. A missing reason: ValidationError.
    `entitled`: the caller's own, stricter rule has already granted the record (mediation:
    the dispute's mediators and the community's head, mediation.privacy); only logged here."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction
    from django.utils.translation import gettext as _

    from grids.models import AccessLog, PrivateField

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you need the full number.")})
    if (
        not entitled
        and not (handles and scope_for(user).is_staff)
        and not may_see_private(user, area)
    ):
        raise PermissionDenied
    with transaction.atomic():
        AccessLog.objects.create(
            viewer=user,
            viewer_name=getattr(user, "display_name", "") or user.get_username(),
            resident=None,
            resident_name=(name or "")[:60],
            record=record[:40],
            area=area,
            field=PrivateField.PHONE,
            reason=reason[:200],
        )
    return phone or ""


# --- sensitive tags ---------------------------------------------------------------------------
# Who may see a resident's sensitive tags (disability, 低保, living alone, minor): the staff who
# look after them on their territory. Department handlers, centre operators, units and other
# residents never do.
SENSITIVE_TAG_ROLES = frozenset(TERRITORIAL_ROLES)


def visible_tags(user, resident) -> list[str]:
    """The resident's sensitive tags (ResidentTag values) that `user` may see, else []."""
    scope = scope_for(user)
    allowed = scope.is_superuser or (
        bool(scope.roles & SENSITIVE_TAG_ROLES) and scope.covers_area(resident.household.building)
    )
    if not allowed:
        return []
    tags = []
    if resident.disabled:
        tags.append("disabled")
    if resident.subsistence:
        tags.append("subsistence")
    if resident.lives_alone:
        tags.append("lives_alone")
    if resident.is_minor:
        tags.append("minor")
    return tags
