"""What a dashboard request is about: the viewer's area (or department), checked against the
scope, and the month. Anything outside the scope is 404, never 403 (grids.scope)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from grids.models import Area, Department
from grids.scope import Scope, scope_for
from services.calendar import TZ
from services.figures import Target

# The kinds the drill-down walks through; estates and buildings are too small for figures.
DRILL_KINDS = ("city", "district", "street", "community", "grid")


@dataclass(frozen=True)
class View:
    scope: Scope
    target: Target
    month: date  # first day
    start: datetime
    end: datetime
    trend_start: datetime

    @property
    def area(self):
        return self.target.area

    @property
    def department(self):
        return self.target.department


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=TZ)
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=TZ)


def parse_month(value: str | None) -> date:
    """A month given as YYYY-MM (this month when absent or unreadable; never a future one)."""
    today = timezone.localdate()
    this = today.replace(day=1)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", (value or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        return this
    month = date(int(m.group(1)), int(m.group(2)), 1)
    return min(month, this)


def month_choices(shown: date, back: int = 24) -> list[tuple[str, str]]:
    """The months a viewer may choose, newest first, as (YYYY-MM, label in the page's language:
    "2026年12月"): the last `back` months and the shown one. A <select>, not <input
    type=month>: the browser draws that in its own language, English on most intranet PCs."""
    this = timezone.localdate().replace(day=1)
    months = []
    y, m = this.year, this.month
    for _i in range(back):
        months.append(date(y, m, 1))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    if shown not in months:
        months.append(shown)
    return [
        (d.strftime("%Y-%m"), formats.date_format(d, "YEAR_MONTH_FORMAT"))
        for d in sorted(months, reverse=True)
    ]


def resolve(request, area_param: str | None = None, month_param: str | None = None) -> View:
    """The viewer's dashboard target: `?area=<id>` inside their scope (else 404); without it
    their own first territory, the city for a superuser, or a handler's department."""
    user = request.user
    scope = scope_for(user)
    if not scope.is_staff:
        raise Http404(_("The dashboard is for staff."))
    area_param = request.GET.get("area", "") if area_param is None else area_param
    target = None
    if area_param:
        if not str(area_param).isdigit():
            raise Http404
        area = (
            Area.objects.visible_to(user).filter(pk=int(area_param), kind__in=DRILL_KINDS).first()
        )
        if area is None:
            raise Http404
        target = Target(area=area)
    elif scope.is_superuser:
        area = Area.objects.filter(depth=1).order_by("path").first()
        if area is None:
            raise Http404(_("There is no territory yet."))
        target = Target(area=area)
    elif scope.area_paths:
        target = Target(area=Area.objects.get(path=scope.area_paths[0]))
    elif scope.department_ids:
        target = Target(department=Department.objects.get(pk=scope.department_ids[0]))
    if target is None:
        raise Http404(_("The dashboard is for staff."))
    month = parse_month(request.GET.get("month") if month_param is None else month_param)
    return view_of(scope, target, month)


def view_of(scope: Scope, target: Target, month: date) -> View:
    """The view of a target for a month: the month's bounds and the trend's twelve months."""
    start, end = month_bounds(month)
    first = date(month.year - 1 + (month.month == 12), month.month % 12 + 1, 1)
    trend_start, _end = month_bounds(first)
    return View(scope, target, month, start, end, trend_start)


def breadcrumb(view: View) -> list[Area]:
    """The areas from the top of the viewer's scope down to the shown one (one query)."""
    area = view.area
    if area is None:
        return []
    chain = list(area.ancestors_and_self())
    return [a for a in chain if view.scope.covers_path(a.path)]
