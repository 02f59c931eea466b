"""Co-building orders: 居民点单 → 社区下单 → 单位接单 → completed, within the unit's quota."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.actions.common import _require_staff
from centres.models import ListItem, Order, OrderStatus
from grids.scope import scope_for
from portal.text import clean_text

ORDER_NOTE_MAX = 1000  # the page's textarea and the API take the same

# --- co-building orders (居民点单 → 社区下单 → 单位接单) ------------------------------------------------


def request_order(item: ListItem | int, *, actor, note: str) -> Order:
    """A resident asks for a unit's service (居民点单)."""
    if actor is None or not actor.is_authenticated:
        raise ValidationError({"user": _("Log in first.")})
    # The one input rule (portal.text) and the form's limit, whichever door the note came by.
    note = clean_text(note, field="note", max_length=ORDER_NOTE_MAX, multiline=True)
    if not note:
        raise ValidationError({"note": _("Say what is needed.")})
    item = ListItem.objects.get(pk=getattr(item, "pk", item))
    if item.kind == "need" or not item.is_open:
        raise ValidationError({"item": _("This item is not taking orders.")})
    return Order.objects.create(item=item, requested_by=actor, note=note)


def place_order(order: Order | int, *, actor, now: datetime | None = None) -> Order:
    """The community passes the order to the unit (社区下单)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = _staff_step(order, actor, OrderStatus.REQUESTED)
        order.status = OrderStatus.PLACED
        order.placed_by = actor
        order.placed_at = now
        order.save(update_fields=["status", "placed_by", "placed_at", "updated_at"])
    return order


def _staff_step(order: Order | int, actor, status: str) -> Order:
    """The order, locked, for the centre's staff to move on from `status` (placing a requested
    order, completing an accepted one); anything else is refused in words."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("item__centre__community")
        .get(pk=getattr(order, "pk", order))
    )
    _require_staff(actor, order.item.centre)
    if order.status != status:
        refusals: dict[str, str] = {
            OrderStatus.REQUESTED: _("Only a requested order can be placed."),
            OrderStatus.ACCEPTED: _("Only an accepted order can be completed."),
        }
        raise ValidationError({"status": refusals[status]})
    return order


def _require_unit(actor, item: ListItem) -> None:
    scope = scope_for(actor)
    if not (scope.is_superuser or item.unit_id in scope.unit_ids):
        raise ValidationError({"order": _("No such order.")})


def accept_order(order: Order | int, *, actor, now: datetime | None = None) -> Order:
    """The unit takes the order (单位接单) within its quota."""
    now = now or timezone.now()
    with transaction.atomic():
        item_id = Order.objects.values_list("item_id", flat=True).get(
            pk=getattr(order, "pk", order)
        )
        item = ListItem.objects.select_for_update().get(pk=item_id)
        _require_unit(actor, item)
        order = Order.objects.select_for_update().get(pk=getattr(order, "pk", order))
        if order.status != OrderStatus.PLACED:
            raise ValidationError({"status": _("Only a placed order can be accepted.")})
        if item.claimed >= item.quota:
            raise ValidationError({"item": _("The quota of %(n)s is used up.") % {"n": item.quota}})
        item.claimed += 1
        item.save(update_fields=["claimed", "updated_at"])
        order.status = OrderStatus.ACCEPTED
        order.accepted_at = now
        order.save(update_fields=["status", "accepted_at", "updated_at"])
    return order


def complete_order(
    order: Order | int,
    *,
    actor,
    promise_kept: bool,
    satisfaction: int | None = None,
    now: datetime | None = None,
) -> Order:
    """The community closes an accepted order and rates the unit (践诺度, 满意度)."""
    now = now or timezone.now()
    if satisfaction is not None and not 1 <= int(satisfaction) <= 5:
        raise ValidationError({"satisfaction": _("Satisfaction runs from 1 to 5.")})
    with transaction.atomic():
        order = _staff_step(order, actor, OrderStatus.ACCEPTED)
        order.status = OrderStatus.COMPLETED
        order.completed_at = now
        order.promise_kept = promise_kept
        order.save()
        if satisfaction is not None:
            # The rating goes through the surveys engine (a built-in questionnaire per
            # community), in this transaction: the order closes with its rating or not at all.
            from surveys.actions import rate_order

            rate_order(order, actor=actor, score=int(satisfaction), now=now)
    return order
