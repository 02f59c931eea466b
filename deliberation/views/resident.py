"""Residents' phone pages: the matters of their building, estate and community; co-signing,
minutes and results, discussion, the vote and the evaluation. Every write is a
deliberation.actions call; a refusal comes back as a message, never a 500."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from deliberation import actions
from deliberation.eligibility import household_in, households_of
from deliberation.forms import CommentForm, EvaluateForm, MatterForm, VoteForm, put_back
from deliberation.models import (
    OPEN_STATUSES,
    Comment,
    Evaluation,
    Matter,
    MatterEvent,
    Participation,
    Status,
    VoteUnit,
)
from deliberation.views.common import perform, result_rows, status_badge
from grids.models import Area
from portal.idempotency import idempotent


def _areas_of(user) -> list[Area]:
    """The areas a resident may raise matters for: each building they live in and the
    estate, grid and community above it."""
    paths = {p for _pk, path in households_of(user) for p in _prefixes(path)}
    return list(
        Area.objects.filter(path__in=paths, kind__in=["community", "estate", "building"]).order_by(
            "depth", "path"
        )
    )


def mask_name(name: str) -> str:
    """A name as neighbours see it next to a comment: its first character and stars."""
    name = name.strip()
    return f"{name[:1]}**" if name else "**"


def _prefixes(path: str) -> list[str]:
    return [path[:i] for i in range(4, len(path) + 1, 4)]


@login_required
def matters(request):
    """The matters where I live, open ones first, newest first (a fixed number of queries)."""
    qs = (
        Matter.objects.visible_to(request.user)
        .select_related("area", "kind")
        .annotate(
            finished=Case(
                When(status__in=OPEN_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("finished", "-created_at")
    )
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    for m in page:
        m.badge = status_badge(m)
    return render(
        request,
        "deliberation/matters.html",
        {"page": page, "registered": bool(households_of(request.user))},
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def raise_matter(request):
    areas = _areas_of(request.user)
    form = MatterForm(request.POST or None, areas=areas)
    if not areas:
        messages.error(request, _("Register your household with your community first."))
    elif request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        area = next(a for a in areas if a.pk == d["area"])
        try:
            matter = actions.raise_matter(
                actor=request.user,
                area=area,
                kind=d["kind"],
                title=d["title"],
                description=d["description"],
            )
        except ValidationError as exc:
            put_back(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Your matter is raised. It needs %(n)s co-signers from %(area)s before the "
                    "community takes it up; share this page with your neighbours."
                )
                % {"n": matter.cosign_threshold, "area": area.name},
            )
            return redirect("deliberation:matter", pk=matter.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "deliberation/raise.html", {"form": form, "areas": areas}, status=status)


def _visible(request, pk: int) -> Matter:
    return get_object_or_404(
        Matter.objects.visible_to(request.user).select_related("area", "kind__preset"), pk=pk
    )


@login_required
def matter(request, pk: int, forms: dict | None = None):
    m = _visible(request, pk)
    forms = forms or {}
    user = request.user
    household = household_in(user, m.area)
    key = f"h{household}" if m.vote_unit == VoteUnit.HOUSEHOLD else f"u{user.pk}"
    voted = household is not None and Participation.objects.filter(matter=m, voter_key=key).exists()
    cosigned = m.cosigns.filter(user=user).exists()
    evaluated = Evaluation.objects.filter(matter=m, user=user).first()
    meetings = list(m.meetings.order_by("starts_at"))
    for meeting in meetings:
        meeting.present = (  # type: ignore[attr-defined]
            meeting.attendance.count() if meeting.minutes_at else None
        )
    comments = list(Comment.objects.filter(matter=m).select_related("author").order_by("-at")[:50])
    for c in comments:
        # Neighbours read what was said, not who in full: the surname only (one's own: 我).
        c.who = _("me") if c.author_id == user.pk else mask_name(str(c.author))  # type: ignore[attr-defined]
    progress = list(
        MatterEvent.objects.filter(matter=m, action__in=["progress", "done"]).order_by("at")
    )
    context = {
        "problems": [e for f in forms.values() for errs in f.errors.values() for e in errs],
        "m": m,
        "badge": status_badge(m),
        "resident": household is not None,
        "cosigned": cosigned,
        "voted": voted,
        "evaluated": evaluated,
        "meetings": meetings,
        "comments": comments,
        "progress": progress,
        "result": result_rows(m) if m.published_at else None,
        "vote_form": forms.get("vote") or VoteForm(),
        "comment_form": forms.get("comment") or CommentForm(),
        "evaluate_form": forms.get("evaluate") or EvaluateForm(),
        "can_vote": m.status == Status.VOTING and household is not None and not voted,
        "can_evaluate": m.status == Status.DONE
        and m.kind.preset.evaluate
        and household is not None
        and evaluated is None,
    }
    return render(request, "deliberation/matter.html", context, status=400 if forms else 200)


def _act(request, pk: int, form_name: str, form, do, success: str):
    m = _visible(request, pk)
    return perform(
        request,
        m,
        form,
        do,
        success,
        "deliberation:matter",
        lambda: matter(request, pk, forms={form_name: form}),
    )


@login_required
@require_POST
@idempotent
def cosign(request, pk: int):
    return _act(
        request,
        pk,
        "cosign",
        None,
        lambda m, d: actions.cosign(m, actor=request.user),
        _("You co-signed this matter."),
    )


@login_required
@require_POST
@idempotent
def vote(request, pk: int):
    return _act(
        request,
        pk,
        "vote",
        VoteForm(request.POST),
        lambda m, d: actions.cast_vote(m, actor=request.user, choice=d["choice"]),
        _("Your vote is counted. Thank you."),
    )


@login_required
@require_POST
@idempotent
def comment(request, pk: int):
    return _act(
        request,
        pk,
        "comment",
        CommentForm(request.POST),
        lambda m, d: actions.add_comment(m, actor=request.user, body=d["body"]),
        _("Your comment is posted."),
    )


@login_required
@require_POST
@idempotent
def evaluate(request, pk: int):
    return _act(
        request,
        pk,
        "evaluate",
        EvaluateForm(request.POST),
        lambda m, d: actions.evaluate(
            m, actor=request.user, score=d["score"], remark=d.get("remark", "")
        ),
        _("Thank you for your evaluation."),
    )
