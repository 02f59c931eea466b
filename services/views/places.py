"""The grid's places and people on the grid worker's phone: estates → buildings → households
and their residents (numbers masked; a full number only through the audited reveal,
grids.privacy.reveal), a search by building or household, and the visit log of each household
(入户走访 / 经常访), households due a visit first (grids.visits). Read through the scope (a
household or resident outside it is a 404); visits are written by grids.actions.record_visit,
through the phone's outbox when offline (the form is data-offline, the view idempotent)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids import actions as grid_actions
from grids import visits
from grids.models import Household, HouseholdVisit, Resident, ResidentTag
from grids.privacy import mask_id_number, mask_phone, reveal, visible_tags
from grids.scope import get_visible_or_404
from portal.idempotency import idempotent
from services.forms import RevealForm, VisitForm
from services.models import Case
from services.views.worker import _my_areas, _staff_scope

SEARCH_MAX = 60  # characters of a search
LIST_MAX = 50  # households a search or the "visit first" list shows


def _households(user):
    return visits.with_visit_due(Household.objects.visible_to(user)).select_related("building")


@login_required
def places(request: HttpRequest) -> HttpResponse:
    """The grid's estates and buildings (households and those due a visit per building), the
    households to visit first, and a search by building, room or head of household."""
    scope = _staff_scope(request)
    user = request.user
    today = timezone.localdate()
    query = (request.GET.get("q") or "").strip()[:SEARCH_MAX]
    households = _households(user)
    found = None
    if query:
        found = list(
            households.filter(
                Q(building__name__icontains=query)
                | Q(room__icontains=query)
                | Q(head_name__icontains=query)
            ).order_by("visit_due", "building__path", "room")[:LIST_MAX]
        )
    overdue = households.filter(visits.overdue_q(today))
    first = list(overdue.order_by("visit_due", "building__path", "room")[:LIST_MAX])
    counts = dict(
        Household.objects.visible_to(user)
        .values("building_id")
        .annotate(n=Count("id"))
        .values_list("building_id", "n")
    )
    due = dict(
        overdue.order_by()
        .values("building_id")
        .annotate(n=Count("id"))
        .values_list("building_id", "n")
    )
    areas = _my_areas(scope, kinds=("estate", "building"), limit=500)
    estates: list[dict] = []
    by_path: dict[str, dict] = {}
    loose: dict[str, Any] = {
        "estate": None,
        "buildings": [],
    }  # buildings straight under a grid (old lanes)
    for area in areas:
        if area.kind == "estate":
            by_path[area.path] = {"estate": area, "buildings": []}
            estates.append(by_path[area.path])
        else:
            area.household_count = counts.get(area.pk, 0)
            area.due_count = due.get(area.pk, 0)
            by_path.get(area.path[: -area.steplen], loose)["buildings"].append(area)
    if loose["buildings"]:
        estates.append(loose)
    return render(
        request,
        "services/worker/places.html",
        {
            "estates": estates,
            "first": first,
            "first_total": sum(due.values()),
            "query": query,
            "found": found,
            "today": today,
            "due_days": visits.due_days(),
            "priority_days": [(ResidentTag(t).label, d) for t, d in visits.priority_days()],
        },
    )


@login_required
def building(request: HttpRequest, pk: int) -> HttpResponse:
    """One building's households with their residents (numbers masked), due a visit first."""
    _staff_scope(request)
    from grids.models import Area

    place = get_visible_or_404(Area.objects.filter(kind="building"), request.user, pk=pk)
    residents = Resident.objects.only("pk", "name", "phone", "household_id").order_by("pk")
    households = list(
        _households(request.user)
        .filter(building=place)
        .prefetch_related(Prefetch("residents", queryset=residents))
        .order_by("visit_due", "room")
    )
    today = timezone.localdate()
    for household in households:
        for resident in household.residents.all():
            resident.masked_phone = mask_phone(resident.phone)  # type: ignore[attr-defined]
    return render(
        request,
        "services/worker/building.html",
        {"place": place, "households": households, "today": today},
    )


def _household_page(
    request: HttpRequest,
    household: Household,
    *,
    form: VisitForm | None = None,
    reveal_form: RevealForm | None = None,
    revealed: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    annotated = _households(request.user).filter(pk=household.pk).first() or household
    residents = list(household.residents.order_by("pk"))
    for resident in residents:
        resident.household = household  # visible_tags reads the building: no query
        resident.masked_phone = mask_phone(resident.phone)  # type: ignore[attr-defined]
        resident.masked_id = mask_id_number(resident.id_number)  # type: ignore[attr-defined]
        resident.tags = [ResidentTag(t).label for t in visible_tags(request.user, resident)]  # type: ignore[attr-defined]
    history = list(
        HouseholdVisit.objects.filter(household=household)
        .select_related("worker")
        .order_by("-visited_on", "-recorded_at")[:50]
    )
    return render(
        request,
        "services/worker/household.html",
        {
            "household": annotated,
            "residents": residents,
            "visits": history,
            "form": form or VisitForm(),
            "reveal_form": reveal_form,
            "revealed": revealed or {},
            "today": timezone.localdate(),
        },
        status=status,
    )


def _household_for(request: HttpRequest, pk: int) -> Household:
    _staff_scope(request)
    return get_visible_or_404(Household.objects.select_related("building"), request.user, pk=pk)


@login_required
def household(request: HttpRequest, pk: int) -> HttpResponse:
    """A household: its residents (masked, each number revealable with a reason), the visit
    form and the visits so far, newest first."""
    return _household_page(request, _household_for(request, pk))


@login_required
@require_POST
@idempotent
def record_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a visit (grids.actions.record_visit). Sent again from the outbox with the same
    key, it is recorded once and the first confirmation is replayed."""
    household = _household_for(request, pk)
    form = VisitForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        number = d.get("follow_up_case") or ""
        if number and not Case.objects.visible_to(request.user).filter(number=number).exists():
            form.add_error("follow_up_case", _("No case with that number in your area."))
    if form.is_valid():
        d = form.cleaned_data
        try:
            grid_actions.record_visit(
                household,
                actor=request.user,
                kind=d["kind"],
                note=d["note"],
                visited_on=d["visited_on"],
                follow_up_case=d.get("follow_up_case") or "",
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Visit to %(household)s on %(day)s recorded.")
                % {"household": str(household), "day": d["visited_on"].strftime("%m-%d")},
            )
            return redirect("services:grid-household", pk=household.pk)
    return _household_page(request, household, form=form, status=400)


@login_required
@require_POST
def reveal_number(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one resident's full number, with the reason, through grids.privacy.reveal (which
    writes the access log). The household page comes back with the number shown once."""
    _staff_scope(request)
    resident = get_visible_or_404(
        Resident.objects.select_related("household__building"), request.user, pk=pk
    )
    household = resident.household
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _household_page(request, household, reveal_form=form, status=400)
    d = form.cleaned_data
    try:
        number = reveal(request.user, resident, d["field"], d["reason"])
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return _household_page(request, household, reveal_form=form, status=400)
    return _household_page(request, household, revealed={resident.pk: (d["field"], number or "—")})
