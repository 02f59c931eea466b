"""Owners' floor areas (业主专有部分面积), the weights of votes on owners' matters."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from deliberation.actions.common import refuse
from deliberation.models import OwnerShare
from grids.models import Household
from grids.scope import may_act_on


def set_owner_share(household: Household, *, actor, floor_area) -> OwnerShare | None:
    """Register (or change, or with 0 remove) a household's floor area as owner."""
    try:
        area = Decimal(str(floor_area)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        refuse(_("Enter the floor area in square metres."), "floor_area")
    if area < 0 or area >= Decimal("1000000"):
        refuse(_("Enter the floor area in square metres."), "floor_area")
    if not may_act_on(actor, household.building):
        refuse(_("This household is outside your responsibility."), "household")
    with transaction.atomic():
        if area == 0:
            OwnerShare.objects.filter(household=household).delete()
            return None
        share, _created = OwnerShare.objects.update_or_create(
            household=household, defaults={"floor_area": area}
        )
    return share
