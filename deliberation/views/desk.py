"""Staff pages (/deliberation/desk/): the matters of their scope with search, status filter,
sort and pages; a matter's page with the actions its status allows; minutes entry; the Excel
ledger of a vote and its meetings' attendance; cases promoted to matters. Reads go through
Matter.objects.visible_to; anything outside the scope is a 404. Every write is an
deliberation.actions call."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from centres.models import Space, SpaceKind
from deliberation import actions
from deliberation.forms import (
    CommentForm,
    MatterForm,
    MeetingForm,
    MinutesForm,
    PlanForm,
    ProgressForm,
    ReasonForm,
    VoteOpenForm,
    put_back,
)
from deliberation.models import OPEN_STATUSES, Matter, Meeting, Status
from deliberation.views.common import event_label, perform, result_rows, status_badge
from grids.models import Area
from grids.scope import may_act_on, scope_for
from portal.excel import xlsx_bytes, xlsx_response
from portal.idempotency import idempotent

SORTS = {
    "new": ("-created_at", "-pk"),
    "old": ("created_at", "pk"),
    "title": ("title", "pk"),
    "updated": ("-updated_at", "-pk"),
}


def _staff(request) -> None:
    if not scope_for(request.user).is_staff:
        raise Http404


def _matter(request, pk: int) -> Matter:
    _staff(request)
    m = get_object_or_404(
        Matter.objects.visible_to(request.user).select_related("area", "kind__preset"), pk=pk
    )
    if not may_act_on(request.user, m.area):
        raise Http404
    return m


@login_required
def matter_list(request):
    """Open matters by default; any status, a word in the title, newest first."""
    _staff(request)
    status = request.GET.get("status", "open")
    q = (request.GET.get("q") or "").strip()[:60]
    sort = request.GET.get("sort", "new")
    qs = Matter.objects.visible_to(request.user).select_related("area", "kind")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        qs = qs.filter(status=status)
    else:
        status = "all"
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(area__name__icontains=q))
    qs = qs.order_by(*SORTS.get(sort, SORTS["new"]))
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    for m in page:
        m.badge = status_badge(m)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "deliberation/desk/list.html",
        {
            "page": page,
            "status": status,
            "q": q,
            "sort": sort if sort in SORTS else "new",
            "statuses": [("open", _("still open")), ("all", _("all")), *Status.choices],
            "sorts": [
                ("new", _("newest first")),
                ("old", _("oldest first")),
                ("updated", _("recently changed")),
                ("title", _("by title")),
            ],
            "query": query.urlencode(),
            "desk_section": "deliberation",
        },
    )


def _staff_areas(user) -> list[Area]:
    scope = scope_for(user)
    q = scope.area_q()
    return list(
        Area.objects.filter(q, kind__in=["community", "estate", "building"]).order_by("path")[:500]
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def new_matter(request):
    _staff(request)
    areas = _staff_areas(request.user)
    form = MatterForm(request.POST or None, areas=areas, staff=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        area = next((a for a in areas if a.pk == d["area"]), None)
        try:
            m = actions.raise_matter(
                actor=request.user,
                area=area,
                kind=d["kind"],
                title=d["title"],
                description=d["description"],
                source=d["source"],
            )
        except ValidationError as exc:
            put_back(form, exc)
        else:
            messages.success(request, _("The matter is raised and waits to be taken up."))
            return redirect("deliberation:desk-matter", pk=m.pk)
    return render(
        request,
        "deliberation/desk/new.html",
        {"form": form, "desk_section": "deliberation"},
        status=400 if request.method == "POST" else 200,
    )


def _halls(m: Matter):
    community = m.area.ancestor_of_kind("community")
    return Space.objects.filter(
        kind=SpaceKind.DELIBERATION, is_active=True, centre__community=community
    ).select_related("centre")


@login_required
def matter_page(request, pk: int, forms: dict | None = None):
    m = _matter(request, pk)
    forms = forms or {}
    halls = list(_halls(m))
    meetings = list(m.meetings.select_related("booking").order_by("starts_at"))
    events = list(m.events.select_related("actor"))
    for e in events:
        e.label = event_label(e)  # type: ignore[attr-defined]
    context = {
        "m": m,
        "badge": status_badge(m),
        "meetings": meetings,
        "events": events,
        "comments": list(m.comments.select_related("author").order_by("-at")[:50]),
        "result": result_rows(m) if m.tally else None,
        "votes_in": m.participations.count() if m.status == Status.VOTING else None,
        "meeting_form": forms.get("meeting")
        or MeetingForm(spaces=halls, kinds=m.kind.preset.meetings),
        "vote_form": forms.get("vote") or VoteOpenForm(initial={"plan": m.plan}),
        "plan_form": forms.get("plan") or PlanForm(initial={"plan": m.plan}),
        "comment_form": forms.get("comment") or CommentForm(),
        "decline_form": forms.get("decline") or ReasonForm(),
        "progress_form": forms.get("progress") or ProgressForm(),
        "desk_section": "deliberation",
        "now": timezone.now(),
    }
    return render(request, "deliberation/desk/matter.html", context, status=400 if forms else 200)


def _do(request, pk: int, name: str, form, do, success: str):
    m = _matter(request, pk)
    return perform(
        request,
        m,
        form,
        do,
        success,
        "deliberation:desk-matter",
        lambda: matter_page(request, pk, forms={name: form}),
    )


@login_required
@require_POST
@idempotent
def act(request, pk: int, action: str):
    """One of the matter's actions, by name."""
    user = request.user
    if action == "accept":
        return _do(
            request,
            pk,
            action,
            None,
            lambda m, d: actions.accept_matter(m, actor=user),
            _("The matter is taken up for deliberation."),
        )
    if action == "decline":
        return _do(
            request,
            pk,
            "decline",
            ReasonForm(request.POST),
            lambda m, d: actions.decline_matter(m, actor=user, reason=d["reason"]),
            _("The matter is not taken up; residents see the reason."),
        )
    if action == "meeting":
        m = _matter(request, pk)
        halls = list(_halls(m))
        form = MeetingForm(request.POST, spaces=halls, kinds=m.kind.preset.meetings)

        def meeting(m, d):
            space = next((h for h in halls if h.pk == d.get("space")), None)
            actions.schedule_meeting(
                m,
                actor=user,
                kind=d["kind"],
                starts_at=d["starts_at"],
                ends_at=d["ends_at"],
                agenda=d["agenda"],
                space=space,
                place=d.get("place", ""),
            )

        return _do(request, pk, "meeting", form, meeting, _("The meeting is called and booked."))
    if action == "open-vote":
        return _do(
            request,
            pk,
            "vote",
            VoteOpenForm(request.POST),
            lambda m, d: actions.open_vote(m, actor=user, closes_at=d["closes_at"], plan=d["plan"]),
            _("The vote is open."),
        )
    if action == "publish-plan":
        return _do(
            request,
            pk,
            "plan",
            PlanForm(request.POST),
            lambda m, d: actions.publish_plan(m, actor=user, plan=d["plan"]),
            _("The plan is published to the residents."),
        )
    if action == "comment":
        return _do(
            request,
            pk,
            "comment",
            CommentForm(request.POST),
            lambda m, d: actions.add_comment(m, actor=user, body=d["body"]),
            _("Your comment is posted."),
        )
    if action == "close-vote":
        return _do(
            request,
            pk,
            action,
            None,
            lambda m, d: actions.close_vote(m, actor=user, early=True),
            _("The vote is closed and counted."),
        )
    if action == "publish":
        return _do(
            request,
            pk,
            action,
            None,
            lambda m, d: actions.publish_result(m, actor=user),
            _("The result is published."),
        )
    if action == "progress":
        return _do(
            request,
            pk,
            "progress",
            ProgressForm(request.POST),
            lambda m, d: actions.record_progress(m, actor=user, note=d["note"], done=d["done"]),
            _("Progress recorded."),
        )
    raise Http404


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def minutes(request, pk: int, meeting: int):
    m = _matter(request, pk)
    mt = get_object_or_404(Meeting, pk=meeting, matter=m)
    initial = {
        "minutes": mt.minutes,
        "attendees": "\n".join(
            f"{a.name}, {a.capacity}" if a.capacity else a.name for a in mt.attendance.all()
        ),
    }
    form = MinutesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_minutes(
                mt,
                actor=request.user,
                minutes=form.cleaned_data["minutes"],
                attendees=form.cleaned_data["attendees"],
            )
        except ValidationError as exc:
            put_back(form, exc)
        else:
            messages.success(request, _("The minutes and attendance are saved."))
            return redirect("deliberation:desk-matter", pk=m.pk)
    return render(
        request,
        "deliberation/desk/minutes.html",
        {"m": m, "meeting": mt, "form": form, "desk_section": "deliberation"},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def export(request, pk: int):
    """The matter's ledger: the tally recomputed from the ballots, the ballots (no voter on a
    secret matter), the roll of who voted, and each meeting's attendance."""
    m = _matter(request, pk)
    tally = actions.compute_tally(m) if m.status != Status.COSIGNING else {}
    ballots = m.ballots.select_related("voter", "household__building").order_by("choice", "pk")
    roll = m.participations.select_related("user", "household__building").order_by("at")
    attendance = (
        Meeting.objects.filter(matter=m).prefetch_related("attendance").order_by("starts_at")
    )
    sheets = [
        (_("Tally"), [_("Item"), _("Value")], list(tally.items())),
        (
            _("Ballots"),
            [_("Vote"), _("Floor area (m²)"), _("Voter"), _("Household")],
            ((b.get_choice_display(), b.weight, b.voter or "", b.household or "") for b in ballots),
        ),
        (
            _("Who voted"),
            [_("Household"), _("Voter"), _("At")],
            ((p.household, p.user, p.at) for p in roll),
        ),
        (
            _("Attendance"),
            [_("Meeting"), _("From"), _("Name"), _("Attending as"), _("Household")],
            (
                (mt.get_kind_display(), mt.starts_at, a.name, a.capacity, a.household_id or "")
                for mt in attendance
                for a in mt.attendance.all()
            ),
        ),
    ]
    return xlsx_response(_("deliberation-%(pk)s") % {"pk": m.pk}, xlsx_bytes(sheets))


@login_required
@require_POST
@idempotent
def propose(request):
    """Propose matters from repeated cases in the user's scope (also done nightly)."""
    _staff(request)
    made = actions.propose_from_cases(actor=request.user)
    if made:
        messages.success(
            request, _("%(n)s matters proposed from repeated cases.") % {"n": len(made)}
        )
    else:
        messages.info(request, _("No place has enough repeated cases for a new matter."))
    return redirect("deliberation:desk")
