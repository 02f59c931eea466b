"""/dashboard/reports/: ask for the monthly report of the shown area, watch it being built,
download it. Reports are the requester's own; the area must be in their scope (404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dashboard import actions
from dashboard.models import Report, ReportStatus
from dashboard.scope import month_choices, resolve


def _mine(request, pk: int) -> Report:
    return get_object_or_404(
        Report.objects.visible_to(request.user).select_related("area"),
        pk=pk,
        requested_by=request.user,
    )


@login_required
@require_http_methods(["GET", "POST"])
def reports(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    view = resolve(request, data.get("area", ""), data.get("month", ""))
    if view.area is None:
        raise Http404(_("Reports are made for an area."))
    here = f"{reverse('dashboard:reports')}?area={view.area.pk}&month={view.month:%Y-%m}"
    if request.method == "POST":
        try:
            report = actions.request_report(view.area, view.month, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _(
                    "The report of %(area)s for %(month)s is being built; it appears below when ready."
                )
                % {"area": view.area.name, "month": f"{report.month:%Y-%m}"},
            )
        return redirect(here)
    mine = Report.objects.visible_to(request.user).filter(
        requested_by=request.user, area=view.area
    )[:24]
    return render(
        request,
        "dashboard/reports.html",
        {
            "view": view,
            "reports": mine,
            "month": f"{view.month:%Y-%m}",
            "months": month_choices(view.month),
            "done": ReportStatus.DONE,
        },
    )


@login_required
@require_GET
def status(request: HttpRequest, pk: int) -> JsonResponse:
    report = _mine(request, pk)
    return JsonResponse(
        {
            "status": report.status,
            "label": report.get_status_display(),
            "progress": report.progress,
            "download": reverse("dashboard:report-download", args=[report.pk])
            if report.status == ReportStatus.DONE
            else None,
            "pdf": reverse("dashboard:report-download", args=[report.pk]) + "?format=pdf"
            if report.status == ReportStatus.DONE and report.pdf
            else None,
        }
    )


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> FileResponse:
    """The workbook, or the PDF with ?format=pdf."""
    report = _mine(request, pk)
    pdf = request.GET.get("format") == "pdf"
    stored = report.pdf if pdf else report.file
    if report.status != ReportStatus.DONE or not stored:
        raise Http404(_("The report is not ready."))
    response = FileResponse(
        stored.open("rb"),
        content_type="application/pdf"
        if pdf
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True,
        filename=f"{report.area.name}-{report.month:%Y-%m}-月报.{'pdf' if pdf else 'xlsx'}",
    )
    return response
