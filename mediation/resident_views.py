"""Residents' phone pages: ask for mediation (申请调解) and follow one's own disputes. A
resident sees the steps, the sessions' times and places and the outcome of the disputes they
asked for; never the other side's details, never the notes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mediation import actions, forms
from mediation.choices import PUBLIC_EVENTS, Status
from mediation.common import messages_of
from mediation.models import Dispute, Session
from portal.idempotency import idempotent

STEPS = (
    (Status.RECEIVED, gettext_lazy("Received")),
    (Status.MEDIATING, gettext_lazy("Being mediated")),
    (Status.AGREED, gettext_lazy("Agreement reached")),
    (Status.SETTLED, gettext_lazy("Signed and settled")),
)


@login_required
@idempotent
def ask(request):
    household = actions.household_of(request.user)
    form = forms.AskForm(request.POST or None)
    if request.method == "POST" and household is not None and form.is_valid():
        d = form.cleaned_data
        try:
            dispute = actions.request_mediation(
                actor=request.user,
                kind=d["kind"],
                facts=d["facts"],
                other_party=d["other_party"],
                other_address=d["other_address"],
                phone=d["phone"],
            )
        except ValidationError as exc:
            form.add_error(None, messages_of(exc))
        else:
            messages.success(
                request,
                _(
                    "Your request %(n)s has been sent to the community's mediation "
                    "committee. A mediator will call you within three working days."
                )
                % {"n": dispute.number},
            )
            return redirect("mediation:mine-detail", dispute.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "mediation/ask.html", {"form": form, "household": household}, status=status
    )


@login_required
def mine(request):
    disputes = (
        Dispute.objects.filter(requested_by=request.user)
        .select_related("community")
        .order_by("-created_at")
    )
    return render(request, "mediation/mine.html", {"disputes": disputes})


@login_required
def mine_detail(request, pk: int):
    dispute = get_object_or_404(
        Dispute.objects.select_related("community"), pk=pk, requested_by=request.user
    )
    sessions = (
        Session.objects.filter(dispute=dispute, cancelled=False)
        .select_related("booking__space__centre")
        .order_by("starts_at")
    )
    order: list[str] = [str(s) for s, _label in STEPS]
    reached = order.index(dispute.status) if dispute.status in order else -1
    steps = [
        {"label": label, "done": i <= reached, "current": i == reached}
        for i, (_s, label) in enumerate(STEPS)
    ]
    events = [e for e in dispute.events.all() if e.action in PUBLIC_EVENTS]
    return render(
        request,
        "mediation/mine_detail.html",
        {
            "dispute": dispute,
            "steps": steps,
            "sessions": sessions,
            "events": events,
            "withdraw_form": forms.WithdrawForm(),
        },
    )


@login_required
def mine_withdraw(request, pk: int):
    dispute = get_object_or_404(Dispute, pk=pk, requested_by=request.user)
    if request.method == "POST":
        form = forms.WithdrawForm(request.POST)
        if form.is_valid():
            try:
                actions.withdraw(dispute, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                messages.error(request, messages_of(exc))
            else:
                messages.success(request, _("Your request was withdrawn."))
        else:
            messages.error(request, _("Say why you withdraw the request."))
    return redirect("mediation:mine-detail", pk)
