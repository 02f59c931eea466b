"""What the time bank tells people, through the one notify interface (notifications.notify):
an order taken or assigned, points awarded, orders nobody took. Called by volunteers.actions
inside the transaction of the change; each links to the order or to the passbook."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import notify, recipients


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def order_taken(order, assigned: bool = False) -> None:
    """Tell the resident a volunteer is coming (and the volunteer, when staff assigned them)."""
    link = reverse("volunteers:order", args=[order.pk])
    volunteer = order.volunteer
    messages = [
        notify.Message(
            user=order.requester_id,
            kind="order_taken",
            title=_("Your order is taken: %(category)s") % {"category": order.category},
            body=_("%(volunteer)s will come at %(when)s.")
            % {"volunteer": volunteer.real_name, "when": _when(order.scheduled_at)},
            link=link,
        )
    ]
    if assigned:
        messages.append(
            notify.Message(
                user=volunteer.user_id,
                kind="order_assigned",
                title=_("You are assigned an order: %(category)s") % {"category": order.category},
                body=f"{_when(order.scheduled_at)} · {order.place}",
                link=link,
            )
        )
    notify.send(messages)


def points_awarded(order, hours) -> None:
    notify.queue(
        users=[order.volunteer.user_id],
        kind="points",
        title=_("Points awarded: %(hours)s hours of %(category)s")
        % {"hours": hours, "category": order.category},
        body=f"{order.category} #{order.pk}",
        link=reverse("volunteers:points"),
    )


def orders_flagged(orders: Sequence) -> None:
    """Tell each order's community staff that nobody has taken it (one query for the staff,
    one notify call for all)."""
    staff = recipients.community_staff(o.community_id for o in orders)
    notify.send(
        notify.Message(
            user=user_id,
            kind="order_flagged",
            title=_("Nobody has taken an order: %(category)s") % {"category": o.category},
            body=f"{_when(o.scheduled_at)} · {o.place}",
            link=reverse("volunteers:order", args=[o.pk]),
        )
        for o in orders
        for user_id in staff.get(o.community_id, [])
    )
