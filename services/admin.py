"""The catalogues staff maintain (categories, time limits, holidays, routing rules, KPIs) and
the registers (extension requests, the patrol log, the city 12345 outbox). Cases themselves
are worked on at the desk (services.desk); the admin's case URLs lead there."""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.admin_mixins import ScopedAdmin
from grids.models import Area, Department
from grids.querysets import ScopedQuerySetMixin
from grids.scope import may, scope_for
from portal.write_path import WritePathMixin
from services import actions
from services.choices import ExtensionStatus
from services.models import (
    Case,
    Category,
    CityOutbox,
    ExtensionRequest,
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


# --- cases: worked on at the desk ----------------------------------------------------------------


@admin.register(Case)
class CaseAdmin(ScopedAdmin):
    """Cases are worked on at the desk (services.desk: /desk/cases/ and /desk/c/<number>/),
    not here. The admin keeps its "Cases" entry and its URLs for old links and bookmarks: the
    list leads to the desk's list, a case to its desk page (read through the user's scope, so
    a case outside it is a 404 here as there). Nothing is added, changed or deleted here
    (services.actions writes cases)."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("", view(self.to_list), name="services_case_changelist"),
            path("<path:object_id>/change/", view(self.to_case), name="services_case_change"),
            path("<path:object_id>/", view(self.to_case)),
        ]

    def to_list(self, request):
        if not self.has_view_permission(request):
            raise Http404
        return HttpResponseRedirect(reverse("desk:cases"))

    def to_case(self, request, object_id):
        number = (
            Case.objects.visible_to(request.user)
            .filter(pk=int(object_id) if str(object_id).isdigit() else 0)
            .values_list("number", flat=True)
            .first()
        )
        if number is None:
            raise Http404
        return HttpResponseRedirect(reverse("desk:case", args=[number]))


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
