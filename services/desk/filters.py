"""The desk's one vocabulary of case filters: the work queues and deadline bands (each defined
once, here, and read both by the home page's counts and by the list's filters), and the
list's filter form (django-filter) with its sort orders.

A rule is a `Q` over `services_case` for one viewer at one moment. Counting a tile and listing
it run the same `Q` on the same scoped queryset (`Case.objects.visible_to(user)`), so a tile's
number is the length of the list it opens.

Who may do what mirrors the case engine (services.actions.core): "dispatcher" is
`_is_dispatcher` (territorial staff above grid level whose area covers the place), "their
unit" is who `routing.unit_user_ids` tells of a case (the assignee, the handling department's
handlers, the staff of the handling area). tests/services/test_desk_list.py holds the Q forms
to the engine's answers case by case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.models.roles import Role
from grids.scope import NOTHING, Scope, scope_for
from services.calendar import TZ
from services.choices import (
    NOT_CLOSED_STATES,
    OPEN_STATES,
    CaseType,
    Channel,
    ExtensionStatus,
    Level,
    State,
)
from services.desk import options
from services.models import Case, ExtensionRequest
from services.search import as_case_number, search_q

# What the desk counts: work still to do (not closed), and resolved cases awaiting their
# callback. The counts read only these rows (a partial index holds them: services_case_desk).
ACTIVE_STATES = (*NOT_CLOSED_STATES, State.RESOLVED)


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and when: the rules' only inputs."""

    user_id: int | None
    scope: Scope
    now: datetime

    @classmethod
    def of(cls, user, now: datetime | None = None) -> Viewer:
        return cls(getattr(user, "pk", None), scope_for(user), now or timezone.now())

    @property
    def day(self) -> tuple[datetime, datetime]:
        """Today in local time, as [start, end)."""
        start = datetime.combine(timezone.localtime(self.now, TZ).date(), time.min, tzinfo=TZ)
        return start, start + timedelta(days=1)


def dispatcher_q(scope: Scope) -> Q:
    """Cases this scope dispatches, reviews returns of, decides extensions and calls back on:
    the Q form of services.actions.core._is_dispatcher."""
    if scope.is_superuser:
        return Q()
    q = NOTHING
    for role, paths in scope.paths_by_role.items():
        if role != Role.GRID_WORKER:
            for path in paths:
                q |= Q(place_path__startswith=path)
    return q


def unit_q(viewer: Viewer) -> Q:
    """Cases whose current handling unit is the viewer's: the assignee, the handling
    department's handlers, or staff of the handling area (grid, community, street, city:
    an area's kind is its level, so the area alone names the unit)."""
    scope = viewer.scope
    if scope.is_superuser:
        return Q()
    q = Q(assignee_id=viewer.user_id) if viewer.user_id else NOTHING
    if scope.department_ids:
        q |= Q(handling_department_id__in=scope.department_ids)
    if scope.area_ids:
        q |= Q(handling_area_id__in=scope.area_ids)
    return q


def _dispatches(scope: Scope) -> bool:
    return scope.is_superuser or any(r != Role.GRID_WORKER for r in scope.paths_by_role)


def _has_unit(scope: Scope) -> bool:
    # District staff sit above every handling level: nothing is ever dispatched to them.
    units = {Role.CITY_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER}
    return scope.is_superuser or bool(scope.department_ids) or bool(units & scope.roles)


def _always(scope: Scope) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    """One tile of the desk and the list filter it opens."""

    key: str
    label: Promise
    hint: Promise  # what the tile counts, in a sentence
    states: tuple[str, ...]
    extra: Callable[[Viewer], Q] | None = None
    shown: Callable[[Scope], bool] = _always
    urgent: bool = False  # drawn as a warning when not zero

    def q(self, viewer: Viewer) -> Q:
        states = self.states
        if len(states) == 1:
            q = Q(state=states[0])
            return q & self.extra(viewer) if self.extra is not None else q
        # The counts test every rule on every active case of the scope: the cheaper and more
        # selective test first (one state; else the rule's card, deadline or channel test,
        # which turns most rows away before the list of states is read).
        q = Q(state__in=states)
        return self.extra(viewer) & q if self.extra is not None else q


def _pending_extension(viewer: Viewer) -> Q:
    pending = ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING).values("case_id")
    return Q(pk__any_of=pending) & dispatcher_q(viewer.scope)


RULES: dict[str, Rule] = {
    rule.key: rule
    for rule in (
        Rule(
            "dispatch",
            gettext_lazy("To dispatch"),
            gettext_lazy("New cases waiting to be sent to a handling unit."),
            (State.SUBMITTED,),
            lambda v: dispatcher_q(v.scope),
            _dispatches,
        ),
        Rule(
            "sign",
            gettext_lazy("To sign for"),
            gettext_lazy("Cases dispatched to your unit, not yet signed for."),
            (State.DISPATCHED,),
            unit_q,
            _has_unit,
        ),
        Rule(
            "today",
            gettext_lazy("Due today"),
            gettext_lazy("Open cases whose resolve deadline comes later today."),
            OPEN_STATES,
            # Not yet past: an overdue case is red, not "due today".
            lambda v: Q(resolve_due__gte=v.now, resolve_due__lt=v.day[1]),
        ),
        Rule(
            "yellow",
            gettext_lazy("Yellow card"),
            gettext_lazy("Open cases past four fifths of a deadline."),
            OPEN_STATES,
            lambda v: Q(card_level=1),
            urgent=True,
        ),
        Rule(
            "red",
            gettext_lazy("Red card or overdue"),
            gettext_lazy("Open cases with a red card or past their resolve deadline."),
            OPEN_STATES,
            lambda v: Q(card_level=2) | Q(resolve_due__lt=v.now),
            urgent=True,
        ),
        Rule(
            "overdue",
            gettext_lazy("Overdue"),
            gettext_lazy("Open cases past their resolve deadline."),
            OPEN_STATES,
            lambda v: Q(resolve_due__lt=v.now),
            urgent=True,
        ),
        Rule(
            "returned",
            gettext_lazy("Returned, to review"),
            gettext_lazy("Cases a unit sent back, waiting for your review."),
            (State.RETURNED,),
            lambda v: dispatcher_q(v.scope),
            _dispatches,
        ),
        Rule(
            "extensions",
            gettext_lazy("Extension requests"),
            gettext_lazy("Pending requests for more time, for you to decide."),
            OPEN_STATES,
            _pending_extension,
            _dispatches,
        ),
        Rule(
            "callbacks",
            gettext_lazy("Callbacks due"),
            gettext_lazy("Resolved cases waiting for the callback to the resident."),
            (State.RESOLVED,),
            lambda v: dispatcher_q(v.scope),
            _dispatches,
        ),
        Rule(
            "city",
            gettext_lazy("City 12345 platform"),
            gettext_lazy("Unfinished cases from the 12345 hotline or with the city platform."),
            NOT_CLOSED_STATES,
            lambda v: Q(channel=Channel.HOTLINE) | Q(level=Level.CITY),
        ),
    )
}
# The home page's tiles, in the order of a working day; the deadline bands of the list.
TILES = (
    "dispatch",
    "sign",
    "today",
    "yellow",
    "red",
    "returned",
    "extensions",
    "callbacks",
    "city",
)
QUEUES = ("dispatch", "sign", "returned", "extensions", "callbacks", "city")
BANDS = ("overdue", "today", "yellow", "red")
assert set(RULES) == set(TILES) | set(BANDS) and set(QUEUES) <= set(TILES)


def rule_param(key: str) -> str:
    """The list parameter a rule is chosen by: a deadline band or a work queue."""
    return "band" if key in BANDS else "queue"


# --- sort orders -----------------------------------------------------------------------------
# Only orders an index serves: the number (cases are numbered as they come in; its unique
# index read backwards is "newest first"), the place (services_case_list) and the resolve
# deadline (services_case_open_place, for open cases). Each ends with a unique column, so a
# page boundary never splits ties differently between two requests. One direction per order:
# the list may sort a small result in Python (services.desk.cases.CaseRows) by the same
# fields, where NULLs go last ascending and first descending, as in PostgreSQL.
@dataclass(frozen=True)
class Sort:
    label: Promise
    fields: tuple[str, ...]
    descending: bool

    @property
    def ordering(self) -> tuple[str, ...]:
        return tuple(f"-{f}" if self.descending else f for f in self.fields)

    def key(self, values: tuple) -> tuple:
        """The Python sort key of a row holding `fields` in order (with reverse=descending)."""
        return tuple((v is None, v) for v in values)


SORTS: dict[str, Sort] = {
    "-number": Sort(gettext_lazy("Newest first"), ("number",), True),
    "number": Sort(gettext_lazy("Oldest first"), ("number",), False),
    "deadline": Sort(gettext_lazy("Deadline, nearest first"), ("resolve_due", "number"), False),
    "-deadline": Sort(gettext_lazy("Deadline, latest first"), ("resolve_due", "number"), True),
    "place": Sort(gettext_lazy("Place"), ("place_path", "created_at", "number"), False),
    "-place": Sort(gettext_lazy("Place, reversed"), ("place_path", "created_at", "number"), True),
}
DEFAULT_SORT = "-number"
PAGE_SIZES = (25, 50, 100, 200)


def _date_bound(day: date, end: bool) -> datetime:
    start = datetime.combine(day, time.min, tzinfo=TZ)
    return start + timedelta(days=1) if end else start


class CaseFilter(django_filters.FilterSet):
    """The list's filters. A value that does not fit (an unknown state, a grid outside the
    scope, a date that is not one) is left out and named in `problems`: the list still shows."""

    q = django_filters.CharFilter(
        label=gettext_lazy("Search"), method="filter_search", max_length=100
    )
    queue = django_filters.ChoiceFilter(
        label=gettext_lazy("Work"),
        choices=[(k, RULES[k].label) for k in QUEUES],
        method="filter_rule",
        empty_label=gettext_lazy("All"),
    )
    band = django_filters.ChoiceFilter(
        label=gettext_lazy("Deadline"),
        choices=[(k, RULES[k].label) for k in BANDS],
        method="filter_rule",
        empty_label=gettext_lazy("All"),
    )
    state = django_filters.ChoiceFilter(
        label=gettext_lazy("State"), choices=State.choices, empty_label=gettext_lazy("All")
    )
    case_type = django_filters.ChoiceFilter(
        label=gettext_lazy("Type"), choices=CaseType.choices, empty_label=gettext_lazy("All")
    )
    category = django_filters.ChoiceFilter(
        label=gettext_lazy("Category"), method="filter_category", empty_label=gettext_lazy("All")
    )
    channel = django_filters.ChoiceFilter(
        label=gettext_lazy("Channel"), choices=Channel.choices, empty_label=gettext_lazy("All")
    )
    level = django_filters.ChoiceFilter(
        label=gettext_lazy("Level"), choices=Level.choices, empty_label=gettext_lazy("All")
    )
    area = django_filters.CharFilter(label=gettext_lazy("Street or community"), method="noop")
    grid = django_filters.CharFilter(label=gettext_lazy("Grid"), method="noop")
    unit = django_filters.CharFilter(label=gettext_lazy("Handling unit"), method="noop")
    created_from = django_filters.DateFilter(
        label=gettext_lazy("Submitted from"),
        method="filter_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_to = django_filters.DateFilter(
        label=gettext_lazy("Submitted until"),
        method="filter_to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sort = django_filters.ChoiceFilter(
        label=gettext_lazy("Sort"),
        choices=[(k, sort.label) for k, sort in SORTS.items()],
        method="noop",
        empty_label=None,
    )
    per = django_filters.TypedChoiceFilter(
        label=gettext_lazy("Per page"),
        choices=[(str(n), str(n)) for n in PAGE_SIZES],
        coerce=int,
        method="noop",
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, data, queryset: QuerySet, *, viewer: Viewer, choices: options.Choices):
        super().__init__(data, queryset=queryset)
        self.viewer = viewer
        self.choices = choices
        self.filters["category"].extra["choices"] = choices.categories
        self.problems: list[str] = []

    # --- the filters ------------------------------------------------------------------------
    def noop(self, queryset, name, value):
        return queryset  # applied in filter_queryset, which sees the whole form

    def filter_rule(self, queryset, name, value):
        return queryset.filter(RULES[value].q(self.viewer))

    def filter_search(self, queryset, name, value):
        q, problem = search_q(value)
        if problem:
            self.problems.append(problem)
        return queryset.filter(q) if q is not None else queryset

    def filter_category(self, queryset, name, value):
        return queryset.filter(category_id__in=self.choices.category_subtree(int(value)))

    def filter_from(self, queryset, name, value):
        return queryset.filter(created_at__gte=_date_bound(value, end=False))

    def filter_to(self, queryset, name, value):
        return queryset.filter(created_at__lt=_date_bound(value, end=True))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.problems.append(_("The start date is after the end date: nothing can match."))
        for name, resolve in (
            ("area", self.choices.area_path),
            ("grid", self.choices.grid_path),
        ):
            value = (data.get(name) or "").strip()
            if value:
                path = resolve(value)
                if path is None:
                    self.problems.append(
                        _("%(field)s: no such place in your area; left out.")
                        % {"field": self.filters[name].label}
                    )
                else:
                    queryset = queryset.filter(place_path__startswith=path)
        unit = (data.get("unit") or "").strip()
        if unit:
            q = self.choices.unit_q(unit)
            if q is None:
                self.problems.append(_("Handling unit: no such unit; left out."))
            else:
                queryset = queryset.filter(q)
        return queryset

    # --- what the view reads ----------------------------------------------------------------
    @property
    def cleaned(self) -> dict:
        self.errors  # noqa: B018 - validates the form (bad values drop out of cleaned_data)
        return self.form.cleaned_data

    def sort_key(self) -> str:
        return self.cleaned.get("sort") or DEFAULT_SORT

    def sort_order(self) -> Sort:
        return SORTS[self.sort_key()]

    def searching_words(self) -> bool:
        """Is the search box holding words (not a case number)?"""
        text = (self.cleaned.get("q") or "").strip()
        return bool(text) and as_case_number(text) is None

    def per_page(self) -> int:
        return self.cleaned.get("per") or PAGE_SIZES[0]

    def error_messages(self) -> list[str]:
        """Each refused value, named in a sentence (the list shows without it)."""
        out = []
        for name, errors in self.errors.items():
            label = self.filters[name].label if name in self.filters else name
            out.append(
                _("%(field)s: %(error)s Left out.") % {"field": label, "error": " ".join(errors)}
            )
        return out + self.problems

    def active(self) -> bool:
        """Does anything narrow the list (a filter or a search, not only sort or page size)?"""
        return any(v not in (None, "") for k, v in self.cleaned.items() if k not in ("sort", "per"))
