"""The staff's mediation desk (/mediation/): the list of disputes in scope (search, filters,
sort, figures per community, the 调解台账 as Excel), intake (at the desk, by a grid worker, or a
12345 case converted) and the dispute page with its steps. Out of scope: 404. Every write is a
mediation.actions call; a refusal comes back as a message in Chinese."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.scope import get_visible_or_404, scope_for
from mediation import actions, figures, forms, privacy
from mediation.actions.common import is_head, is_office
from mediation.choices import OPEN_STATUSES, Status
from mediation.common import form_errors, messages_of, require_desk_user
from mediation.models import Dispute, Mediator, Session
from portal.idempotency import idempotent
from services.models import Case
from services.search import as_case_number

PER_PAGE = 25


def _filtered(request):
    form = forms.ListFilterForm(request.GET or None)
    qs = Dispute.objects.visible_to(request.user).select_related("community", "place")
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            qs = qs.filter(Q(number__icontains=d["q"]) | Q(summary__icontains=d["q"]))
        if d["status"]:
            qs = qs.filter(status=d["status"])
        if d["kind"]:
            qs = qs.filter(kind=d["kind"])
        order = forms.SORTS.get(d["sort"] or "-created", forms.SORTS["-created"])
    else:
        order = forms.SORTS["-created"]
    return form, qs.order_by(*order)


@login_required
def dispute_list(request):
    require_desk_user(request.user)
    form, qs = _filtered(request)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    year_start = timezone.make_aware(
        datetime.combine(timezone.localdate().replace(month=1, day=1), time.min)
    )
    rows = figures.per_community(request.user, None, year_start, timezone.now())
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "mediation/list.html",
        {
            "form": form,
            "page": page,
            "figures": rows,
            "totals": figures.totals(rows),
            "query": query.urlencode(),
            "filtered": bool(
                request.GET.get("q") or request.GET.get("status") or request.GET.get("kind")
            ),
            "may_take_in": scope_for(request.user).is_territorial,
        },
    )


@login_required
def export(request):
    """The mediation ledger (调解台账) of the filtered list, as staff keep it: one row per dispute.
    Parties' names are masked, except on the disputes the user mediates or heads, where they
    are shown and each such dispute's reveal is written to the access log."""
    from portal.excel import xlsx_download

    require_desk_user(request.user)
    _form, qs = _filtered(request)
    qs = qs.prefetch_related("parties", "mediators", "follow_ups")[:5000]
    heads: dict[int, set[int]] = {}
    rows = []
    for d in qs:
        if d.community_id not in heads:
            heads[d.community_id] = privacy.community_head_ids(d.community)
        entitled = request.user.pk in heads[d.community_id] or privacy.is_mediator(request.user, d)
        if entitled:
            shown = privacy.reveal(request.user, d, _("mediation ledger export"))
            names = "、".join(f"{p['side']} {p['name']}" for p in shown)
        else:
            names = "、".join(
                f"{p.get_side_display()} {privacy.mask_name(p.name)}" for p in d.parties.all()
            )
        last = list(d.follow_ups.all())[-1:] if d.follow_ups.all() else []
        rows.append(
            [
                d.number,
                timezone.localtime(d.created_at).date(),
                d.community.name,
                d.get_source_display(),
                d.get_kind_display(),
                d.summary,
                names,
                "、".join(m.name for m in d.mediators.all()),
                d.get_status_display(),
                d.settled_at and timezone.localtime(d.settled_at).date(),
                d.get_referred_to_display() if d.referred_to else "",
                last[0].get_result_display() if last else "",
            ]
        )
    header = [
        _("Number"),
        _("Received on"),
        _("Community"),
        _("Source"),
        _("Kind"),
        _("Summary"),
        _("Parties"),
        _("Mediators"),
        _("Status"),
        _("Settled on"),
        _("Referred to"),
        _("Last follow-up"),
    ]
    return xlsx_download(_("Mediation ledger"), header, rows)


@login_required
@idempotent
def new(request):
    """Intake at the desk or on a grid worker's phone: the place, the kind, a summary without
    names, the facts, and the parties (at least one on each side)."""
    scope = scope_for(request.user)
    if not (scope.is_staff and scope.is_territorial):
        raise Http404
    form = forms.DisputeForm(request.POST or None, user=request.user)
    parties = forms.PartyFormSet(
        request.POST or None,
        prefix="party",
        initial=[{"side": "applicant"}, {"side": "respondent"}],
    )
    convert = forms.ConvertForm(prefix="convert")
    if request.method == "POST":
        if form.is_valid() and parties.is_valid():
            d = form.cleaned_data
            party_in = [
                actions.PartyIn(
                    side=p["side"],
                    kind=p["kind"],
                    name=p.get("name", ""),
                    phone=p.get("phone", ""),
                    address=p.get("address", ""),
                )
                for p in parties.cleaned_data
                if p and (p.get("name") or p.get("phone") or p.get("address"))
            ]
            try:
                dispute = actions.open_dispute(
                    actor=request.user,
                    place=d["place"],
                    kind=d["kind"],
                    summary=d["summary"],
                    facts=d["facts"],
                    parties=party_in,
                )
            except ValidationError as exc:
                messages.error(request, messages_of(exc))
            else:
                messages.success(request, _("Dispute %(n)s taken in.") % {"n": dispute.number})
                return redirect("mediation:dispute", dispute.pk)
        else:
            messages.error(
                request,
                " ".join(
                    x
                    for x in [
                        form_errors(form),
                        " ".join(str(e) for e in parties.non_form_errors()),
                    ]
                    + [form_errors(f) for f in parties.forms]
                    if x
                ),
            )
    return render(
        request,
        "mediation/new.html",
        {"form": form, "parties": parties, "convert": convert},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def convert(request):
    """A neighbour-dispute 12345 case, by its number, becomes a dispute."""
    form = forms.ConvertForm(request.POST, prefix="convert")
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("mediation:new")
    number = as_case_number(form.cleaned_data["case_number"])
    case = Case.objects.visible_to(request.user).filter(number=number).first() if number else None
    if case is None:
        messages.error(request, _("No case with that number in your area."))
        return redirect("mediation:new")
    try:
        dispute = actions.convert_case(
            case, actor=request.user, respondent=form.cleaned_data["respondent"]
        )
    except ValidationError as exc:
        messages.error(request, messages_of(exc))
        return redirect("mediation:new")
    messages.success(
        request,
        _("Case %(c)s is now dispute %(n)s.") % {"c": case.number, "n": dispute.number},
    )
    return redirect("mediation:dispute", dispute.pk)


def _dispute_or_404(request, pk: int) -> Dispute:
    require_desk_user(request.user)
    qs = Dispute.objects.select_related("community", "place", "case").prefetch_related(
        "parties",
        Prefetch("mediators", queryset=Mediator.objects.select_related("unit")),
        Prefetch(
            "sessions",
            queryset=Session.objects.select_related("booking__space__centre").prefetch_related(
                "attended"
            ),
        ),
        "follow_ups",
        "events",
    )
    return get_visible_or_404(qs, request.user, pk=pk)


def _page(
    request, dispute: Dispute, *, revealed: list | None = None, reveal_form=None, status: int = 200
):
    entitled = privacy.may_see_details(request.user, dispute)
    mediator = privacy.is_mediator(request.user, dispute)
    office = is_office(request.user, dispute) or is_head(request.user, dispute)
    parties = list(dispute.parties.all())
    ctx = {
        "dispute": dispute,
        "parties": revealed if revealed is not None else privacy.masked_parties(dispute),
        "revealed": revealed is not None,
        "entitled": entitled,
        "may_work": mediator or (entitled and office),
        "office": office,
        "reveal_form": reveal_form or forms.RevealForm(),
        "assign_form": forms.AssignForm(dispute=dispute),
        "session_form": forms.SessionForm(dispute=dispute),
        "terms_form": forms.TermsForm(initial={"terms": dispute.terms} if revealed else None),
        "refer_form": forms.ReferForm(),
        "scan_form": forms.ScanForm(),
        "follow_form": forms.FollowUpForm(initial={"visited_on": timezone.localdate()}),
        "withdraw_form": forms.WithdrawForm(),
        "sign_methods": forms.SignMethod.choices,
        "party_rows": parties,
        "unsigned": [p for p in parties if p.signed_at is None],
        "terms_editable": dispute.status in OPEN_STATUSES and not any(p.signed_at for p in parties),
        "is_open": dispute.status in OPEN_STATUSES,
        "Status": Status,
        "now": timezone.now(),
    }
    return render(request, "mediation/dispute.html", ctx, status=status)


@login_required
def dispute(request, pk: int):
    return _page(request, _dispute_or_404(request, pk))


@login_required
@require_POST
def reveal(request, pk: int):
    """The parties' details, the facts, the terms and the session notes, for the mediators and
    the community's head; each reveal is logged with its reason."""
    found = _dispute_or_404(request, pk)
    form = forms.RevealForm(request.POST)
    if not form.is_valid():
        return _page(request, found, reveal_form=form, status=400)
    try:
        shown = privacy.reveal(request.user, found, form.cleaned_data["reason"])
    except PermissionDenied:
        messages.error(
            request, _("Only the dispute's mediators and the community's head see the parties.")
        )
        return redirect("mediation:dispute", pk)
    return _page(request, found, revealed=shown)


@login_required
@require_POST
def agreement_pdf(request, pk: int):
    """The agreement as PDF: names and terms, so it is a reveal (logged)."""
    from mediation.pdf import render_agreement

    found = _dispute_or_404(request, pk)
    if not found.terms:
        messages.error(request, _("Record the agreed terms first."))
        return redirect("mediation:dispute", pk)
    try:
        privacy.reveal(request.user, found, _("mediation agreement PDF"))
    except PermissionDenied:
        raise Http404 from None
    response = HttpResponse(render_agreement(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.number}.pdf"'
    return response


@login_required
def signed_scan(request, pk: int):
    found = _dispute_or_404(request, pk)
    if not found.signed_scan or not privacy.may_see_details(request.user, found):
        raise Http404
    privacy.reveal(request.user, found, _("scanned signed agreement"))
    from django.http import FileResponse

    return FileResponse(found.signed_scan.open("rb"), as_attachment=True)


def _own(rows, pk, field: str):
    """The row of this dispute named by the form (a session or mediator of another dispute
    is refused, whatever the user may see elsewhere)."""
    for row in rows:
        if str(row.pk) == str(pk):
            return row
    raise ValidationError({field: _("Choose one of this dispute's own.")})


def _step(request, found: Dispute, step: str) -> str:
    """Run one step from its form; returns the confirmation. ValidationError on refusal."""
    user, post = request.user, request.POST
    form: Any
    if step == "assign":
        form = forms.AssignForm(post, dispute=found)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        d = form.cleaned_data
        m = actions.assign_mediator(
            found, actor=user, user=d["username"], kind=d["kind"], unit=d["unit"]
        )
        return _("%(name)s now mediates this dispute.") % {"name": m.name}
    if step == "unassign":
        mediator = _own(found.mediators.all(), post.get("mediator"), "mediator")
        actions.remove_mediator(mediator, actor=user)
        return _("The mediator was taken off this dispute.")
    if step == "session":
        form = forms.SessionForm(post, dispute=found)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        d = form.cleaned_data
        actions.book_session(
            found,
            actor=user,
            space=d["space"],
            starts_at=d["starts_at"],
            ends_at=d["ends_at"],
            attendees=d["attendees"],
        )
        return _("Session booked.")
    if step == "cancel_session":
        actions.cancel_session(
            _own(found.sessions.all(), post.get("session"), "session"), actor=user
        )
        return _("Session cancelled; the space is free again.")
    if step == "record_session":
        form = forms.RecordSessionForm(post, parties=found.parties.all())
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        d = form.cleaned_data
        actions.record_session(
            _own(found.sessions.all(), d["session"], "session"),
            actor=user,
            attended=[int(x) for x in d["attended"]],
            notes=d["notes"],
            others_present=d["others_present"],
        )
        return _("Attendance and notes saved.")
    if step == "terms":
        form = forms.TermsForm(post)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        actions.record_agreement(found, actor=user, terms=form.cleaned_data["terms"])
        return _("Terms recorded: print the agreement and record each party's signature.")
    if step == "sign":
        form = forms.SignForm(post)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        actions.record_signature(
            found, actor=user, party=form.cleaned_data["party"], method=form.cleaned_data["method"]
        )
        return _("Signature recorded.")
    if step == "scan":
        form = forms.ScanForm(post, request.FILES)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        actions.attach_signed_scan(found, actor=user, upload=form.cleaned_data["scan"])
        return _("Scanned agreement attached.")
    if step == "refer":
        form = forms.ReferForm(post)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        actions.refer(
            found, actor=user, to=form.cleaned_data["referred_to"], note=form.cleaned_data["note"]
        )
        return _("No agreement: the parties were referred.")
    if step == "follow_up":
        form = forms.FollowUpForm(post)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        d = form.cleaned_data
        actions.record_follow_up(
            found, actor=user, visited_on=d["visited_on"], result=d["result"], note=d["note"]
        )
        return _("Follow-up visit recorded.")
    if step == "withdraw":
        form = forms.WithdrawForm(post)
        if not form.is_valid():
            raise ValidationError(form_errors(form))
        actions.withdraw(found, actor=user, reason=form.cleaned_data["reason"])
        return _("The request was withdrawn.")
    raise Http404


@login_required
@require_POST
@idempotent
def step(request, pk: int, step: str):
    found = _dispute_or_404(request, pk)
    try:
        done = _step(request, found, step)
    except ValidationError as exc:
        messages.error(request, messages_of(exc))
    except (ValueError, TypeError):
        messages.error(request, _("The form was incomplete; try again."))
    else:
        messages.success(request, done)
    return redirect(reverse("mediation:dispute", args=[pk]) + f"#{step}")
