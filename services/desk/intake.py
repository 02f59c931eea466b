"""Keying in a case at the desk (/desk/new/): a hotline call, a walk-in at the centre's window
(窗口) or a co-building unit's report.

The operator types the caller's phone first (their household and earlier cases come up), finds
the place in one search box or on the map, and sees likely duplicates before saving, with
follow and merge beside each. A consultation answered on the phone is closed at once
(即时办结). Everything works without JavaScript: the form's own buttons look the caller up,
find the place and show the duplicates; static/desk/intake.js does the same in place.

Every write is a services.actions call (which also decides which channel and flags the
operator may set); a save is idempotent (a double click or a resent request files once) and a
stale form is shown again to be checked. Reads go through the user's area scope."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from grids import privacy
from grids.models import Area
from notifications.models import NotificationOutbox
from portal.idempotency import idempotent
from services import actions
from services.desk.intake_forms import DeskIntakeForm, fresh_initial, token_is_fresh
from services.desk.intake_lookup import (
    caller_card,
    likely_duplicates,
    nearest_place,
    search_places,
)
from services.models import Case, Category
from services.views.common import tracking_link_token


def _desk_channels(request: HttpRequest) -> tuple[str, ...]:
    """The desk channels the user may file on; the intake pages are 404 to anyone with none
    (residents, units, grid workers on their phone pages, department handlers)."""
    channels = actions.intake_rights(request.user).desk_channels
    if not channels:
        raise Http404
    return channels


def _wants_json(request: HttpRequest) -> bool:
    return request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "accept", ""
    )


def _page(request: HttpRequest, form, *, status=200, **extra) -> HttpResponse:
    context = {
        "form": form,
        "desk_section": "new",
        "fresh": fresh_initial(request.user),
        "place": getattr(form, "place_obj", None),
        **extra,
    }
    seen = set(form.seen()) if form.is_bound and hasattr(form, "cleaned_data") else set()
    shown = extra.get("duplicates") or []
    context["seen_duplicates"] = ",".join(sorted(seen | {c.number for c in shown}))
    return render(request, "desk/new.html", context, status=status)


def _unbound_copy(request: HttpRequest, channels) -> DeskIntakeForm:
    """The form as typed, without errors: after a lookup or a place search (no JavaScript)
    nothing is being saved yet, so nothing is complained about."""
    initial: dict[str, object] = {
        k: v for k, v in request.POST.items() if k not in ("do", "csrfmiddlewaretoken")
    }
    initial["answer_now"] = request.POST.get("answer_now") in ("on", "true", "1")
    form = DeskIntakeForm(initial=initial, user=request.user, desk_channels=channels)
    place_id = request.POST.get("place", "")
    if place_id.isdigit():
        place = Area.objects.filter(pk=int(place_id)).first()
        if place is not None and _covers(request, place):
            form.place_obj = place
    return form


def _covers(request: HttpRequest, place: Area) -> bool:
    from grids.scope import scope_for

    return scope_for(request.user).covers_area(place)


@login_required
@require_http_methods(["GET", "POST"])
def new_case(request: HttpRequest) -> HttpResponse:
    """The intake form; GET ?done=<number> is the confirmation after a save."""
    channels = _desk_channels(request)
    if request.method == "GET":
        if request.GET.get("done"):
            return _confirmation(request, request.GET["done"])
        initial = {"phone": request.GET.get("phone", ""), "q": request.GET.get("q", "")}
        form = DeskIntakeForm(initial=initial, user=request.user, desk_channels=channels)
        return _page(request, form)
    verb = request.POST.get("do", "save").partition(":")[0]
    if verb == "lookup":
        form = _unbound_copy(request, channels)
        return _page(request, form, caller=_caller_or_error(request, request.POST.get("phone")))
    if verb == "find":
        form = _unbound_copy(request, channels)
        hits, outside = search_places(request.user, request.POST.get("q", ""))
        return _page(request, form, hits=hits, outside=outside, searched=True)
    return _save(request)


def _caller_or_error(request: HttpRequest, raw: str | None):
    try:
        phone = actions.normalise_phone(raw)
    except ValidationError as exc:
        return {"error": " ".join(exc.messages)}
    if not phone:
        return {"error": _("Type the caller's phone number.")}
    return {"card": caller_card(request.user, phone)}


@idempotent
def _save(request: HttpRequest) -> HttpResponse:
    """File the case (or follow / merge into a duplicate): once per idempotency key."""
    channels = _desk_channels(request)
    user = request.user
    form = DeskIntakeForm(request.POST, request.FILES, user=user, desk_channels=channels)
    valid = form.is_valid()
    if not token_is_fresh(request.POST.get("form_token", ""), user):
        messages.error(
            request,
            _(
                "This form was opened more than 12 hours ago or under another login, so "
                "nothing was saved. Check what it says and save again."
            ),
        )
        return _page(request, form, status=409)
    if not (valid and form.require_place()):
        return _page(request, form, status=400)
    d = form.cleaned_data
    verb, _sep, target = request.POST.get("do", "save").partition(":")
    duplicates = likely_duplicates(user, d["place"], d["category"])
    unseen = {c.number for c in duplicates} - form.seen()
    if verb == "save" and unseen:
        messages.warning(
            request,
            _(
                "Likely duplicates are listed below: follow or merge into one of them, or "
                "save this as a new case."
            ),
        )
        return _page(request, form, duplicates=duplicates, status=409)
    try:
        if verb == "follow":
            return _follow(request, form, target)
        if verb == "merge":
            master = _duplicate(duplicates, target)
            case = actions.file_and_merge(form.intake(), actor=user, master=master)
        elif d["answer_now"]:
            case = actions.answer_at_once(form.intake(), actor=user, answer=d["answer"])
        else:
            case = actions.submit_case(form.intake(), actor=user)
    except ValidationError as exc:
        form.add_action_errors(exc)
        return _page(request, form, duplicates=duplicates, status=400)
    messages.success(request, _("Case %(number)s is saved.") % {"number": case.number})
    return redirect(f"{reverse('desk:new')}?done={case.number}")


def _duplicate(duplicates: list[Case], number: str) -> Case:
    """The duplicate the operator chose, among those shown for this place and category."""
    found = next((c for c in duplicates if c.number == number), None)
    if found is None:
        raise ValidationError(
            {
                "master": _("Case %(number)s is no longer open here: check the list again.")
                % {"number": number}
            }
        )
    return found


def _follow(request: HttpRequest, form: DeskIntakeForm, number: str) -> HttpResponse:
    """The caller follows the open case instead of a new one being filed."""
    d = form.cleaned_data
    duplicates = likely_duplicates(request.user, d["place"], d["category"])
    case = _duplicate(duplicates, number)
    caller = actions.reporter_for_phone(d.get("phone", ""))
    if caller is None:
        form.add_error(
            "phone",
            _(
                "No account has this number yet, so the caller cannot follow a case: save "
                "and merge it instead."
            ),
        )
        return _page(request, form, duplicates=duplicates, status=400)
    actions.follow(case, actor=request.user, follower=caller)
    messages.success(
        request,
        _("Nothing new was filed: the caller now follows case %(number)s.")
        % {"number": case.number},
    )
    return redirect(f"{reverse('desk:new')}?done={case.number}&followed=1")


def _confirmation(request: HttpRequest, number: str) -> HttpResponse:
    case = (
        Case.objects.visible_to(request.user)
        .select_related("category", "place", "master", "reporter")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise Http404
    sms = (
        NotificationOutbox.objects.filter(case=case, kind__in=("case_received", "case_followed"))
        .order_by("-pk")
        .only("status", "address", "kind")
        .first()
    )
    track = request.build_absolute_uri(
        reverse("services:track", kwargs={"token": tracking_link_token(case)})
    )
    return render(
        request,
        "desk/new_done.html",
        {
            "case": case,
            "sms": sms,
            "sms_to": privacy.mask_phone(sms.address) if sms else "",
            "track": track,
            "followed": request.GET.get("followed") == "1",
            "desk_section": "new",
        },
    )


# --- what intake.js asks for -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def caller(request: HttpRequest) -> HttpResponse:
    """GET ?phone=: the caller's household and earlier cases (HTML fragment, or JSON).
    POST resident, field, reason: reveal one full number (logged in the access log)."""
    _desk_channels(request)
    if request.method == "POST":
        return _reveal(request)
    found = _caller_or_error(request, request.GET.get("phone"))
    if "error" in found:
        if _wants_json(request):
            return JsonResponse({"errors": {"phone": [found["error"]]}}, status=400)
        return HttpResponse(
            render_to_string("desk/_intake_caller.html", {"caller": found}, request), status=400
        )
    card = found["card"]
    if _wants_json(request):
        return JsonResponse(_card_json(card))
    return render(request, "desk/_intake_caller.html", {"caller": found})


def _card_json(card) -> dict:
    return {
        "phone": card.phone,
        "has_account": card.has_account,
        "name": card.name,
        "households": [
            {
                "label": h.label,
                "building": h.household.building_id,
                "room": h.household.room,
                "members": [
                    {
                        "id": m.resident.pk,
                        "name": m.resident.name,
                        "relation": m.resident.relation,
                        "phone": m.phone,
                        "id_number": m.id_number,
                        "tags": m.tags,
                        "caller": m.resident.pk in h.callers,
                    }
                    for m in h.members
                ],
            }
            for h in card.households
        ],
        "cases": [
            {
                "number": c.number,
                "created": c.created_at.isoformat(),
                "state": c.state,
                "state_label": str(c.get_state_display()),
                "category": c.category.name,
                "place": c.place.name,
            }
            for c in card.cases
        ],
    }


def _reveal(request: HttpRequest) -> HttpResponse:
    """The caller card's "show" button: it submits the intake form here (no JavaScript) with
    `reveal` = the resident and `reason-<id>`, or intake.js posts resident, field, reason."""
    resident = request.POST.get("reveal") or request.POST.get("resident", "")
    field = request.POST.get("field", "phone")
    reason = request.POST.get(f"reason-{resident}") or request.POST.get("reason", "")
    try:
        value = privacy.reveal(
            request.user, int(resident) if resident.isdigit() else 0, field, reason
        )
    except ValidationError as exc:
        errors, status = exc.message_dict, 400
    except PermissionDenied:
        errors, status = {"resident": [_("This number is not yours to reveal.")]}, 403
    else:
        if _wants_json(request):
            return JsonResponse({"resident": int(resident), "field": field, "value": value})
        return render(request, "desk/_intake_reveal.html", {"value": value})
    if _wants_json(request):
        return JsonResponse({"errors": errors}, status=status)
    message = " ".join(m for ms in errors.values() for m in ms)
    return render(request, "desk/_intake_reveal.html", {"error": message}, status=status)


@login_required
@require_GET
def places(request: HttpRequest) -> HttpResponse:
    """?q=: places in the user's scope matching one search box; ?lat=&lng=: the building
    nearest a point picked on the map. JSON: {"results": [...], "message": "..."}."""
    _desk_channels(request)
    if "lat" in request.GET or "lng" in request.GET:
        try:
            lat, lng = float(request.GET.get("lat", "")), float(request.GET.get("lng", ""))
        except ValueError:
            lat = lng = 999.0
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            return JsonResponse({"errors": {"lat": [_("Not a WGS-84 coordinate.")]}}, status=400)
        hit, outside = nearest_place(request.user, lat, lng)
        if hit is None:
            message = (
                _("This point is outside your area.")
                if outside
                else _("No building is known near this point: the point is kept; find the place.")
            )
            return JsonResponse({"results": [], "message": message})
        message = _("Outside your area, nearer than this: check the point.") if outside else ""
        return JsonResponse({"results": [hit.as_dict()], "message": message})
    query = request.GET.get("q", "")
    hits, outside = search_places(request.user, query)
    message = ""
    if not hits and query.strip():
        message = (
            _("“%(q)s” is outside your area: key it in where it belongs, or pass the call on.")
            if outside
            else _("No place called “%(q)s” in your area. Try part of the name.")
        ) % {"q": query.strip()[:60]}
    return JsonResponse({"results": [h.as_dict() for h in hits], "message": message})


@login_required
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    """?place=&category=: open cases of that category at that place (HTML fragment, or
    JSON), each with follow and merge buttons that submit the intake form."""
    _desk_channels(request)
    place_id, category_id = request.GET.get("place", ""), request.GET.get("category", "")
    place = Area.objects.filter(pk=int(place_id)).first() if place_id.isdigit() else None
    if place is None or not _covers(request, place):
        return JsonResponse(
            {"errors": {"place": [_("This place is outside your area.")]}}, status=400
        )
    found: list[Case] = []
    if category_id.isdigit() and Category.objects.filter(pk=int(category_id)).exists():
        found = likely_duplicates(request.user, place, int(category_id))
    if _wants_json(request):
        return JsonResponse(
            {
                "results": [
                    {
                        "number": c.number,
                        "state_label": str(c.get_state_display()),
                        "place": c.place.name,
                        "created": c.created_at.isoformat(),
                        "description": c.description[:120],
                    }
                    for c in found
                ]
            }
        )
    return render(request, "desk/_intake_duplicates.html", {"duplicates": found})
