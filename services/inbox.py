"""The staff inbox's list machinery: its filters, its capped paginator and number search."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models import Area
from services.calendar import TZ
from services.choices import OPEN_STATES
from services.models import Category


class CappedPaginator(Paginator):
    """Counts at most CAP rows: a district's inbox may hold hundreds of thousands of cases,
    and an exact COUNT over them costs more than the page itself. Beyond the cap staff
    narrow the list with filters and search."""

    CAP = 1000

    @cached_property
    def count(self) -> int:
        # Without ORDER BY the database stops at any CAP matching rows instead of sorting all.
        return self.object_list.order_by()[: self.CAP].count()  # type: ignore[attr-defined]


class TimerFilter(admin.SimpleListFilter):
    title = gettext_lazy("deadline")
    parameter_name = "timer"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("overdue")),
            ("yellow", _("yellow card")),
            ("red", _("red card")),
            ("today", _("due today")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_q = Q(state__in=OPEN_STATES)
        value = self.value()
        if value == "overdue":
            return queryset.filter(open_q, resolve_due__lt=now)
        if value == "yellow":
            return queryset.filter(open_q, card_level=1)
        if value == "red":
            return queryset.filter(open_q, card_level=2)
        if value == "today":
            today = timezone.localdate()
            start = datetime.combine(today, time.min, tzinfo=TZ)
            return queryset.filter(
                open_q, resolve_due__gte=start, resolve_due__lt=start + timedelta(days=1)
            )
        return queryset


class SelectFilter(admin.SimpleListFilter):
    """A filter with many choices (a district's grids, the category tree) as one drop-down.

    The admin's own filter renders a link per choice, each with its own query string: hundreds
    of them on every inbox page. A drop-down needs the other parameters once."""

    template = "admin/services/select_filter.html"

    def choices(self, changelist):
        """One entry for the template: the other parameters (filters, search, ordering ride
        along; the page starts over) and the options, written in one pass: up to 300 grids on
        every inbox page, where a template loop cost more than the rest of the filters."""
        current = self.value()
        selected = {True: " selected", False: ""}
        options = "".join(
            f'<option value="{escape(value)}"{selected[str(value) == current]}>{escape(label)}'
            "</option>"
            for value, label in self.lookup_choices
        )
        yield {
            "hidden_params": [
                (name, value)
                for name, value in changelist.params.items()
                if name not in (self.parameter_name, "p", "e")
            ],
            "options": mark_safe(options),  # values and labels escaped above
        }


class GridFilter(SelectFilter):
    title = gettext_lazy("grid")
    parameter_name = "grid"

    def lookups(self, request, model_admin):
        grids = Area.objects.visible_to(request.user).filter(kind="grid").order_by("path")
        return list(grids.values_list("pk", "name")[:300])

    def queryset(self, request, queryset):
        if self.value():
            grid = Area.objects.visible_to(request.user).filter(pk=self.value()).first()
            if grid is None:
                return queryset.none()
            return queryset.filter(place_path__startswith=grid.path)
        return queryset


class CategoryFilter(SelectFilter):
    title = gettext_lazy("category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(c.pk, str(c)) for c in Category.objects.select_related("parent")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                Q(category_id=self.value()) | Q(category__parent_id=self.value())
            )
        return queryset


_CASE_NUMBER = re.compile(r"\d{13,16}")  # YYYYMMDD + a serial of 5 or more digits


def as_case_number(term: str) -> str | None:
    """The search term when it is a case number, else None.

    A number is searched through its unique index alone: the admin's and DRF's "=number"
    compare case-insensitively (UPPER(number) = UPPER(term)), which no index serves, and the
    description arm beside it reads every case in scope (0.8 s for a district at 1M cases)."""
    term = (term or "").strip()
    return term if _CASE_NUMBER.fullmatch(term) else None
