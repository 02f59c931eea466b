"""Template helpers of the time-bank pages."""

from __future__ import annotations

import uuid

from django import template
from django.utils.html import format_html

from portal.idempotency import FIELD

register = template.Library()


@register.simple_tag
def once_key() -> str:
    """A hidden idempotency key for a form (portal.idempotency): the key is made when the page
    is shown, so a double tap sends the same key twice and the second is answered with the
    first's result instead of being done again. Works without JavaScript."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, uuid.uuid4().hex)


@register.inclusion_tag("volunteers/_nav.html", takes_context=True)
def timebank_nav(context, here: str = "") -> dict:
    """The time bank's menu, the current page marked. Party members (and units) also get
    双报到 and the 爱心存折 passbook; others do not see doors that are not theirs. One query,
    kept on the user for the rest of the request."""
    from grids.scope import scope_for
    from volunteers.models import PartyReport, Volunteer

    user = context.get("user")
    party: bool | None = False
    if user is not None and user.is_authenticated:
        party = getattr(user, "_timebank_party", None)
        if party is None:
            party = (
                bool(scope_for(user).unit_ids)
                or Volunteer.objects.filter(user=user, is_party_member=True).exists()
                or PartyReport.objects.filter(member=user).exists()
            )
            user._timebank_party = party
    return {"here": here, "party": bool(party), "user": user}
