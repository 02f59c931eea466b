"""/workforce/: the staff pages of the street's 社区工作办 and the community's head — the worker
list, a worker's page with history, promotion proposals, the staffing report and the workload
sheet (each with its Excel download), and the Excel import. Office roles only; everything is
read through the area scope (out of scope is 404) and pay and assessments through
workforce.privacy."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.scope import resolve
from grids.models import Area, GridTeamMember, Role, TeamRole
from grids.models.roles import CATALOGUE_EDITORS, OFFICE_ROLES
from grids.scope import scope_for
from portal.excel import xlsx_download
from workforce import actions, excel, figures
from workforce.ladder import ladder_for, pay_rates_on
from workforce.models import (
    Assessment,
    AssessmentResult,
    ChangeKind,
    ContractKind,
    Education,
    Ladder,
    Position,
    PromotionProposal,
    Qualification,
    Worker,
)
from workforce.privacy import may_decide, pay_scope

SORTS = {
    "name": ("name", "pk"),
    "community": ("community__path", "name"),
    "grade": ("sequence__rank", "-grade", "name"),
    "started": ("started_on", "name"),
}


def _office(request: HttpRequest) -> None:
    if not scope_for(request.user).has_role(*OFFICE_ROLES):
        raise Http404(_("These pages are for community and street staff."))


@login_required
def worker_list(request: HttpRequest) -> HttpResponse:
    _office(request)
    q = request.GET.get("q", "").strip()[:60]
    sort = request.GET.get("sort", "community")
    if sort not in SORTS:
        sort = "community"
    show_left = request.GET.get("left") == "1"
    base = Worker.objects if show_left else Worker.objects.active()
    qs = base.visible_to(request.user).select_related("community", "sequence")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(community__name__icontains=q))
    qs = qs.order_by(*SORTS[sort])
    pay = pay_scope(request.user)
    if request.GET.get("format") == "xlsx":
        header = [*excel.WORKER_COLUMNS]
        return xlsx_download(_("Community workers"), header, excel.workers_rows(qs, pay.covers))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "workforce/workers.html",
        {
            "page": page,
            "q": q,
            "sort": sort,
            "show_left": show_left,
            "sorts": [
                ("community", _("community")),
                ("name", _("name")),
                ("grade", _("grade")),
                ("started", _("started on")),
            ],
        },
    )


def _label(name: str) -> str:
    extra = {
        "year": _("year"),
        "total": _("total score"),
        "result": _("assessment result"),
        "grid": _("grid"),
        "team_role": _("team role"),
    }
    if name in extra:
        return str(extra[name])
    try:
        return str(getattr(Worker._meta.get_field(name), "verbose_name", name))
    except LookupError:  # FieldDoesNotExist: a name from an older history entry
        return name


_VALUE_LABELS = {
    "position": Position,
    "contract_kind": ContractKind,
    "qualification": Qualification,
    "education": Education,
    "result": AssessmentResult,
    "team_role": TeamRole,
}


def _value(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    choices = _VALUE_LABELS.get(name)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


def history_rows(changes, sees_pay: bool) -> list[dict]:
    """A worker's history for the page: field names and coded values in the reader's
    language; an assessment's scores only for those who may see them."""
    rows = []
    for c in changes:
        shown = c.kind != ChangeKind.ASSESSED or sees_pay
        parts = [
            f"{_label(k)}：{_value(k, v[0])} → {_value(k, v[1])}"
            for k, v in (c.changes or {}).items()
            if shown and isinstance(v, list) and len(v) == 2
        ]
        rows.append(
            {
                "at": c.at,
                "kind": c.get_kind_display(),
                "text": "；".join(parts),
                "note": c.note,
                "actor": c.actor,
            }
        )
    return rows


def _office_covers(user, worker: Worker) -> bool:
    scope = scope_for(user)
    return scope.has_role(*OFFICE_ROLES) and scope.covers_area(worker.community)


@login_required
def worker_detail(request: HttpRequest, pk: int) -> HttpResponse:
    worker = get_object_or_404(
        Worker.objects.visible_to(request.user).select_related(
            "community", "sequence__ladder", "user"
        ),
        pk=pk,
    )
    sees_pay = pay_scope(request.user).covers(worker)
    grids = (
        list(
            GridTeamMember.objects.current()
            .filter(user_id=worker.user_id)
            .select_related("grid")
            .order_by("grid__path")
        )
        if worker.user_id
        else []
    )
    context = {
        "worker": worker,
        "history": history_rows(worker.changes.select_related("actor")[:100], sees_pay),
        "grids": grids,
        "sees_pay": sees_pay,
        "may_decide": may_decide(request.user, worker),
        "may_edit": _office_covers(request.user, worker),
        "last_year": timezone.localdate().year - 1,
    }
    if sees_pay:
        rates = pay_rates_on(worker.sequence.ladder, timezone.localdate())
        context["pay"] = rates.get((worker.sequence_id, worker.grade))
        context["assessments"] = Assessment.objects.filter(worker=worker)
        context["proposals"] = PromotionProposal.objects.filter(worker=worker)
    return render(request, "workforce/worker.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def proposals(request: HttpRequest) -> HttpResponse:
    _office(request)
    view = resolve(request, request.POST.get("area") if request.method == "POST" else None)
    area = view.area
    if area is None:
        raise Http404
    year = _year(request.POST.get("year") or request.GET.get("year"))
    here = f"{reverse('workforce:proposals')}?area={area.pk}&year={year}"
    if request.method == "POST":
        try:
            made = actions.propose_promotions(area, year, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(n)s new proposals for %(year)s.") % {"n": len(made), "year": year},
            )
        return redirect(here)
    pay = pay_scope(request.user)
    rows = [
        p
        for p in PromotionProposal.objects.visible_to(request.user)
        .filter(year=year, worker__community__path__startswith=area.path)
        .select_related("worker__community", "sequence", "rule", "decided_by")
        if pay.covers(p.worker)
    ]
    is_street = scope_for(request.user).has_role(Role.STREET_STAFF)
    return render(
        request,
        "workforce/proposals.html",
        {"view": view, "year": year, "rows": rows, "is_street": is_street},
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(
        PromotionProposal.objects.visible_to(request.user).select_related("worker__community"),
        pk=pk,
    )
    if not pay_scope(request.user).covers(proposal.worker):
        raise Http404
    approve = request.POST.get("decision") == "approve"
    try:
        actions.decide_proposal(
            proposal, approve=approve, actor=request.user, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            (
                _("Approved: %(name)s moves to grade %(grade)s.")
                if approve
                else _("Rejected: %(name)s.")
            )
            % {"name": proposal.worker.name, "grade": proposal.to_grade},
        )
    area = request.POST.get("area", "")
    area = area if area.isdigit() else proposal.worker.community_id
    return redirect(f"{reverse('workforce:proposals')}?area={area}&year={proposal.year}")


def _year(value) -> int:
    this = timezone.localdate().year
    try:
        year = int(value)
    except (TypeError, ValueError):
        return this - 1
    return year if 2000 <= year <= this else this - 1


@login_required
def staffing(request: HttpRequest) -> HttpResponse:
    _office(request)
    view = resolve(request)
    if view.area is None:
        raise Http404
    rows = figures.staffing(request.user, view.area)
    if request.GET.get("format") == "xlsx":
        header = [
            _("community"),
            _("households"),
            _("residents"),
            _("workers"),
            _("workers per 10,000 residents"),
            _("norm"),
            _("workers the norm asks for"),
            _("vacancies"),
            _("centre floor area (m²)"),
            _("floor area the norm asks for (m²)"),
        ]
        data = [
            [
                r.community,
                r.households,
                r.residents,
                r.workers,
                r.per_10k,
                r.norm,
                r.required,
                r.vacancies,
                r.floor_area,
                r.floor_required,
            ]
            for r in rows
        ]
        return xlsx_download(_("Staffing report"), header, data)
    return render(
        request,
        "workforce/staffing.html",
        {
            "view": view,
            "rows": rows,
            "totals": figures.staffing_totals(rows),
            "ladder": ladder_for(view.area),
        },
    )


@login_required
def workload(request: HttpRequest) -> HttpResponse:
    _office(request)
    view = resolve(request)
    if view.area is None:
        raise Http404
    workers = list(
        Worker.objects.active(view.start.date())
        .visible_to(request.user)
        .filter(community__path__startswith=view.area.path)
        .select_related("community")
        .order_by("community__path", "name")
    )
    data = figures.workload(workers, view.start, view.end)
    rows = [(w, data[w.pk]) for w in workers]
    labels = [
        _("cases signed for"),
        _("cases resolved"),
        _("resolved in time"),
        _("callbacks"),
        _("rated"),
        _("satisfaction (1–5)"),
        _("patrol reports"),
        _("household visits"),
        _("activities run"),
        _("bookings handled"),
    ]
    if request.GET.get("format") == "xlsx":
        header = [_("name"), _("community"), _("position"), *labels]
        out = [
            [w.name, w.community.name, w.get_position_display()]
            + [f[k] for k in figures.WORKLOAD_FIELDS]
            for w, f in rows
        ]
        return xlsx_download(
            _("Workload %(month)s") % {"month": f"{view.month:%Y-%m}"}, header, out
        )
    return render(
        request,
        "workforce/workload.html",
        {
            "view": view,
            "month": f"{view.month:%Y-%m}",
            "labels": labels,
            "rows": [(w, [f[k] for k in figures.WORKLOAD_FIELDS]) for w, f in rows],
        },
    )


@login_required
@require_POST
def import_workers(request: HttpRequest) -> HttpResponse:
    _office(request)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a workbook (.xlsx) to import."))
        return redirect("workforce:workers")
    if (upload.size or 0) > 5 * 1024 * 1024:
        messages.error(request, _("The workbook is larger than 5 MB."))
        return redirect("workforce:workers")
    result = excel.import_workers(upload.read(), actor=request.user)
    if result.errors:
        messages.error(
            request,
            _("Nothing was imported. Correct these rows and try again: %(errors)s")
            % {"errors": "；".join(result.errors[:30])},
        )
    else:
        messages.success(
            request,
            _("Imported: %(created)s new workers, %(updated)s updated.")
            % {"created": result.created, "updated": result.updated},
        )
    return redirect("workforce:workers")


@login_required
@require_http_methods(["GET", "POST"])
def pay_table(request: HttpRequest) -> HttpResponse:
    """The city's pay table in force (and its history): read by the street office and city
    staff, downloaded as Excel, replaced from a workbook by city staff from a date."""
    scope = scope_for(request.user)
    if not scope.has_role(Role.STREET_STAFF, *CATALOGUE_EDITORS):  # the street office and above
        raise Http404
    # The ladder of the viewer's city (the first territory; a superuser sees the first city's).
    ladders = Ladder.objects.select_related("city").order_by("pk")
    if not scope.is_superuser:
        paths = scope.area_paths
        ladders = ladders.filter(city__path=paths[0][: Area.steplen]) if paths else ladders.none()
    ladder = ladders.first()
    if ladder is None:
        raise Http404(_("This city has no ladder yet."))
    on = timezone.localdate()
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            starts = date.fromisoformat(request.POST.get("effective_from", ""))
        except ValueError:
            starts = None
        if upload is None or starts is None:
            messages.error(request, _("Choose a workbook and the date it takes effect."))
        else:
            errors = excel.import_pay_table(upload.read(), ladder, starts, actor=request.user)
            if errors:
                messages.error(
                    request,
                    _("Nothing was imported. Correct these rows and try again: %(errors)s")
                    % {"errors": "；".join(errors[:30])},
                )
            else:
                messages.success(
                    request,
                    _("The new pay table takes effect on %(date)s.") % {"date": starts.isoformat()},
                )
        return redirect("workforce:pay")
    rows = excel.pay_rows(ladder, on)
    if request.GET.get("format") == "xlsx":
        return xlsx_download(_("Pay table"), list(excel.PAY_COLUMNS), rows)
    return render(
        request,
        "workforce/pay.html",
        {
            "ladder": ladder,
            "rows": rows,
            "tables": ladder.pay_tables.all(),
            "may_edit": scope.has_role(Role.CITY_STAFF) and scope.covers_area(ladder.city),
        },
    )


@login_required
@require_POST
def assess(request: HttpRequest, pk: int) -> HttpResponse:
    """The street's staff office records (or corrects) a worker's yearly assessment."""
    worker = get_object_or_404(
        Worker.objects.visible_to(request.user).select_related("community"), pk=pk
    )
    if not may_decide(request.user, worker):
        raise Http404
    data = request.POST
    try:
        year = int(data.get("year", ""))
    except ValueError:
        year = 0
    try:
        actions.record_assessment(
            worker,
            year,
            report=data.get("report", ""),
            report_score=data.get("report_score") or None,
            residents_score=data.get("residents_score") or None,
            street_score=data.get("street_score") or None,
            party_report=data.get("party_report", ""),
            party_score=data.get("party_score") or None,
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The %(year)s assessment of %(name)s is recorded.")
            % {"year": year, "name": worker.name},
        )
    return redirect("workforce:worker", pk=worker.pk)
