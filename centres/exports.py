"""Staff downloads and pages: attendees of an activity as Excel, and the figures page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from centres import figures as fig
from centres.models import Activity, Centre, SignUp
from grids.models import Area
from grids.privacy import shown_phone
from grids.scope import scope_for
from portal.excel import xlsx_bytes, xlsx_response


def attendees_xlsx(request, pk: int) -> HttpResponse:
    """The ledger staff keep of who signed up and who came. Phones masked unless the staff
    member's area covers the resident (grids.privacy)."""
    activity = (
        Activity.objects.visible_to(request.user).filter(pk=pk).select_related("centre").first()
    )
    if activity is None or not scope_for(request.user).is_staff:
        raise Http404
    signups = (
        SignUp.objects.filter(activity=activity)
        .select_related("user", "resident__household__building", "signed_up_by")
        .order_by("status", "created_at")
    )
    header = [
        _("Name"),
        _("Phone"),
        _("Status"),
        _("Priority group"),
        _("Signed up at"),
        _("Signed up by"),
        _("Checked in at"),
    ]
    rows = (
        [
            s.name,
            shown_phone(
                request.user,
                (s.resident.phone if s.resident else "") or (s.user.phone if s.user else ""),
                s.resident.household.building if s.resident else None,
            ),
            s.get_status_display(),
            _("yes") if s.is_priority else "",
            s.created_at,
            str(s.signed_up_by) if s.signed_up_by else "",
            s.checked_in_at,
        ]
        for s in signups
    )
    # The sheet is named by the day and the activity.
    start = timezone.localtime(activity.starts_at)
    title = f"{start:%m-%d} {activity.title}"
    return xlsx_response(f"attendees-{activity.pk}", xlsx_bytes([(title, header, rows)]))


def parse_period(params) -> tuple[datetime, datetime, dict]:
    """start/end dates from a query (default: this month so far, end exclusive next day).
    Bad dates fall back to the default and are reported in `errors`."""
    today = timezone.localdate()
    errors = {}

    def day(name, default):
        raw = params.get(name)
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = [_("Enter a date as YYYY-MM-DD.")]
            return default

    first = day("start", today.replace(day=1))
    last = day("end", today)
    if last < first:
        errors["end"] = [_("The end must be after the start.")]
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    return start, end, errors


def figures_view(admin_site, request):
    if not scope_for(request.user).is_staff:
        raise Http404
    start, end, errors = parse_period(request.GET)
    # ?within=<area>: the centres under one area of the viewer's scope (the dashboard's centre
    # panel links here); an area outside the scope is 404, as everywhere.
    within = None
    centre_ids = None
    raw = request.GET.get("within", "")
    if raw:
        if not raw.isdigit():
            raise Http404
        within = Area.objects.visible_to(request.user).filter(pk=int(raw)).first()
        if within is None:
            raise Http404
        centre_ids = list(
            Centre.objects.visible_to(request.user)
            .filter(community__path__startswith=within.path)
            .values_list("pk", flat=True)
        )
    if errors or centre_ids == []:
        rows = []
    else:
        rows = fig.figures(request.user, start, end, centre_ids=centre_ids)
    units = [] if errors else fig.unit_evaluation(request.user, start, end, area=within)
    context = {
        **admin_site.each_context(request),
        "title": _("Centre figures"),
        "within": within,
        "rows": rows,
        "totals": fig.totals(rows),
        "units": units,
        "start": timezone.localtime(start).date(),
        "end": (timezone.localtime(end) - timedelta(days=1)).date(),
        "errors": errors,
    }
    return TemplateResponse(request, "admin/centres/figures.html", context)
