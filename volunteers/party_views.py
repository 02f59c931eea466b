"""Party members and units on the phone: the 双报到 report (亮身份、亮承诺) and its answer from
the community, and the 爱心存折 passbook of 党员积分."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from grids.models import CoBuildingUnit
from grids.scope import scope_for
from portal.idempotency import idempotent
from volunteers import actions
from volunteers.forms import ReportForm, UnitReportForm, put_back
from volunteers.models import PartyReport, ReportStatus
from volunteers.passbook import passbook as read_passbook


def _reports(user, unit, year):
    mine = PartyReport.objects.filter(member=user, year=year).select_related("community").first()
    unit_report = None
    if unit is not None:
        unit_report = (
            PartyReport.objects.filter(unit=unit, year=year).select_related("community").first()
        )
    return mine, unit_report


def _initial(report: PartyReport | None) -> dict | None:
    if report is None:
        return None
    return {
        "work_unit": report.work_unit,
        "party_branch": report.party_branch,
        "promise": report.promise,
        "target_hours": report.target_hours,
    }


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def report(request):
    """双报到: a party member reports to the community they live in; a member of a co-building
    unit may also report for the unit. Each report waits for the community to confirm it;
    the page says where each one stands (and why, when it was not confirmed)."""
    year = timezone.localdate().year
    units = scope_for(request.user).unit_ids
    unit = CoBuildingUnit.objects.filter(pk__in=units).select_related("home_community").first()
    mine, unit_report = _reports(request.user, unit, year)
    community = actions.home_community(request.user)
    as_unit = request.POST.get("as") == "unit"
    posted = request.method == "POST"
    form = ReportForm(request.POST if posted and not as_unit else None, initial=_initial(mine))
    unit_form = UnitReportForm(
        request.POST if posted and as_unit else None,
        initial=_initial(unit_report),
        prefix="unit",  # both forms on one page: their fields need their own ids
    )
    bound = unit_form if as_unit else form
    if posted and as_unit and unit is None:
        messages.error(request, _("You do not belong to a co-building unit."))
    elif posted and bound.is_valid():
        d = bound.cleaned_data
        intake = actions.ReportIntake(
            promise=d["promise"],
            work_unit=d.get("work_unit", ""),
            party_branch=d.get("party_branch", ""),
            target_hours=d["target_hours"],
        )
        try:
            actions.submit_report(request.user, intake, unit=unit if as_unit else None)
        except ValidationError as exc:
            put_back(bound, exc)
            # A confirmed report shows no form to carry the error: say it as a message.
            shown = unit_report if as_unit else mine
            if shown is not None and shown.status == ReportStatus.CONFIRMED:
                for message in exc.messages:
                    messages.error(request, message)
        else:
            messages.success(
                request,
                _(
                    "Your report is sent to the community. You will see here when they "
                    "confirm it; then you can claim posts."
                ),
            )
            return redirect("volunteers:report")
    status = 400 if posted else 200
    return render(
        request,
        "volunteers/report.html",
        {
            "year": year,
            "community": community,
            "mine": mine,
            "unit": unit,
            "unit_report": unit_report,
            "form": form,
            "unit_form": unit_form,
            "confirmed": ReportStatus.CONFIRMED,
            "refused": ReportStatus.REFUSED,
        },
        status=status,
    )


@login_required
def passbook(request):
    """爱心存折: the member's 党员积分 for one year (?year=), hours against the target, points
    by project and every movement with its running balance."""
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    if not (2000 <= year <= today.year + 1):
        year = today.year
    book = read_passbook(request.user, year)
    volunteer = getattr(request.user, "volunteer", None)
    return render(
        request,
        "volunteers/passbook.html",
        {"book": book, "volunteer": volunteer, "confirmed": ReportStatus.CONFIRMED},
    )
