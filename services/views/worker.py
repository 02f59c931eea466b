"""Grid workers' phone pages: my grid, the patrol log, a new case in 30 seconds, and acting on
a case. Everything is read through grids scope (a case outside it is a 404) and written through
services.actions; every POST is idempotent so a resend on poor signal is accepted once."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Case as When_
from django.db.models import IntegerField, Q, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from grids.models import Area
from grids.privacy import may_see_private, shown_phone
from grids.scope import get_visible_or_404, scope_for
from notifications import actions as notices
from notifications import bell
from portal.idempotency import idempotent
from services import actions, calendar, confirm
from services.actions import Intake
from services.case_page import (
    ORDER,
    Situation,
    my_joint_units,
    offered_actions,
    pending_extension,
)
from services.choices import OPEN_STATES, CaseType, Channel, PhotoKind, State, Urgency
from services.forms import NoteForm, PatrolForm, WorkerCaseForm
from services.models import Case, CaseFollower, CasePhoto, JointUnit, PatrolLog
from services.views.common import plain_timeline

WORKER_ACTIONS = (
    "sign_for",
    "record_contact",
    "add_progress",
    "resolve",
    "return_case",
    "escalate",
    "request_extension",
)
# What the phone's outbox calls a step it keeps for later ("Sign for 20260612-0003").
STEP_LABELS = {
    "sign_for": gettext_lazy("Sign for"),
    "record_contact": gettext_lazy("Contact the reporter"),
    "add_progress": gettext_lazy("Add progress"),
    "resolve": gettext_lazy("Resolve"),
    "return_case": gettext_lazy("Return"),
    "escalate": gettext_lazy("Escalate"),
    "request_extension": gettext_lazy("Ask for more time"),
}


def _staff_scope(request):
    scope = scope_for(request.user)
    if not (scope.is_superuser or scope.area_paths):
        raise Http404(_("These pages are for grid and community staff."))
    return scope


def _my_areas(scope, kinds=("grid", "estate", "building"), limit=300) -> list[Area]:
    q = Q()
    for path in scope.area_paths:
        q |= Q(path__startswith=path)
    if scope.is_superuser and not scope.area_paths:
        q = Q()
    return list(
        Area.objects.filter(q, kind__in=kinds)
        .order_by("path")
        .only("pk", "name", "kind", "path", "depth")[:limit]
    )


def _urgency_order():
    return When_(
        When(urgency=Urgency.CRITICAL, then=Value(0)),
        When(urgency=Urgency.URGENT, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


# How many open cases of the scope the list reads at most (one query). A grid holds tens; a
# community worker reading the page sees the most pressing ones first (cards, urgency, due).
LIST_LIMIT = 200


def next_due(case: Case):
    """The deadline the case waits for now: the earliest running clock (a stopped clock is
    empty: signing clears sign_due, the first contact contact_due)."""
    dues = [d for d in (case.sign_due, case.contact_due, case.resolve_due) if d is not None]
    return min(dues) if dues else None


@dataclass
class Sections:
    """The grid worker's list: what they must act on, each case once, most pressing first."""

    due_today: list = dataclass_field(default_factory=list)  # 今日到期 (and overdue)
    to_sign: list = dataclass_field(default_factory=list)  # 待签收
    in_hand: list = dataclass_field(default_factory=list)  # 待办理
    others: list = dataclass_field(default_factory=list)  # 协办/关注: read, no buttons

    @property
    def mine(self) -> list:
        return self.due_today + self.to_sign + self.in_hand


def sort_cases(user, cases, day_end) -> Sections:
    """Put each open case in one section. Whether it is the user's to act on is
    services.actions.may_handle, the rule every handling operation checks: a case of another
    unit in the grid (a department's, the community's), one the grid supports as a joint
    unit (协办) or one the user only follows (关注) lands in `others`, where the page offers no
    step the operation would refuse."""
    sections = Sections()
    for case in cases:
        if not actions.may_handle(user, case):
            sections.others.append(case)
            continue
        due = next_due(case)
        case.next_due = due
        if due is not None and due <= day_end:
            sections.due_today.append(case)
        elif case.state == State.DISPATCHED:
            sections.to_sign.append(case)
        else:
            sections.in_hand.append(case)
    return sections


def _say_why(user, others: list[Case]) -> None:
    """Say on each of `others` (`case.why`) why it is on the list: 协办 (a joint unit the user
    reports in for), 关注 (followed) or the unit that handles it. Two queries, none without
    such cases."""
    if not others:
        return
    ids = [c.pk for c in others]
    units = JointUnit.objects.filter(case_id__in=ids).select_related("area", "department")
    joint = {u.case_id for u in my_joint_units(user, list(units))}
    followed = set(
        CaseFollower.objects.filter(user=user, case_id__in=ids).values_list("case_id", flat=True)
    )
    for case in others:
        if case.pk in joint:
            case.why = _("Joint unit: report in at the desk")  # type: ignore[attr-defined]
        elif case.pk in followed:
            case.why = _("Followed")  # type: ignore[attr-defined]
        else:
            case.why = _("Handled by %(unit)s") % {"unit": case.unit_label}  # type: ignore[attr-defined]


@login_required
def my_grid(request):
    """The grid worker's list: due today, to sign for, in hand (their own cases, with the
    sign-for button where it applies), then other units' and followed cases without buttons,
    resolved this week, and the grid's places."""
    scope = _staff_scope(request)
    user = request.user
    visible = Case.objects.visible_to(user).select_related(
        "place", "category", "handling_area", "handling_department"
    )
    now = timezone.now()
    day_end = calendar.end_of_day(calendar.local(now).date())
    open_cases = list(
        visible.filter(state__in=OPEN_STATES)
        .annotate(u=_urgency_order())
        .order_by("-card_level", "u", "resolve_due", "id")[:LIST_LIMIT]
    )
    sections = sort_cases(user, open_cases, day_end)
    _say_why(user, sections.others)
    resolved = list(
        visible.filter(
            state__in=(State.RESOLVED, State.CALLED_BACK), resolved_at__gte=now - timedelta(days=7)
        ).order_by("-resolved_at")[:20]
    )
    grids = [
        a for a in _my_areas(scope, kinds=("grid",)) if a.path in scope.area_paths
    ] or _my_areas(scope, ("grid",), 20)
    # Cases this worker was told about and has not opened yet: marked "new".
    new_ids = bell.unread_case_ids(user, [c.pk for c in open_cases + resolved])
    return render(
        request,
        "services/worker/grid.html",
        {
            "new_ids": new_ids,
            "sections": sections,
            "resolved": resolved,
            "grids": grids,
            "now": now,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def new_case(request):
    """未诉先办 in under 30 seconds: category, photo, place; "handled on the spot" with a result
    photo resolves it at once."""
    scope = _staff_scope(request)
    places = _my_areas(scope)
    form = WorkerCaseForm(request.POST or None, request.FILES or None, places=places)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        place = next((a for a in places if a.pk == d["place"]), None)
        if d.get("for_phone"):  # for a resident: the case is theirs
            reporter_name, reporter_phone = d.get("for_name", ""), d["for_phone"]
        else:  # found on patrol: the worker reports it
            reporter_name = request.user.display_name or request.user.get_username()
            reporter_phone = request.user.phone or ""
        intake = Intake(
            case_type=CaseType.HELP,
            category=d["category"],
            description=d["description"],
            place=place.pk if place else 0,
            channel=Channel.GRID_WORKER,
            lat=d.get("lat"),
            lng=d.get("lng"),
            reporter_name=reporter_name,
            reporter_phone=reporter_phone,
            raised_before_complaint=True,
            handled_on_spot=d["handled_on_spot"],
            result=d.get("result", ""),
            photos=d.get("photos") or [],
            result_photos=d.get("result_photos") or [],
        )
        try:
            case = actions.submit_case(intake, actor=request.user)
        except ValidationError as exc:
            form.add_action_errors(exc)
        else:
            if case.state == State.RESOLVED:
                messages.success(
                    request,
                    _("Case %(number)s recorded and closed on the spot.") % {"number": case.number},
                )
            else:
                messages.success(
                    request,
                    _("Case %(number)s recorded. It is sent on to whoever handles it.")
                    % {"number": case.number},
                )
            return redirect("services:worker-case", number=case.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "services/worker/new.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def patrol(request):
    """每日巡: log a stop (where, what was seen); today's and recent entries below."""
    scope = _staff_scope(request)
    places = _my_areas(scope)
    form = PatrolForm(request.POST or None, places=places)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        place = next((a for a in places if a.pk == d.get("place")), None)
        try:
            actions.log_patrol(
                actor=request.user,
                seen=d["seen"],
                place=place,
                grid=None if place else next((a for a in places if a.kind == "grid"), None),
                all_well=d["all_well"],
                lat=d.get("lat"),
                lng=d.get("lng"),
            )
        except ValidationError as exc:
            WorkerCaseForm.add_action_errors(form, exc)
        else:
            where = place.name if place else _("your grid")
            messages.success(
                request,
                _("Patrol stop at %(place)s recorded at %(time)s.")
                % {"place": where, "time": timezone.localtime().strftime("%H:%M")},
            )
            return redirect("services:patrol")
    entries = list(
        PatrolLog.objects.visible_to(request.user)
        .filter(worker=request.user)
        .select_related("place", "grid")
        .order_by("-at")[:30]
    )
    status = 400 if request.method == "POST" else 200
    return render(
        request, "services/worker/patrol.html", {"form": form, "entries": entries}, status=status
    )


def _worker_case_page(request, case: Case, form: NoteForm | None = None, status: int = 200):
    events = list(case.events.select_related("actor").order_by("at", "id"))
    photos = list(CasePhoto.objects.filter(case=case).order_by("id"))
    # The buttons are the steps this user may take now (services.case_page.offered_actions:
    # the state table and services.actions.may_handle), not every step the state allows.
    joint = list(JointUnit.objects.filter(case=case).select_related("area", "department"))
    situation = Situation(joint_units=joint, pending_extension=pending_extension(events))
    offered = set(offered_actions(case, request.user, situation))
    allowed = [(a, STEP_LABELS[a]) for a in ORDER if a in offered and a in WORKER_ACTIONS]
    handles = actions.may_handle(request.user, case)
    phone = case.reporter_phone or (
        case.reporter.phone if case.reporter_id and case.reporter else ""
    )
    return render(
        request,
        "services/worker/case.html",
        {
            "case": case,
            "timeline": plain_timeline(case, events),
            "intake_photos": [p for p in photos if p.kind == PhotoKind.INTAKE],
            "result_photos": [p for p in photos if p.kind == PhotoKind.RESULT],
            "allowed": allowed,
            "handles": handles,
            "phone": shown_phone(request.user, phone, case.place),
            "may_call": bool(phone) and may_see_private(request.user, case.place),
            "form": form,
        },
        status=status,
    )


def _case_for(request, number: str) -> Case:
    _staff_scope(request)
    return get_visible_or_404(
        Case.objects.select_related(
            "category", "place", "reporter", "handling_area", "handling_department"
        ),
        request.user,
        number=number,
    )


@login_required
def worker_case(request, number: str):
    case = _case_for(request, number)
    notices.mark_case_read(request.user, case.pk)  # what they were told about it is read
    return _worker_case_page(request, case)


@login_required
@require_POST
@idempotent
def act(request, number: str, action: str):
    """One step on a case through services.actions; a refused step shows its reason (400)."""
    if action not in WORKER_ACTIONS:
        raise Http404
    case = _case_for(request, number)
    form = NoteForm(request.POST, request.FILES)
    if not form.is_valid():
        return _worker_case_page(request, case, form, 400)
    d = form.cleaned_data
    note, version, user = d.get("note") or "", d["version"], request.user
    try:
        if action == "sign_for":
            actions.sign_for(case, actor=user, note=note, expected_version=version)
        elif action == "record_contact":
            actions.record_contact(case, actor=user, note=note, expected_version=version)
        elif action == "add_progress":
            actions.add_progress(
                case, actor=user, note=note, photos_=d["photos"], expected_version=version
            )
        elif action == "resolve":
            actions.resolve(
                case, actor=user, result=note, photos_=d["photos"], expected_version=version
            )
        elif action == "return_case":
            actions.return_case(case, actor=user, reason=note, expected_version=version)
        elif action == "escalate":
            if not note.strip():
                raise ValidationError({"note": _("Say why it needs the level above.")})
            actions.escalate(case, actor=user, note=note, expected_version=version)
        elif action == "request_extension":
            actions.request_extension(
                case,
                actor=user,
                working_days=d.get("days") or 0,
                reason=note,
                expected_version=version,
            )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                target = {"reason": "note", "result": "note", "working_days": "days"}.get(
                    name, name
                )
                form.add_error(target if target in form.fields else None, errors)
        else:
            form.add_error(None, exc)
        case.refresh_from_db()
        return _worker_case_page(request, case, form, 400)
    case.refresh_from_db()
    messages.success(request, confirm.worker_step(case, action))
    return redirect("services:worker-case", number=case.number)
