"""The community's review desk on the phone (/volunteers/staff/): residents' micro-wishes
waiting to go on the wall and 双报到 reports waiting to be confirmed, each approved or refused
with a reason through volunteers.actions. Only staff see it, and only what their scope
covers; anything else is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.privacy import mask_phone
from grids.scope import get_visible_or_404, scope_for
from portal.idempotency import idempotent
from volunteers import actions
from volunteers.forms import DecisionForm
from volunteers.models import MicroWish, PartyReport, ReportStatus, WishStatus


def _staff_only(request) -> None:
    scope = scope_for(request.user)
    if not (scope.is_staff and scope.is_territorial):
        raise Http404


@login_required
def review(request):
    _staff_only(request)
    wishes = list(
        MicroWish.objects.visible_to(request.user)
        .filter(status=WishStatus.PENDING)
        .select_related("community")
        .order_by("created_at")[:50]
    )
    for wish in wishes:
        # Deciding needs no phone number: shown masked (the admin shows it per grids.privacy).
        wish.masked_contact = mask_phone(wish.contact)
    reports = (
        PartyReport.objects.visible_to(request.user)
        .filter(status=ReportStatus.PENDING)
        .select_related("community", "member", "unit")
        .order_by("created_at")[:50]
    )
    return render(request, "volunteers/review.html", {"wishes": wishes, "reports": reports})


def _decision(request) -> tuple[bool, str] | None:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to approve or refuse."))
        return None
    return form.cleaned_data["decision"] == "approve", form.cleaned_data["reason"]


@login_required
@require_POST
@idempotent
def decide_wish(request, pk: int):
    _staff_only(request)
    wish = get_visible_or_404(MicroWish.objects, request.user, pk=pk)
    decided = _decision(request)
    if decided is not None:
        approve, reason = decided
        try:
            actions.moderate_wish(wish, request.user, approve, reason)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            if approve:
                messages.success(
                    request, _("The wish “%(title)s” is on the wall.") % {"title": wish.title}
                )
            else:
                messages.success(
                    request,
                    _("The wish “%(title)s” is refused; the resident sees your reason.")
                    % {"title": wish.title},
                )
    return redirect("volunteers:review")


@login_required
@require_POST
@idempotent
def decide_report(request, pk: int):
    _staff_only(request)
    report = get_visible_or_404(PartyReport.objects, request.user, pk=pk)
    decided = _decision(request)
    if decided is not None:
        confirm, reason = decided
        try:
            actions.decide_report(report, request.user, confirm, reason)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            who = report.member or report.unit
            if confirm:
                messages.success(request, _("The report of %(who)s is confirmed.") % {"who": who})
            else:
                messages.success(
                    request,
                    _("The report of %(who)s is not confirmed; they see your reason.")
                    % {"who": who},
                )
    return redirect("volunteers:review")
