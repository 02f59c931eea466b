"""Residents' phone and ID numbers: masked everywhere except to staff whose scope covers them.

Every screen, serializer, export and template that shows a phone or ID number calls one of the
functions here, so the masking rule lives once. Apps never format these numbers themselves.
"""

from __future__ import annotations

from grids.scope import scope_for


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
    scope = scope_for(user)
    if scope.is_superuser:
        return True
    if not scope.is_staff or area is None:
        return False
    return scope.covers_area(area)


def shown_phone(user, phone: str | None, area) -> str:
    """The phone number as `user` may see it for a record placed in `area`."""
    return (phone or "") if may_see_private(user, area) else mask_phone(phone)


def shown_id_number(user, id_number: str | None, area) -> str:
    """The ID number as `user` may see it for a record placed in `area`."""
    return (id_number or "") if may_see_private(user, area) else mask_id_number(id_number)
