"""The staff case page (/desk/c/<number>/): what the case waits for, as buttons with short
forms; the deadlines as a clock line; the reporter with a masked phone and an audited reveal;
photos by kind; the timeline; related and merged cases; the place on a small map.

Reads go through the area scope (a case outside it is a 404, as if it did not exist); every
change goes through services.actions with the version the page was drawn with. A form that
lost a race is answered with who acted first and the page as it is now (409); bad input with
the form's errors (400); never a 500."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from grids.privacy import mask_phone, may_see_private, reveal_on_record
from grids.scope import scope_for
from services import case_page as info
from services.case_page import Situation
from services.choices import Action, PhotoKind, State
from services.desk.case_forms import FORMS, RACE_KEYS, ActionForm, CasePage
from services.models import Case, CaseEvent, CasePhoto, JointUnit

RELATED_DAYS = 180  # "recent": what a desk operator still remembers as the same problem
RELATED_MAX = 5
PHOTO_ORDER: dict[str, int] = {PhotoKind.INTAKE: 0, PhotoKind.PROGRESS: 1, PhotoKind.RESULT: 2}
# Suggested reasons for a reveal (the field takes any text; an empty one is refused).
REVEAL_REASONS = (
    gettext_lazy("to contact the reporter"),
    gettext_lazy("to call back about the result"),
    gettext_lazy("to check the facts"),
)


@dataclass
class Loaded:
    """Everything the page read, once per request."""

    visible: QuerySet
    case: Case
    events: list
    situation: Situation
    page: CasePage


def _staff(request: HttpRequest) -> None:
    if not scope_for(request.user).is_staff:
        raise Http404  # residents and units have their own pages; the desk does not exist


def _load(request: HttpRequest, number: str) -> Loaded:
    """The case through the user's scope (a 404 outside it), its timeline with the people
    it names (one query for all of them), and its joint units when it has any."""
    _staff(request)
    # grids.scope.get_visible_or_404, with the visible set kept: the related and merged cases
    # are read through it too, and building it costs a query.
    visible = Case.objects.visible_to(request.user)
    case = get_object_or_404(
        visible.select_related("category__parent", "place", "handling_area", "handling_department"),
        number=number,
    )
    events = list(CaseEvent.objects.filter(case=case).order_by("at", "pk"))
    _attach_people(case, events)
    joint_units = []
    if any(e.action == Action.ADD_JOINT_UNIT for e in events):
        joint_units = list(
            JointUnit.objects.filter(case=case).select_related("department", "area").order_by("pk")
        )
    situation = Situation(
        joint_units=joint_units,
        pending_extension=info.pending_extension(events),
        now=timezone.now(),
    )
    page = CasePage(case, request.user, situation, events[-1].pk if events else None)
    return Loaded(visible, case, events, situation, page)


def _attach_people(case: Case, events: list) -> None:
    """The reporter, assignee, first receiver and every actor of the timeline in one query."""
    names = ("reporter", "assignee", "received_by")
    ids = {getattr(case, f"{n}_id") for n in names} | {e.actor_id for e in events}
    ids.discard(None)
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)} if ids else {}
    for name in names:
        relation = cast(models.ForeignKey, Case._meta.get_field(name))
        relation.set_cached_value(case, users.get(getattr(case, f"{name}_id")))
    actor = cast(models.ForeignKey, CaseEvent._meta.get_field("actor"))
    for e in events:
        actor.set_cached_value(e, users.get(e.actor_id))


def _related(loaded: Loaded) -> list[Case]:
    """Recent cases of the same category at the same place (or inside it) the user sees."""
    case = loaded.case
    since = loaded.situation.now - timedelta(days=RELATED_DAYS)
    return list(
        loaded.visible.filter(
            place_path__startswith=case.place_path,
            category_id=case.category_id,
            created_at__gte=since,
        )
        .exclude(pk=case.pk)
        .only("pk", "number", "state", "created_at", "description", "place_path")
        .order_by("-created_at")[:RELATED_MAX]
    )


def _merged(loaded: Loaded) -> tuple[Case | None, list[Case]]:
    """The case this one was merged into, and the cases merged into this one (the timeline
    names both, so a case with neither costs no query)."""
    case = loaded.case
    children = [
        e.payload["merged"]
        for e in loaded.events
        if e.action == Action.MERGE and (e.payload or {}).get("merged")
    ]
    if not case.master_id and not children:
        return None, []
    q = Q(number__in=children) if children else Q(pk__in=[])
    if case.master_id:
        q |= Q(pk=case.master_id)
    rows = list(loaded.visible.filter(q).only("pk", "number", "state", "description"))
    master = next((c for c in rows if c.pk == case.master_id), None)
    return master, [c for c in rows if c.pk != case.master_id]


def _phone(case: Case) -> str:
    return case.reporter_phone or (case.reporter.phone if case.reporter else "") or ""


def handles_now(user, case: Case) -> bool:
    """Is the user the case's handling unit now (its assignee, or a handler of its handling
    department) while the case is open? They must reach the reporter (the contact clock), so
    they may reveal the phone though the place is outside their scope."""
    if case.state not in (State.DISPATCHED, State.SIGNED, State.IN_PROGRESS):
        return False
    scope = scope_for(user)
    return case.assignee_id == user.pk or (
        case.handling_department_id is not None
        and case.handling_department_id in scope.department_ids
    )


def may_reveal(user, case: Case) -> bool:
    """Who is offered the reporter's full number (grids.privacy decides again on the POST)."""
    return may_see_private(user, case.place) or handles_now(user, case)


def _coords(lat: float | None, lng: float | None) -> str:
    """WGS-84 degrees as people read them: 24.874, 118.676 (no trailing zeros)."""
    if lat is None or lng is None:
        return ""
    return ", ".join(f"{v:.6f}".rstrip("0").rstrip(".") for v in (lat, lng))


def _forms(loaded: Loaded, bound: ActionForm | None = None) -> list[ActionForm]:
    offered = info.offered_actions(loaded.case, loaded.page.user, loaded.situation)
    forms = []
    for action in offered:
        if bound is not None and bound.action == action:
            forms.append(bound)
        else:
            forms.append(FORMS[action](loaded.page))
    return forms


def _render(
    request: HttpRequest,
    loaded: Loaded,
    *,
    bound: ActionForm | None = None,
    revealed: str | None = None,
    reveal_error: str = "",
    status: int = 200,
) -> HttpResponse:
    case = loaded.case
    photos = sorted(
        CasePhoto.objects.filter(case=case).only("pk", "kind", "image", "case_id"),
        key=lambda p: (PHOTO_ORDER.get(p.kind, 9), p.pk),
    )
    master, merged = _merged(loaded)
    forms = _forms(loaded, bound)
    open_action = bound.action if bound is not None else (forms[0].action if forms else None)
    phone = _phone(case)
    lat = case.lat if case.lat is not None else case.place.lat
    lng = case.lng if case.lng is not None else case.place.lng
    context = {
        "case": case,
        "desk_section": "cases",
        "forms": forms,
        "open_action": open_action,
        "clock": info.clock_line(case, loaded.situation.now),
        "timeline": info.desk_timeline(loaded.events),
        "photos": photos,
        "related": _related(loaded),
        "master": master,
        "merged": merged,
        "merged_into_number": next(
            (
                e.payload.get("master")
                for e in reversed(loaded.events)
                if e.action == Action.MERGE and (e.payload or {}).get("master")
            ),
            "",
        ),
        "joint_units": loaded.situation.joint_units,
        "pending_extension": loaded.situation.pending_extension,
        "phone_masked": mask_phone(phone),
        "has_phone": bool(phone),
        "may_reveal": bool(phone) and may_reveal(request.user, case),
        "revealed": revealed,
        "reveal_error": reveal_error,
        "reveal_reasons": REVEAL_REASONS,
        "lat": lat,
        "lng": lng,
        "coords": _coords(lat, lng),
        "place_label": f"{case.place.name} {case.address}".strip(),
        "is_open": case.state in (State.DISPATCHED, State.SIGNED, State.IN_PROGRESS),
    }
    return render(request, "desk/case.html", context, status=status)


@login_required
@require_GET
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    """The page (GET)."""
    return _render(request, _load(request, number))


def _when(at) -> str:
    local = timezone.localtime(at)
    if local.date() == timezone.localdate():
        return date_format(local, "H:i")
    return date_format(local, "m-d H:i")


def race_message(request: HttpRequest, loaded: Loaded, seen: int | None) -> str:
    """Who acted first and when: "已被 张三 于 10:32 签收", or the system's step, or the
    user's own earlier click (a double submit)."""
    event = info.acted_first(loaded.events, seen)
    tail = _("This is the case as it is now; check it before you act.")
    if event is None:
        return tail
    what = {"action": info.event_label(event), "time": _when(event.at)}
    if event.actor_id is None:
        head = _("The case changed at %(time)s (%(action)s, by the system).") % what
    elif event.actor_id == request.user.pk:
        head = _("You already did this: %(action)s at %(time)s.") % what
    else:
        head = _("Already %(action)s by %(who)s at %(time)s.") % {**what, "who": event.actor}
    return f"{head} {tail}"


def _seen(request: HttpRequest) -> int | None:
    value = request.POST.get("seen", "")
    return int(value) if value.isdigit() else None


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("expected_version", "")
    return int(value) if value.isdigit() else None


def _lost_race(request: HttpRequest, number: str) -> HttpResponse:
    """Read the case again and show it as it is now, saying who acted first (409)."""
    loaded = _load(request, number)
    messages.warning(request, race_message(request, loaded, _seen(request)))
    return _render(request, loaded, status=409)


@login_required
@require_POST
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One action from its short form, through services.actions; then back to the page with
    a message saying what happened."""
    if action not in FORMS:
        raise Http404
    loaded = _load(request, number)
    case = loaded.case
    offered = info.offered_actions(case, request.user, loaded.situation)
    if action not in offered:
        posted = _version(request)
        if posted is not None and posted != case.version:
            messages.warning(request, race_message(request, loaded, _seen(request)))
            return _render(request, loaded, status=409)
        messages.error(request, _("This action is not open to you on this case now."))
        return _render(request, loaded, status=400)
    form = FORMS[action](loaded.page, request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Check the form: %(action)s.") % {"action": form.label})
        return _render(request, loaded, bound=form, status=400)
    try:
        form.run()
    except ValidationError as exc:
        keys = set(getattr(exc, "error_dict", {}))
        if keys & RACE_KEYS and form.version != _current_version(case):
            return _lost_race(request, number)
        form.add_action_error(exc)
        messages.error(request, _("Not done: %(action)s.") % {"action": form.label})
        return _render(request, _load(request, number), bound=form, status=400)
    done = Case.objects.filter(pk=case.pk).only("state", "number").get()
    messages.success(
        request,
        _("Done: %(action)s. The case is now %(state)s.")
        % {"action": form.label, "state": State(done.state).label},
    )
    if not loaded.visible.filter(pk=case.pk).exists():
        # Sent on to a unit outside this user's scope: the page would be a 404 now.
        messages.info(request, _("The case has left your area; it is no longer on your desk."))
        return redirect("desk:home")
    return redirect("desk:case", number=case.number)


def _current_version(case: Case) -> int:
    return Case.objects.filter(pk=case.pk).values_list("version", flat=True).get()


@login_required
@require_POST
def reveal_phone(request: HttpRequest, number: str) -> HttpResponse:
    """The reporter's full phone number, for staff whose scope covers the place, written to
    the access log (grids.privacy). The page is drawn with the number once; it is never kept."""
    loaded = _load(request, number)
    case = loaded.case
    phone = _phone(case)
    if not phone:
        messages.info(request, _("No phone number was left."))
        return redirect("desk:case", number=case.number)
    try:
        revealed = reveal_on_record(
            request.user,
            phone=phone,
            name=case.reporter_name or (str(case.reporter) if case.reporter else ""),
            area=case.place,
            record=case.number,
            reason=request.POST.get("reason", ""),
            handles=handles_now(request.user, case),
        )
    except PermissionDenied:
        raise Http404 from None  # no reveal outside the scope: as if there were none
    except ValidationError as exc:
        error = " ".join(exc.messages)
        return _render(request, loaded, reveal_error=error, status=400)
    messages.info(request, _("The full number was shown to you; this is in the access log."))
    return _render(request, loaded, revealed=revealed)
