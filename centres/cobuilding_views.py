"""Co-building on the public site: residents order a unit's service (居民点单) from a centre's
page, and a unit's people take the orders the community placed with them (单位接单) on their own
desk. Community staff place and close orders in the admin; every step is a centres.actions
operation, so the quota and the order of steps hold the same way everywhere. What a unit's
people see is read through the area scope (`visible_to`), narrowed to their units."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from centres import actions
from centres.models import Centre, ListItem, Order
from centres.models.cobuilding import ListKind, OrderStatus
from grids.scope import get_visible_or_404, scope_for
from surveys.actions.service import with_scores


def centre_cobuilding(request, pk: int):
    """A centre's co-building services from units, each with a form to order it."""
    centre = get_object_or_404(Centre.objects.filter(is_active=True), pk=pk)
    items = (
        ListItem.objects.filter(
            centre=centre,
            is_open=True,
            kind__in=[ListKind.SERVICE, ListKind.RESOURCE],
            unit__isnull=False,
        )
        .select_related("unit", "function")
        .order_by("function__sort", "title")
    )
    return render(request, "centres/cobuilding.html", {"centre": centre, "items": items})


@login_required
@require_POST
def request_order(request, pk: int):
    # The public side: what the centre page offers (an open unit service of an active centre).
    item = get_object_or_404(
        ListItem.objects.select_related("centre").filter(
            centre__is_active=True, is_open=True, unit__isnull=False
        ),
        pk=pk,
    )
    try:
        actions.request_order(item, actor=request.user, note=request.POST.get("note", ""))
        messages.success(request, _("Your order is sent to the community office."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("centres:cobuilding", pk=item.centre_id)


@login_required
def unit_desk(request):
    """The unit's desk: its list items with quota and what is taken, and the orders the
    community placed with it, oldest waiting first."""
    scope = scope_for(request.user)
    if not scope.unit_ids:
        raise Http404
    items = (
        ListItem.objects.visible_to(request.user)
        .filter(unit_id__in=scope.unit_ids)
        .select_related("centre", "unit")
        .order_by("centre__name", "title")
    )
    orders = Order.objects.visible_to(request.user).filter(item__unit_id__in=scope.unit_ids)
    waiting = (
        orders.filter(status=OrderStatus.PLACED)
        .select_related("item__centre")
        .order_by("placed_at")
    )
    history = Paginator(
        # The community's rating lives in the surveys engine (surveys.actions.rate_order).
        with_scores(orders)
        .filter(status__in=[OrderStatus.ACCEPTED, OrderStatus.COMPLETED])
        .select_related("item__centre")
        .order_by("-accepted_at", "-pk"),
        20,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "centres/unit_desk.html",
        {"items": items, "waiting": waiting, "history": history},
    )


@login_required
@require_POST
def accept_order(request, pk: int):
    # Out of scope is a 404; in scope but not the unit's own, accept_order refuses.
    order = get_visible_or_404(Order.objects.all(), request.user, pk=pk)
    try:
        actions.accept_order(order, actor=request.user)
        messages.success(request, _("Order accepted."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("centres:unit-desk")
