"""What every deliberation operation shares: the refusal, the log, and who may act."""

from __future__ import annotations

from typing import NoReturn

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from deliberation.eligibility import household_in
from deliberation.models import Matter, MatterEvent
from grids.scope import may_act_on
from portal.text import clean_text


def refuse(message: str, field: str = "non_field_errors") -> NoReturn:
    raise ValidationError({field: [message]})


def log(matter: Matter, action: str, actor=None, note: object = "") -> None:
    MatterEvent.objects.create(
        matter=matter, action=action, actor=actor if _real(actor) else None, note=str(note)[:1000]
    )


def _real(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def require_staff(actor, matter: Matter) -> None:
    """Staff whose scope covers the matter's area; anyone else is told there is no such matter
    (the same answer as for a matter they cannot see)."""
    if not _real(actor) or not may_act_on(actor, matter.area):
        refuse(_("No such matter."), "matter")


def require_resident(actor, matter: Matter, field: str = "non_field_errors") -> int:
    """The actor's household in the matter's area, or a refusal in plain words."""
    if not _real(actor):
        refuse(_("Log in first."), field)
    household = household_in(actor, matter.area)
    if household is None:
        refuse(
            _("Only residents of %(area)s can do this; your household is not registered there.")
            % {"area": matter.area.name},
            field,
        )
    return household


def locked(matter: Matter | int) -> Matter:
    """The matter row, locked for the rest of the transaction."""
    return (
        Matter.objects.select_for_update(of=("self",))
        .select_related("area", "kind__preset")
        .get(pk=getattr(matter, "pk", matter))
    )


def text(value: str | None, field: str, limit: int, *, required: bool = True) -> str:
    """Text under the portal's rule (portal.text.clean_text): no control characters or broken
    characters, at most `limit` characters, required unless said otherwise."""
    return clean_text(value, field=field, max_length=limit, multiline=True, required=required)
