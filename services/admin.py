"""The staff inbox: cases scoped by grids/, filters, the state machine's actions as forms on
the case page, bulk dispatch, the full timeline, and Excel export of any filtered list.
Plus the catalogue staff maintain: categories, time limits, holidays, routing rules, KPIs."""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.admin_mixins import ScopedAdmin
from grids.models import Area, Department
from grids.privacy import mask_phone, shown_phone
from grids.querysets import ScopedQuerySetMixin
from grids.scope import may, scope_for
from portal.excel import xlsx_bytes, xlsx_response
from portal.write_path import WritePathMixin
from services import actions, case_page, transitions
from services.choices import Action, ExtensionStatus, State
from services.inbox import (
    CappedPaginator,
    CategoryFilter,
    GridFilter,
    TimerFilter,
    as_case_number,
)
from services.models import (
    Case,
    CaseEvent,
    Category,
    CityOutbox,
    ExtensionRequest,
    JointUnit,
    KpiConfig,
    PatrolLog,
    RoutingRule,
    TimeLimit,
)
from services.models.catalogue import check_rule_area


class CatalogueAdmin(WritePathMixin, admin.ModelAdmin):
    """The catalogues staff maintain, through the area scope: the model's queryset says which
    rows a user sees and changes (services.models.catalogue), grids.scope.may which verbs.
    A row outside the scope does not exist (404); a city-wide row is read-only below the city."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_module_permission(self, request):
        return scope_for(request.user).is_staff and may(request.user, "view", self.model)

    def _may(self, request, action: str, obj=None) -> bool:
        if not may(request.user, action, self.model):
            return False
        if obj is None:
            return True
        # The catalogue models' managers come from their querysets' as_manager(), which copies
        # visible_to/changeable_by; the stubs only know _default_manager as a plain Manager.
        manager = cast(ScopedQuerySetMixin, self.model._default_manager)
        rows = manager.visible_to if action == "view" else manager.changeable_by
        return rows(request.user).filter(pk=obj.pk).exists()

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view", obj)

    def has_add_permission(self, request):
        return self._may(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete", obj)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404  # out of scope looks exactly like not existing

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The admin wraps this in a transaction: a row saved where the user may not change it
        # (a crafted POST) rolls back whole.
        if not self._may(request, "change", obj):
            raise PermissionDenied


@admin.register(Category)
class CategoryAdmin(CatalogueAdmin):
    list_display = ("__str__", "code", "is_active", "sort")
    list_select_related = ("parent",)
    list_filter = ("is_active",)
    search_fields = ("name", "code")


@admin.register(TimeLimit)
class TimeLimitAdmin(CatalogueAdmin):
    list_display = (
        "__str__",
        "sign_amount",
        "sign_unit",
        "contact_amount",
        "contact_unit",
        "resolve_amount",
        "resolve_unit",
    )
    list_select_related = ("category__parent",)
    list_filter = ("case_type",)


@admin.register(RoutingRule)
class RoutingRuleAdmin(CatalogueAdmin):
    list_display = ("__str__", "level", "department", "priority", "is_active")
    list_select_related = ("category__parent", "area", "department")
    raw_id_fields = ("area",)
    list_filter = ("level", "is_active")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            kwargs["queryset"] = Area.objects.visible_to(request.user)
        elif db_field.name == "department":
            kwargs["queryset"] = Department.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        user = request.user  # the form's own, not the (shared) admin instance's

        class RuleForm(form):
            def clean(self):
                cleaned = super().clean()
                if "area" in cleaned:  # a valid choice (or none): may this user route there?
                    check_rule_area(user, cleaned["area"], cleaned.get("department"))
                return cleaned

        return RuleForm


@admin.register(KpiConfig)
class KpiConfigAdmin(CatalogueAdmin):
    list_display = ("__str__", "response_weight", "resolution_weight", "satisfaction_weight")


# --- the case inbox ----------------------------------------------------------------------------


CARD_BADGE = {1: ("yellow", gettext_lazy("yellow")), 2: ("red", gettext_lazy("red"))}


def card_label(level: int) -> str:
    """黄 or 红 for a carded case, "" for none."""
    return str(CARD_BADGE[level][1]) if level in CARD_BADGE else ""


EXPORT_COLUMNS = [
    ("number", gettext_lazy("number")),
    ("get_case_type_display", gettext_lazy("type")),
    ("category", gettext_lazy("category")),
    ("get_channel_display", gettext_lazy("channel")),
    ("place", gettext_lazy("place")),
    ("get_state_display", gettext_lazy("state")),
    ("unit_label", gettext_lazy("handling unit")),
    ("created_at", gettext_lazy("submitted at")),
    ("resolve_due", gettext_lazy("resolve by")),
    ("resolved_at", gettext_lazy("resolved at")),
    ("rating", gettext_lazy("rating")),
    ("description", gettext_lazy("description")),
]


@admin.register(Case)
class CaseAdmin(ScopedAdmin):
    """The inbox and the case page. A case is written by services.actions only (written_by):
    the generic form adds, changes and deletes nothing; the page's action forms and the bulk
    dispatch call the operations. Cases come in through submit_case, and are archived, not
    deleted."""

    list_display = (
        "number",
        "case_type",
        "category",
        "place",
        "state",
        "unit",
        "card",
        "resolve_due",
        "created_at",
    )
    list_select_related = ("category__parent", "place", "handling_area", "handling_department")
    list_filter = (
        TimerFilter,
        "state",
        "case_type",
        "channel",
        "level",
        CategoryFilter,
        GridFilter,
    )
    search_fields = ("=number", "description", "address")
    date_hierarchy = None
    ordering = ("-created_at",)
    actions = ["bulk_dispatch"]
    readonly_fields = [
        *(f.name for f in Case._meta.fields if f.name not in ("id", "reporter_phone")),
        "reporter_phone_shown",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": (
                    ("number", "state", "version"),
                    ("case_type", "category", "channel", "urgency"),
                    "description",
                    ("place", "grid", "address"),
                    ("reporter", "reporter_name", "reporter_phone_shown"),
                    ("raised_before_complaint", "handled_on_spot", "is_malicious"),
                )
            },
        ),
        (
            gettext_lazy("Handling"),
            {
                "fields": (
                    ("level", "handling_area", "handling_department", "assignee"),
                    ("received_by", "master", "escalation_level", "redo_count"),
                    ("dispatched_at", "signed_at", "contacted_at", "resolved_at"),
                    ("sign_due", "contact_due", "resolve_due", "card_level"),
                    "result",
                    "not_accepted_reason",
                    ("callback_solved", "rating", "called_back_at"),
                )
            },
        ),
    ]
    paginator = CappedPaginator
    list_per_page = 25  # an inbox page: the deadline filters bring what to act on to the top
    # "12 results (83,000 total)" counts the whole scope on every filtered or searched page: a
    # full count of a district's cases, which is what CappedPaginator exists to avoid.
    show_full_result_count = False
    change_form_template = "admin/services/case/change_form.html"
    change_list_template = "admin/services/case/change_list.html"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        match = request.resolver_match
        if match and match.url_name and match.url_name.endswith("change"):
            # The read-only case page shows every related object. One join of all ten tables
            # cost PostgreSQL 13 ms to plan (for a 1 ms query); five joins plan in well under
            # a millisecond, and the people come in one small query (change_view).
            qs = qs.select_related(
                "category__parent", "place", "handling_area", "handling_department"
            )
        return qs

    def get_search_results(self, request, queryset, search_term):
        number = as_case_number(search_term)
        if number is not None:
            return queryset.filter(number=number), False
        return super().get_search_results(request, queryset, search_term)

    def get_ordering(self, request):
        # A deadline filter lists the nearest (or longest overdue) deadline first: what staff
        # act on, and what the open-case deadline index returns without sorting.
        if request.GET.get(TimerFilter.parameter_name):
            return ("resolve_due",)
        return super().get_ordering(request)

    def _may(self, request, action, obj=None):
        if obj is None:
            return super()._may(request, action, obj)
        # The admin asks several times per page; answer each question once per request.
        cache = request.__dict__.setdefault("_case_may", {})
        key = (action == "view", obj.pk)
        if key not in cache:
            qs = Case.objects.visible_to if action == "view" else Case.objects.changeable_by
            cache[key] = qs(request.user).filter(pk=obj.pk).exists()
        return cache[key]

    def action_checkbox(self, obj):
        # The same input Django renders through the form widget templates, written directly:
        # the widget machinery cost a tenth of the inbox page (25 rows).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    @admin.display(description=gettext_lazy("reporter's phone"))
    def reporter_phone_shown(self, obj: Case) -> str:
        # The fieldsets' name for the phone; the case page fills in the number as its viewer
        # may see it (change_view, through grids.privacy). Without a viewer: masked.
        return mask_phone(obj.reporter_phone)

    @admin.display(description=gettext_lazy("handling unit"))
    def unit(self, obj: Case) -> str:
        return obj.unit_label

    @admin.display(description=gettext_lazy("card"), ordering="card_level")
    def card(self, obj: Case):
        label = card_label(obj.card_level)
        if label:
            return format_html(
                '<span class="badge {}">{}</span>', CARD_BADGE[obj.card_level][0], label
            )
        return ""

    # --- the action forms on the case page ---------------------------------------------------
    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<path:object_id>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{info[0]}_{info[1]}_transition",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name=f"{info[0]}_{info[1]}_export",
            ),
            *super().get_urls(),
        ]

    def get_object(self, request, object_id, from_field=None):
        # change_view reads the case first (for its action forms); the page reuses it.
        cached = request.__dict__.get("_case_page")
        if cached is not None and str(cached.pk) == str(object_id) and from_field is None:
            return cached
        return super().get_object(request, object_id, from_field)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        if case is None:
            raise Http404
        if request.method == "POST":
            # The page is read-only, like every admin page of a model the operations own: a
            # case changes only through its action forms (transition_url), which check the
            # state machine and the version. A model save here would write the whole row.
            raise PermissionDenied
        _attach_people(case)
        request._case_page = case
        # Read through the user's scope just now: it is visible (the admin asks again).
        request.__dict__.setdefault("_case_may", {})[(True, case.pk)] = True
        extra_context = extra_context or {}
        joint_units = list(JointUnit.objects.filter(case=case).select_related("department", "area"))
        extensions = list(ExtensionRequest.objects.filter(case=case).select_related("requested_by"))
        pending = any(e.status == ExtensionStatus.PENDING for e in extensions)
        # Forms for what can happen now: no decision without a pending request, no second
        # request beside one, no report-in without joint units.
        hidden = {
            Action.DECIDE_EXTENSION: not pending,
            Action.REQUEST_EXTENSION: pending,
            Action.REPORT_IN: not joint_units,
        }
        departments = None  # read only when an allowed action asks for one
        forms = []
        for action in actions.allowed_actions(case):
            if hidden.get(action):
                continue
            fields = []
            for name, kind, label in transitions.FIELDS[action]:
                field = {"name": name, "kind": kind.split(":")[0], "label": label}
                if kind == "fk:department":
                    if departments is None:
                        departments = list(
                            Department.objects.filter(is_active=True).order_by("name")[:200]
                        )
                    field["kind"] = "choice"
                    field["choices"] = [("", "—")] + [(d.pk, d.name) for d in departments]
                elif kind.startswith("choice:"):
                    field["kind"] = "choice"
                    field["choices"] = [("", "—"), *transitions.CHOICES[kind.split(":")[1]]]
                elif action == "report_in" and name == "unit":
                    field["kind"] = "choice"
                    field["choices"] = [(u.pk, str(u)) for u in joint_units]
                fields.append(field)
            forms.append(
                {"action": action, "label": transitions.Action(action).label, "fields": fields}
            )
        computed = {
            # The page may be open to a department handler or a follower whose scope does not
            # cover the place: the phone is shown by the one privacy rule (grids.privacy).
            "reporter_phone_shown": (
                str(self.reporter_phone_shown.short_description),
                shown_phone(request.user, case.reporter_phone, case.place) or case_page.EMPTY,
            ),
            "card_level": (
                str(Case._meta.get_field("card_level").verbose_name),
                card_label(case.card_level) or case_page.EMPTY,
            ),
        }
        extra_context.update(
            # The page changes nothing itself (the admin would call it "Change case").
            title=_("Case %(number)s") % {"number": case.number},
            case_summary=case_page.summary(case, self.fieldsets, computed),
            case_forms=forms,
            case_version=case.version,
            transition_url=reverse("admin:services_case_transition", args=[case.pk]),
            extensions=extensions,
            joint_units=joint_units,
            photos=case.photos.all(),
            timeline=case_page.timeline(
                CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "pk")
            ),
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id):
        case = Case.objects.visible_to(request.user).filter(pk=object_id).first()
        if case is None:
            raise Http404
        url = reverse("admin:services_case_change", args=[case.pk])
        if request.method != "POST":
            return HttpResponseRedirect(url)
        action = request.POST.get("action", "")
        try:
            transitions.perform(
                case, action, request.user, request.POST, request.FILES.getlist("photos")
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {"": exc.messages}).items():
                for error in errors:
                    self.message_user(
                        request, f"{field}: {error}" if field else error, messages.ERROR
                    )
        else:
            self.message_user(
                request, _("Done: %(action)s.") % {"action": transitions.Action(action).label}
            )
        return HttpResponseRedirect(url)

    @admin.action(description=gettext_lazy("Dispatch the selected cases by routing rules"))
    def bulk_dispatch(self, request, queryset):
        done, refused = 0, []
        for pk, number in queryset.filter(state=State.SUBMITTED).values_list("pk", "number"):
            try:
                actions.dispatch(pk, actor=request.user)
                done += 1
            except (ValidationError, LookupError) as exc:
                refused.append(f"{number}: {'; '.join(getattr(exc, 'messages', [str(exc)]))}")
        self.message_user(request, _("%(n)s cases dispatched.") % {"n": done})
        for line in refused[:10]:
            self.message_user(request, line, messages.WARNING)

    def export_view(self, request):
        """The current filtered list (the changelist's own filters and search) as .xlsx."""
        if not self.has_view_permission(request):
            raise Http404
        changelist = self.get_changelist_instance(request)
        qs = changelist.get_queryset(request).select_related(
            "category__parent", "place", "handling_area", "handling_department"
        )

        def rows():
            for case in qs.iterator(chunk_size=2000):
                values = (getattr(case, attr) for attr, _label in EXPORT_COLUMNS)
                yield [value() if callable(value) else value for value in values]

        header = [label for _attr, label in EXPORT_COLUMNS]
        # The sheet is named in the user's language; the file name stays ASCII, which every
        # browser reads from a plain Content-Disposition header.
        return xlsx_response("cases", xlsx_bytes([(_("cases"), header, rows())]))


_PEOPLE = ("reporter", "assignee", "received_by")


def _attach_people(case: Case) -> None:
    """The case's reporter, assignee and first receiver in one query (prefetch_related would
    send one per relation)."""
    fields = [cast(models.ForeignKey, Case._meta.get_field(name)) for name in _PEOPLE]
    ids = {getattr(case, f.attname) for f in fields} - {None}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)} if ids else {}
    for f in fields:
        f.set_cached_value(case, users.get(getattr(case, f.attname)))


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ScopedAdmin):
    """Extension requests on the cases the user sees. They are made on the case page and
    decided there or here, in bulk, through decide_extension (the generic form is read-only)."""

    list_display = ("case", "working_days", "status", "requested_by", "created_at")
    list_select_related = ("case", "requested_by")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ExtensionRequest._meta.fields if f.name != "id"]

    actions = ["approve", "refuse"]

    def get_queryset(self, request):
        visible = Case.objects.visible_to(request.user).values("pk")
        return ExtensionRequest.objects.filter(case_id__in=visible)

    def _decide(self, request, queryset, approve: bool) -> None:
        """Each pending request through decide_extension, which checks that the user
        supervises the case; a refused one is named, the others go ahead."""
        done, refused = 0, []
        pending = queryset.filter(status=ExtensionStatus.PENDING).select_related("case")
        for extension in pending:
            try:
                actions.decide_extension(extension.case_id, actor=request.user, approve=approve)
                done += 1
            except ValidationError as exc:
                refused.append(f"{extension.case.number}: {'; '.join(exc.messages)}")
        self.message_user(request, _("%(n)s extension requests decided.") % {"n": done})
        for line in refused[:10]:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=gettext_lazy("Approve the selected extension requests"))
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=gettext_lazy("Refuse the selected extension requests"))
    def refuse(self, request, queryset):
        self._decide(request, queryset, approve=False)

    def _may(self, request, action, obj=None):
        if obj is not None:
            return Case.objects.visible_to(request.user).filter(pk=obj.case_id).exists()
        return scope_for(request.user).is_staff


@admin.register(PatrolLog)
class PatrolLogAdmin(ScopedAdmin):
    """Grid workers' rounds (每日巡), read by the staff whose area covers the grid. Entries are
    written from the phone (actions.log_patrol), not here."""

    list_display = ("at", "grid", "place", "worker", "all_well", "seen")
    list_filter = ("all_well",)
    search_fields = ("seen",)
    date_hierarchy = "at"
    list_select_related = ("grid", "place", "worker")
    readonly_fields = ("worker", "grid", "place", "at", "seen", "all_well", "case", "lat", "lng")


@admin.register(CityOutbox)
class CityOutboxAdmin(WritePathMixin, admin.ModelAdmin):
    """The city 12345 outbox, for the superuser: what is pending, what failed and why. The
    action puts failed rows back in the queue (after the city fixed what it refused)."""

    list_display = (
        "created_at",
        "case",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status", "kind")
    list_select_related = ("case",)
    readonly_fields = [f.name for f in CityOutbox._meta.fields]
    actions = ["requeue"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.action(description=gettext_lazy("Send the selected failed events again"))
    def requeue(self, request, queryset):
        if not request.user.is_superuser:
            raise Http404
        n = actions.requeue_city_events(queryset.values_list("pk", flat=True), actor=request.user)
        messages.success(request, _("%(n)s events queued again.") % {"n": n})


# The holiday calendar's pages (banner, import, the wired write path) live beside this module.
from services import admin_calendar  # noqa: E402, F401
