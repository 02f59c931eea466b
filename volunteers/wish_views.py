"""The wish wall 微心愿 on the phone: the public wall (approved wishes only: title, community,
status and photo — no names, no contacts), a resident posting a wish with a photo, the
resident's own wishes with the community's answer, and claiming and fulfilling a wish."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.idempotency import idempotent
from volunteers import actions
from volunteers.forms import WishForm, WishPhotoForm, put_back
from volunteers.models import ON_THE_WALL, MicroWish, WishStatus


def _say(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def wish_wall(request):
    """The public wall: the wishes the community approved, newest first. A signed-in visitor
    also sees the wishes they posted (with the community's answer) and the ones they claimed
    (with a form to mark them fulfilled)."""
    qs = (
        MicroWish.objects.filter(status__in=ON_THE_WALL)
        .select_related("community")
        .only("title", "status", "community__name", "created_at", "wish_photo")
        .order_by("status", "-created_at")
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    claimed, posted = [], []
    if request.user.is_authenticated:
        claimed = list(
            MicroWish.objects.filter(claimed_by=request.user, status=WishStatus.CLAIMED)
            .select_related("community")
            .only("title", "status", "community__name", "claimed_at")
            .order_by("claimed_at")
        )
        posted = list(
            MicroWish.objects.filter(posted_by=request.user)
            .only("title", "status", "refusal_reason", "created_at")
            .order_by("-created_at")[:10]
        )
    return render(
        request,
        "volunteers/wishes.html",
        {"page": page, "claimed": claimed, "posted": posted, "form": WishPhotoForm()},
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def wish_new(request):
    """A resident posts a wish in the community they live in; it waits for the community's
    review before it goes on the wall. A photo goes through the case photo pipeline."""
    community = actions.community_of(request.user)
    form = WishForm(request.POST or None, request.FILES or None)
    if community is None:
        messages.error(request, _("Register your household with your community first."))
    elif request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            wish = actions.post_wish(
                request.user,
                community,
                d["title"],
                d["beneficiary"],
                d["contact"],
                photo=d.get("photo"),
            )
        except ValidationError as exc:
            put_back(form, exc)
        else:
            if wish.status == WishStatus.PENDING:
                messages.success(
                    request,
                    _(
                        "Your wish is sent. The community office will look at it and put it "
                        "on the wall; you will see their answer under My wishes."
                    ),
                )
            else:
                messages.success(request, _("Your wish is on the wall."))
            return redirect("volunteers:wishes")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "volunteers/wish_new.html", {"form": form, "community": community}, status=status
    )


@login_required
@require_POST
@idempotent
def wish_claim(request, pk: int):
    wish = get_object_or_404(MicroWish, pk=pk, status__in=ON_THE_WALL)
    try:
        actions.claim_wish(wish, request.user)
        messages.success(
            request,
            _("You claimed this wish. Thank you! Mark it fulfilled below once it is done."),
        )
    except ValidationError as exc:
        _say(request, exc)
    return redirect("volunteers:wishes")


@login_required
@require_POST
@idempotent
def wish_fulfil(request, pk: int):
    wish = get_object_or_404(MicroWish, pk=pk, claimed_by=request.user)
    form = WishPhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("volunteers:wishes")
    try:
        actions.fulfil_wish(wish, request.user, form.cleaned_data.get("photo"))
        messages.success(request, _("Marked as fulfilled. Thank you!"))
    except ValidationError as exc:
        _say(request, exc)
    return redirect("volunteers:wishes")
