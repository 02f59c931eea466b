"""The city 12345 link: what the platform tells us about a case (through the signed webhook),
and putting events it refused back in the outbox."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from services.actions.core import _event, _now
from services.models import Case, CityLink, CityOutbox, CityStatus


@transaction.atomic
def record_city_update(
    number: str, *, reference: str = "", dispatch: str = "", result: str = ""
) -> CityLink:
    """Store the city's reference, dispatch decision and result on the case, with a timeline
    entry. The case's state is the community's to change; the city's word is recorded."""
    case = Case.objects.select_for_update().filter(number=number).first()
    if case is None:
        raise ValidationError({"case": _("No such case.")})
    if not (reference or dispatch or result):
        raise ValidationError({"reference": _("Nothing to record.")})
    link, _created = CityLink.objects.get_or_create(case=case)
    changed = {}
    for name, value in (("reference", reference), ("dispatch", dispatch), ("result", result)):
        value = (value or "").strip()
        if value and getattr(link, name) != value:
            setattr(link, name, value[:40] if name == "reference" else value[:2000])
            changed[name] = getattr(link, name)
    link.save()
    if changed:
        _event(case, "city_update", None, case.state, "", changed, _now()).save()
    return link


@transaction.atomic
def requeue_city_events(ids, *, actor) -> int:
    """Put failed outbox events back in the queue, to be sent at once (after the city fixed
    what it refused). Only a superuser runs the city link; pending and sent events are left as
    they are. Returns how many were queued again."""
    if actor is None or not actor.is_superuser:
        raise ValidationError({"outbox": _("Only a superuser may resend events to the city.")})
    return (
        CityOutbox.objects.select_for_update()
        .filter(pk__in=list(ids), status=CityStatus.FAILED)
        .update(status=CityStatus.PENDING, next_attempt_at=timezone.now())
    )
