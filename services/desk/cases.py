"""The desk's case list (/desk/cases/): filters, word search, sort, pages, bulk dispatch and
the Excel export of whatever the filters select.

Every read is `Case.objects.visible_to(user)` narrowed by services.desk.filters; every write
is services.actions.dispatch. A page costs a fixed number of queries whatever its size or
filters (pinned in tests/services/test_desk_list.py): the user, the scope's own-cases test,
the capped count, the page's rows, and the drop-downs the page draws (each one query)."""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.excel import xlsx_bytes, xlsx_response
from portal.idempotency import idempotent
from services import actions
from services.choices import Action, CaseType, Channel, Level, State
from services.desk import options
from services.desk.filters import (
    BANDS,
    PAGE_SIZES,
    QUEUES,
    RULES,
    SORTS,
    CaseFilter,
    Sort,
    Viewer,
)
from services.models import Case

LIST_CAP = 1000  # cases a list counts before it says "1,000 or more"
SEARCH_CAP = 200  # the same for a word search
EXPORT_CAP = 20_000  # rows in one Excel file: about two seconds to write here
BULK_CAP = 200  # cases one bulk dispatch takes (a page of the largest size)
# What a row shows, read without the other 40 columns of the case.
ROW_FIELDS = (
    "id",
    "number",
    "state",
    "case_type",
    "channel",
    "category_id",
    "description",
    "place__name",
    "handling_area__name",
    "handling_department__name",
    "level",
    "card_level",
    "resolve_due",
    "created_at",
)


class CaseRows:
    """The list's rows for a paginator, in as few passes over the scope as the filters allow.

    First a probe: the ids and sort keys of up to `cap` + 1 matching cases, in any order (the
    database stops as soon as it has them; the index services_case_list holds every column a
    filter or sort reads, so a district's 83,000 cases are at most one pass over an index).
    When fewer match, the probe has them all: their number is the count, Python sorts them
    by the same fields, and a page is its ids. Only a longer list is paged by the database
    (ORDER BY … LIMIT, which an index answers quickly when matches are many).

    A page's rows are then read by id with the names they show: joining before sorting would
    join every match (11,000 for a common word in a district)."""

    def __init__(self, qs: QuerySet, sort: Sort, cap: int, flags: dict[str, Q]) -> None:
        self.qs = qs.order_by()
        self.sort = sort
        self.cap = cap
        # Each row says whether these rules hold for it (the red and yellow badges): the rule
        # itself answers, in SQL, not a copy of it in Python.
        self.flags = {
            name: ExpressionWrapper(q, output_field=BooleanField()) for name, q in flags.items()
        }

    @cached_property
    def _probe(self) -> list[int] | None:
        """Every matching id in order, or None when more than `cap` match."""
        keys = list(self.qs.values_list("pk", *self.sort.fields)[: self.cap + 1])
        if len(keys) > self.cap:
            return None
        keys.sort(key=lambda row: self.sort.key(row[1:]), reverse=self.sort.descending)
        return [row[0] for row in keys]

    def count(self) -> int:
        ids = self._probe
        return self.cap if ids is None else len(ids)

    @property
    def capped(self) -> bool:
        """More match than the probe read (exactly `cap` matching is still an exact count)."""
        return self._probe is None

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, bounds: slice) -> list[dict]:
        ids = self._probe
        if ids is not None:
            rows = Case.objects.filter(pk__in=ids[bounds] or [0])
        else:
            page = self.qs.order_by(*self.sort.ordering).values("pk")[bounds]
            rows = Case.objects.filter(pk__any_of=page)
        rows = rows.annotate(**self.flags).order_by(*self.sort.ordering)
        return list(rows.values(*ROW_FIELDS, *self.flags))


class CappedPaginator(Paginator):
    """A paginator over CaseRows: counts at most its cap. A district's list may hold 80,000
    cases; beyond the cap the page says "1,000 or more" and staff narrow the list with filters
    and search (or export it)."""

    @cached_property
    def count(self) -> int:
        return self.rows.count()

    @property
    def rows(self) -> CaseRows:
        return cast(CaseRows, self.object_list)

    @property
    def capped(self) -> bool:
        return self.rows.capped


def desk_viewer(request: HttpRequest) -> Viewer:
    """The viewer, for staff (any staff role, or a superuser); anyone else finds no desk."""
    viewer = Viewer.of(request.user)
    if not viewer.scope.is_staff:
        raise Http404(_("The desk is for staff."))
    return viewer


def _filtered(request: HttpRequest, viewer: Viewer) -> tuple[CaseFilter, options.Choices]:
    choices = options.Choices(
        request.user, viewer.scope, chosen_area=request.GET.get("area", "").strip()
    )
    visible = Case.objects.visible_to(request.user)
    return CaseFilter(request.GET, visible, viewer=viewer, choices=choices), choices


def _query(params, **changes) -> str:
    """The list's query string with some parameters changed (None drops one)."""
    data = {k: v for k, v in params.items() if v not in ("", None)}
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return urlencode(data)


FLAGS = ("red", "yellow", "overdue")  # rules each row is marked by (services.desk.filters)

# One row of the table, written directly: through the template language a row cost 0.2 ms
# (about 40 ms for a page of 200 on this VM); this is a tenth of that. Every value is escaped.
_ROW = (
    '<tr><td class="desk-cell-check">{check}</td>'
    '<td><a href="{url}">{number}</a></td>'
    '<td><span class="state state-{state_code}">{state}</span></td>'
    "<td>{type}</td>"
    '<td><strong>{category}</strong><br><span class="desk-desc">{description}</span></td>'
    "<td>{place}</td><td>{unit}</td>"
    '<td class="nowrap">{due}{badge}{overdue}</td>'
    '<td class="nowrap">{created}</td></tr>'
)
_CHECK = (
    '<label class="desk-check"><input type="checkbox" name="case" value="{pk}">'
    '<span class="visually-hidden">{label}</span></label>'
)


def _rows(page: Page, categories: dict[int, str]) -> tuple[SafeString, bool]:
    """The page's rows as HTML, and whether any can be dispatched. Labels, times and the
    rules' badges are worked out once per page or come from the query."""
    states, types = dict(State.choices), dict(CaseType.choices)
    dispatchable = actions.TRANSITIONS[Action.DISPATCH][0]
    url = reverse("desk:case", args=["0000000000000"])
    badges = {
        "red": format_html(' <span class="badge red">{}</span>', _("red")),
        "yellow": format_html(' <span class="badge yellow">{}</span>', _("yellow")),
    }
    overdue = format_html(' <span class="desk-overdue">{}</span>', _("overdue"))
    tick = _("Tick case %(n)s")
    out, any_dispatchable = [], False
    for case in page.object_list:
        due, number, state = case["resolve_due"], case["number"], case["state"]
        description = case["description"]
        check = ""
        if state in dispatchable:
            any_dispatchable = True
            check = _CHECK.format(pk=case["id"], label=escape(tick % {"n": number}))
        flag = "red" if case["red"] else "yellow" if case["yellow"] else ""
        out.append(
            _ROW.format(
                check=check,
                url=escape(url.replace("0000000000000", number)),
                number=escape(number),
                state_code=escape(state),
                state=escape(states.get(state, state)),
                type=escape(types.get(case["case_type"], case["case_type"])),
                category=escape(categories.get(case["category_id"], "")),
                description=escape(description[:40] + ("…" if len(description) > 40 else "")),
                place=escape(case["place__name"] or ""),
                unit=escape(
                    case["handling_department__name"] or case["handling_area__name"] or "—"
                ),
                due=timezone.localtime(due).strftime("%m-%d %H:%M") if due else "—",
                badge=badges[flag] if flag else "",
                overdue=overdue if case["overdue"] else "",
                created=timezone.localtime(case["created_at"]).strftime("%Y-%m-%d %H:%M"),
            )
        )
    return mark_safe("".join(out)), any_dispatchable  # noqa: S308 - every value escaped above


def _selects(f: CaseFilter, choices: options.Choices) -> list[dict]:
    """The filter drop-downs as the template writes them: each one's options as one escaped
    HTML string with the chosen one marked. A district's place and unit lists run to a few
    hundred options, which cost 40 ms a page through the template language here."""
    data = f.form.data
    selected = {True: " selected", False: ""}

    def field(name, options_, empty=None, help_="", disabled=False):
        value = str(data.get(name, "") or "")
        if name == "sort":
            value = value or f.sort_key()
        if name == "per":
            value = value or str(f.per_page())
        html = "".join(
            f'<option value="{escape(v)}"{selected[str(v) == value]}>{escape(label)}</option>'
            for v, label in options_
        )
        if empty is not None:
            html = f'<option value="">{escape(empty)}</option>' + html
        return {
            "name": name,
            "label": f.filters[name].label,
            "options": mark_safe(html),  # noqa: S308 - values and labels escaped above
            "help": help_,
            "disabled": disabled,
        }

    every = _("All")
    out = [
        field("queue", [(k, RULES[k].label) for k in QUEUES], every),
        field("band", [(k, RULES[k].label) for k in BANDS], every),
        field("state", State.choices, every),
        field("case_type", CaseType.choices, every),
        field("category", choices.categories, every),
        field("channel", Channel.choices, every),
        field("level", Level.choices, every),
    ]
    if choices.places:
        out.append(
            field(
                "area",
                [
                    (a.pk, "\u3000" * max(0, a.depth - choices.places[0].depth) + a.name)
                    for a in choices.places
                ],
                every,
            )
        )
    if choices.grid_root != "":
        out.append(field("grid", [(g.pk, g.name) for g in choices.grids], every))
    elif choices.scope.is_territorial:
        out.append(
            field(
                "grid",
                [],
                every,
                help_=_("Choose a street or community and press Filter to list its grids."),
                disabled=True,
            )
        )
    out.append(field("unit", choices.units, every))
    out.append(field("sort", [(k, sort.label) for k, sort in SORTS.items()]))
    out.append(field("per", [(n, n) for n in PAGE_SIZES]))
    return out


SORTABLE = {"number": "-number", "place": "place", "deadline": "deadline"}


def _sort_links(params, current: str) -> dict[str, dict]:
    """Per sortable column: the link that sorts by it (again: the other way) and the arrow."""
    out = {}
    for column, first in SORTABLE.items():
        base = first.lstrip("-")
        on = current.lstrip("-") == base
        target = (base if current.startswith("-") else f"-{base}") if on else first
        arrow = ("▼" if current.startswith("-") else "▲") if on else ""
        out[column] = {"url": "?" + _query(params, sort=target, page=None), "arrow": arrow}
    return out


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """The list, as the filters in the query string select it."""
    viewer = desk_viewer(request)
    f, choices = _filtered(request, viewer)
    # A word search probes fewer: its matches are spread over the scope, and "200 or more"
    # says as much as "1,000 or more" about a search that wants another word.
    cap = SEARCH_CAP if f.searching_words() else LIST_CAP
    flags = {name: RULES[name].q(viewer) for name in FLAGS}
    rows_ = CaseRows(f.qs, f.sort_order(), cap, flags)
    paginator = CappedPaginator(rows_, f.per_page())  # type: ignore[arg-type]
    page = paginator.get_page(request.GET.get("page"))
    # An empty list needs no second query for its (empty) page.
    rows, any_dispatchable = (
        _rows(page, options.category_names()) if paginator.count else (mark_safe(""), False)
    )
    params = request.GET.copy()
    window = [
        (n, "?" + _query(params, page=n))
        for n in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
        if isinstance(n, int)
    ]
    rule = f.cleaned.get("queue") or f.cleaned.get("band")
    context = {
        "desk_section": "cases",
        "form": f.form,
        "selects": _selects(f, choices),
        "idempotency_key": uuid.uuid4().hex,
        "problems": f.error_messages(),
        "rows": rows,
        "page": page,
        "paginator": paginator,
        "pages": window,
        "prev_url": "?" + _query(params, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_url": "?" + _query(params, page=page.next_page_number()) if page.has_next() else "",
        "sort": _sort_links(params, f.sort_key()),
        "export_url": reverse("desk:export") + "?" + _query(params, page=None),
        "clear_url": reverse("desk:cases"),
        "here": request.get_full_path(),
        "filtered": f.active(),
        "rule": RULES[rule] if rule else None,
        "export_cap": EXPORT_CAP,
        "cap": cap,
        "any_dispatchable": any_dispatchable,
        # The page's cases as read (number, state, the rules' flags …), for tests and tools.
        "page_cases": list(page.object_list) if paginator.count else [],
    }
    return render(request, "desk/cases.html", context)


def _export_header() -> list[str]:
    return [
        _("case number"),
        _("type"),
        _("category"),
        _("channel"),
        _("place"),
        _("state"),
        _("handling unit"),
        _("submitted at"),
        _("resolve by"),
        _("resolved at"),
        _("rating"),
        _("description"),
    ]


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The list as filtered (and sorted), as .xlsx: at most EXPORT_CAP rows, and a last line
    saying so when the list holds more. No phone numbers: the sheet leaves the building."""
    viewer = desk_viewer(request)
    f, _choices = _filtered(request, viewer)
    fields = (
        "number",
        "case_type",
        "category_id",
        "channel",
        "place__name",
        "state",
        "handling_department__name",
        "handling_area__name",
        "created_at",
        "resolve_due",
        "resolved_at",
        "rating",
        "description",
    )
    qs = f.qs.order_by(*f.sort_order().ordering).values_list(*fields)[: EXPORT_CAP + 1]
    categories = options.category_names()
    states, types = dict(State.choices), dict(CaseType.choices)
    channels = dict(Channel.choices)

    def rows():
        for n, row in enumerate(qs.iterator(chunk_size=2000), 1):
            if n > EXPORT_CAP:
                yield [
                    _(
                        "Only the first %(n)s cases of this list are in the file; narrow the "
                        "filters to export the rest."
                    )
                    % {"n": EXPORT_CAP}
                ]
                return
            (number, kind, category, channel, place, state, dept, area, *rest) = row
            created, due, resolved, rating, description = rest
            yield [
                number,
                types.get(kind, kind),
                categories.get(category, ""),
                channels.get(channel, channel),
                place,
                states.get(state, state),
                dept or area or "",
                created,
                due,
                resolved,
                rating,
                description,
            ]

    # The sheet is named in the user's language; the file name stays ASCII, which every
    # browser reads from a plain Content-Disposition header.
    return xlsx_response("cases", xlsx_bytes([(_("cases"), _export_header(), rows())]))


def _back(request: HttpRequest) -> str:
    """Where a bulk action returns: the list it was sent from, or the plain list."""
    target = request.POST.get("next", "")
    if target.startswith(reverse("desk:cases")) and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return reverse("desk:cases")


@login_required
@require_POST
@idempotent
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """派单 for the ticked cases, one at a time through actions.dispatch (routing rules pick
    each unit). Says how many went, and for each one that did not, why."""
    desk_viewer(request)
    wanted = [v for v in request.POST.getlist("case") if v.isdigit()][: BULK_CAP + 1]
    if not wanted:
        messages.warning(request, _("Tick the cases to dispatch first."))
        return redirect(_back(request))
    if len(wanted) > BULK_CAP:
        messages.error(
            request, _("At most %(n)s cases can be dispatched at once.") % {"n": BULK_CAP}
        )
        return redirect(_back(request))
    found = list(
        Case.objects.visible_to(request.user)
        .filter(pk__in=[int(v) for v in wanted])
        .order_by("number")
        .values_list("pk", "number")
    )
    done, refused = 0, []
    for pk, number in found:
        try:
            actions.dispatch(pk, actor=request.user)
            done += 1
        except ValidationError as exc:
            refused.append(
                _("%(number)s: %(why)s") % {"number": number, "why": " ".join(exc.messages)}
            )
        except LookupError:
            refused.append(
                _("%(number)s: no handling unit covers its place; dispatch it by hand.")
                % {"number": number}
            )
    if done:
        messages.success(request, _("%(n)s cases dispatched.") % {"n": done})
    if refused:
        messages.warning(request, _("%(n)s cases were not dispatched:") % {"n": len(refused)})
        for line in refused[:20]:
            messages.warning(request, line)
    missing = len(set(wanted)) - len(found)
    if missing:
        messages.warning(
            request,
            _("%(n)s of the ticked cases were not found in your area.") % {"n": missing},
        )
    return redirect(_back(request))
