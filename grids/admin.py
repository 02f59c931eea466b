"""The staff admin of the territory. Every admin here is scoped (grids.admin_mixins): lists,
counts, searches, foreign-key choices and autocompletes hold only what the user's scope covers,
and anything else is a 404.

The area tree is browsed one level at a time (treebeard), each node with its counts of grids,
households and party members and its coverage, all computed by correlated subqueries in the one
query that lists the page. Grids, estates, buildings, households and party members can be
imported from and exported to Excel (grids.excel): an import lands whole or not at all.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin

from grids import actions, excel
from grids.admin_mixins import ScopedAdmin, ScopedAdminMixin
from grids.coverage import estate_has_branch, household_has_contact
from grids.models import (
    AccessLog,
    Area,
    AreaKind,
    CoBuildingUnit,
    ConcurrentMember,
    ContactHousehold,
    CrossPosting,
    Department,
    EstateBody,
    GridTeamMember,
    Household,
    PartyMember,
    PartyOrg,
    Resident,
    RoleAssignment,
    TeamRole,
)
from grids.models.areas import validate_placement
from grids.privacy import mask_id_number, mask_phone, shown_phone
from grids.scope import scope_for

# Paths sort in the database's C collation (PostgreSQL C.UTF-8 here, SQLite binary): every
# descendant of P lies in [P, P + "~"), so a subtree is an index range scan even when P comes
# from the outer row of a correlated subquery (a LIKE with a non-constant pattern is not).
PAST_ALPHABET = "~"


def subtree_range(prefix: str, outer: str = "path") -> Q:
    """Rows whose `<prefix>path` lies in the subtree of the outer row's `outer` path."""
    return Q(
        **{
            f"{prefix}path__gte": OuterRef(outer),
            f"{prefix}path__lt": Concat(OuterRef(outer), Value(PAST_ALPHABET)),
        }
    )


def count_of(queryset, q: Q):
    return Coalesce(
        Subquery(
            queryset.filter(q)
            .order_by()
            .annotate(_g=Value(1))
            .values("_g")
            .annotate(n=Count("*"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def annotate_counts(queryset):
    """Per node: grids, estates (and those with a branch), households (and those with a
    contact party member), party members in its subtree; one SELECT for the whole page."""
    estates = Area.objects.filter(kind="estate")
    households = Household.objects.all()
    return queryset.annotate(
        n_grids=count_of(Area.objects.filter(kind="grid"), subtree_range("")),
        n_estates=count_of(estates, subtree_range("")),
        n_estates_branch=count_of(estates.filter(estate_has_branch()), subtree_range("")),
        n_households=count_of(households, subtree_range("building__")),
        n_households_contact=count_of(
            households.filter(household_has_contact()), subtree_range("building__")
        ),
        n_party_members=count_of(PartyMember.objects.all(), subtree_range("area__")),
    )


def percent(part, whole) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


# --- filters ---------------------------------------------------------------------------------
def subtree_filter(area_field: str):
    """A list filter "within this street / community / grid" over the user's visible areas."""

    class AreaSubtreeFilter(admin.SimpleListFilter):
        title = _("area")
        parameter_name = "within"

        def lookups(self, request, model_admin):
            areas = (
                Area.objects.visible_to(request.user)
                .filter(kind__in=["street", "community", "grid"], depth__lte=6)
                .order_by("path")
                .only("pk", "name", "kind", "depth")[:300]
            )
            return [(a.pk, f"{'· ' * max(a.depth - 3, 0)}{a.name}") for a in areas]

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            try:
                area = Area.objects.visible_to(request.user).get(pk=int(self.value()))
            except (Area.DoesNotExist, ValueError, TypeError):
                return queryset.none()
            lookup = f"{area_field}__path__startswith" if area_field else "path__startswith"
            return queryset.filter(**{lookup: area.path})

    return AreaSubtreeFilter


# --- Excel -----------------------------------------------------------------------------------
class ExcelForm(forms.Form):
    file = forms.FileField(label=_("Excel workbook (.xlsx)"))


class ExcelAdminMixin:
    """Import (all or nothing, with line-numbered errors) and export of one grids.excel kind."""

    excel_kind: str = ""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import-xlsx/",
                self.admin_site.admin_view(self.import_xlsx_view),
                name="{}_{}_import_xlsx".format(*info),
            ),
            path(
                "export-xlsx/",
                self.admin_site.admin_view(self.export_xlsx_view),
                name="{}_{}_export_xlsx".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        info = self.opts.app_label, self.opts.model_name
        extra_context = {
            **(extra_context or {}),
            "excel_import_url": reverse("admin:{}_{}_import_xlsx".format(*info))
            if self.has_add_permission(request)
            else None,
            "excel_export_url": reverse("admin:{}_{}_export_xlsx".format(*info)),
        }
        return super().changelist_view(request, extra_context)

    def import_xlsx_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        report = None
        form = ExcelForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = excel.import_xlsx(
                self.excel_kind, form.cleaned_data["file"].read(), request.user
            )
            if report.ok:
                messages.success(
                    request,
                    gettext("Imported %(rows)s rows: %(created)s new, %(updated)s updated.")
                    % {"rows": report.rows, "created": report.created, "updated": report.updated},
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import %(name)s from Excel")
            % {"name": self.opts.verbose_name_plural},
            "form": form,
            "report": report,
            "columns": [
                f.column_name for f in excel.RESOURCES[self.excel_kind]().get_import_fields()
            ],
        }
        status = 400 if report is not None and not report.ok else 200
        return TemplateResponse(request, "admin/grids/import_xlsx.html", context, status=status)

    def export_xlsx_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = excel.export_xlsx(self.excel_kind, request.user)
        response = HttpResponse(
            data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{self.excel_kind}.xlsx"'
        return response


# --- areas -----------------------------------------------------------------------------------
class AreaForm(forms.ModelForm):
    """New areas are placed under a parent the user may change; moves are done on the tree."""

    parent = forms.ModelChoiceField(queryset=Area.objects.none(), required=False, label=_("under"))

    class Meta:
        model = Area
        fields = [
            "name",
            "kind",
            "code",
            "grid_level",
            "grid_kind",
            "dedicated_kind",
            "households_planned",
            "lat",
            "lng",
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            return data
        if self.instance.pk:
            parent = Area.objects.filter(path=self.instance.path[: -Area.steplen]).first()
        else:
            parent = data.get("parent")
            if parent is None and not self.is_superuser:
                raise ValidationError({"parent": _("Choose where the new area sits.")})
            self.instance._pending_parent = parent
        validate_placement(kind, parent, data.get("grid_level"))
        return data


class AreaAdmin(ExcelAdminMixin, ScopedAdminMixin, TreeAdmin):
    form = AreaForm
    excel_kind = "grids"
    list_display = (
        "name",
        "kind",
        "grid_level",
        "code",
        "grids_count",
        "households_count",
        "party_members_count",
        "branch_coverage",
        "contact_coverage",
    )
    list_filter = ("kind", "grid_level", "grid_kind", subtree_filter(""))
    search_fields = ("name", "code")
    list_per_page = 100
    show_full_result_count = False

    # Scope of one node is its path: no query per row (the tree asks for every row).
    def _may(self, request, action, obj=None):
        from grids.scope import may

        if not may(request.user, action, self.model):
            return False
        return obj is None or scope_for(request.user).covers_path(obj.path)

    def get_queryset(self, request):
        scope = scope_for(request.user)
        if (
            hasattr(request, "_treebeard_parent_id")
            and not getattr(request, "_ignore_treebeard_filters", False)
            and not self.is_filtered(request)
        ):
            visible = Area.objects.visible_to(request.user)
            if request._treebeard_parent_id:
                try:
                    parent = visible.get(pk=int(request._treebeard_parent_id))
                except (Area.DoesNotExist, ValueError):
                    raise Http404 from None
                request._treebeard_parent = parent
                qs = visible.filter(path__startswith=parent.path, depth=parent.depth + 1)
            else:
                # The top of the tree is where the user's scope starts.
                request._treebeard_parent = None
                qs = (
                    Area.objects.filter(depth=1)
                    if scope.is_superuser
                    else Area.objects.filter(path__in=scope.area_paths)
                )
        else:
            qs = Area.objects.visible_to(request.user)
        url_name = getattr(getattr(request, "resolver_match", None), "url_name", "") or ""
        if url_name.endswith("changelist") or not url_name:
            qs = annotate_counts(qs)
        return qs.order_by("path")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.is_superuser = scope_for(request.user).is_superuser
        parents = (
            Area.objects.visible_to(request.user).exclude(kind=AreaKind.BUILDING).order_by("path")
        )
        form.base_fields["parent"].queryset = parents
        form.base_fields["parent"].label_from_instance = lambda a: (
            f"{'—' * (a.depth - 1)} {a.label}"
        )
        if obj is not None:
            form.base_fields["parent"].widget = forms.HiddenInput()
        elif request.GET.get("parent"):
            form.base_fields["parent"].initial = request.GET["parent"]
        return form

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
        else:
            parent = form.cleaned_data.get("parent")
            values = {f: form.cleaned_data.get(f) for f in AreaForm.Meta.fields}
            values["code"] = values["code"] or ""
            values["grid_kind"] = values["grid_kind"] or ""
            values["dedicated_kind"] = values["dedicated_kind"] or ""
            values["households_planned"] = values["households_planned"] or 0
            if parent is None:
                created = Area.objects.add_root(values)
            else:
                parent = Area.objects.get(pk=parent.pk)
                created = Area.objects.add_child(parent, values)
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
        if not scope_for(request.user).covers_path(obj.path):
            raise PermissionDenied

    def move_node(self, request):
        """Drag and drop on the tree: both nodes inside the scope, and the placement valid."""
        visible = Area.objects.visible_to(request.user)
        try:
            node = visible.get(pk=int(request.POST.get("node", "")))
            target = visible.get(pk=int(request.POST.get("target", "")))
        except (Area.DoesNotExist, ValueError):
            raise Http404 from None
        if not self.has_change_permission(request, node):
            raise Http404
        new_parent = (
            target
            if request.POST.get("relation") == "child"
            else Area.objects.filter(path=target.path[: -Area.steplen]).first()
        )
        if new_parent is not None and not scope_for(request.user).covers_path(new_parent.path):
            raise Http404
        try:
            validate_placement(node.kind, new_parent, node.grid_level)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseBadRequest(" ".join(exc.messages))
        return super().move_node(request)

    @admin.display(description=_("grids"))
    def grids_count(self, obj):
        return getattr(obj, "n_grids", "")

    @admin.display(description=_("households"))
    def households_count(self, obj):
        return getattr(obj, "n_households", "")

    @admin.display(description=_("party members"))
    def party_members_count(self, obj):
        return getattr(obj, "n_party_members", "")

    @admin.display(description=_("estates with a branch"))
    def branch_coverage(self, obj):
        if not hasattr(obj, "n_estates"):
            return ""
        return f"{percent(obj.n_estates_branch, obj.n_estates)} ({obj.n_estates_branch}/{obj.n_estates})"

    @admin.display(description=_("households with a contact member"))
    def contact_coverage(self, obj):
        if not hasattr(obj, "n_households"):
            return ""
        return percent(obj.n_households_contact, obj.n_households)


admin.site.register(Area, AreaAdmin)


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ("name", "area", "phone", "is_active")
    list_select_related = ("area",)
    list_filter = ("is_active", subtree_filter("area"))
    search_fields = ("name",)
    autocomplete_fields = ("area",)


@admin.register(CoBuildingUnit)
class CoBuildingUnitAdmin(ScopedAdmin):
    list_display = ("name", "home_community", "contact_name", "has_party_org", "reported_on")
    list_select_related = ("home_community",)
    list_filter = ("has_party_org", subtree_filter("home_community"))
    search_fields = ("name",)
    autocomplete_fields = ("home_community",)


class ResidentInline(admin.TabularInline):
    model = Resident
    fields = ("name", "relation", "masked_phone", "verified")
    readonly_fields = ("masked_phone",)
    extra = 0
    show_change_link = True

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Household)
class HouseholdAdmin(ExcelAdminMixin, ScopedAdmin):
    excel_kind = "households"
    list_display = ("__str__", "head_name", "member_count", "is_party_member_household")
    list_select_related = ("building",)
    list_filter = ("is_party_member_household", subtree_filter("building"))
    search_fields = ("room", "head_name", "building__name")
    autocomplete_fields = ("building",)
    inlines = [ResidentInline]


class ResidentChangeForm(forms.ModelForm):
    """Editing a resident never puts the stored numbers on the page: new ones may be typed in,
    the old ones are shown masked and revealed only through the audited reveal."""

    new_phone = forms.CharField(
        label=_("new mobile phone"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to keep the number on file."),
    )
    new_id_number = forms.CharField(
        label=_("new ID number"),
        max_length=18,
        required=False,
        help_text=_("Leave empty to keep the number on file."),
    )

    class Meta:
        model = Resident
        fields = [
            "household",
            "user",
            "name",
            "birth_date",
            "relation",
            "disabled",
            "subsistence",
            "lives_alone",
            "verified",
        ]

    def save(self, commit=True):
        if self.cleaned_data.get("new_phone"):
            self.instance.phone = self.cleaned_data["new_phone"].strip()
        if self.cleaned_data.get("new_id_number"):
            self.instance.id_number = self.cleaned_data["new_id_number"].strip().upper()
        return super().save(commit)


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("number"), choices=[("phone", _("mobile phone")), ("id_number", _("ID number"))]
    )
    reason = forms.CharField(label=_("reason"), max_length=200)


@admin.register(Resident)
class ResidentAdmin(ScopedAdmin):
    """Numbers are masked in lists and forms; staff whose scope covers the household reveal one
    with a reason, which is written to the access log (grids.privacy.reveal)."""

    list_display = ("name", "household", "phone_shown", "id_number_shown", "verified")
    list_select_related = ("household__building",)
    list_filter = ("verified", subtree_filter("household__building"))
    search_fields = ("name", "household__head_name")
    autocomplete_fields = ("household",)
    raw_id_fields = ("user",)
    actions = ["verify_selected"]

    def save_model(self, request, obj, form, change):
        # Ticking "verified" is a domain operation (it opens household-only things to the
        # resident's account), so it goes through grids.actions like every other path.
        toggled = "verified" in form.changed_data
        super().save_model(request, obj, form, change)
        if toggled:
            from grids.actions import verify_resident

            verify_resident(obj, actor=request.user, verified=obj.verified)

    @admin.action(description=_("Verify the selected residents"))
    def verify_selected(self, request, queryset):
        from grids.actions import verify_resident

        done = 0
        for resident in queryset.filter(verified=False):
            verify_resident(resident, actor=request.user)
            done += 1
        self.message_user(request, gettext("Residents verified: %(count)d") % {"count": done})

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = ResidentChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ("phone_shown", "id_number_shown", "reveal_link") if obj is not None else ()

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="{}_{}_reveal".format(*info),
            ),
            *super().get_urls(),
        ]

    def reveal_view(self, request, object_id):
        from grids import privacy

        resident = self.get_object(request, object_id)
        if resident is None:
            raise Http404
        form = RevealForm(request.POST or None)
        value = None
        status = 200
        if request.method == "POST":
            if form.is_valid():
                value = privacy.reveal(
                    request.user, resident, form.cleaned_data["field"], form.cleaned_data["reason"]
                )
            else:
                status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": resident,
            "title": gettext("See a full number"),
            "form": form,
            "value": value,
        }
        return TemplateResponse(request, "admin/grids/reveal.html", context, status=status)

    @admin.display(description=_("mobile phone"))
    def phone_shown(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("ID number"))
    def id_number_shown(self, obj):
        return mask_id_number(obj.id_number)

    @admin.display(description=_("full number"))
    def reveal_link(self, obj):
        url = reverse("admin:grids_resident_reveal", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("See a full number (logged)"))


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "area", "department", "household", "unit", "starts_on", "ends_on"]

    def clean(self):
        from grids.models.roles import TERRITORIAL_ROLES

        data = super().clean()
        role, area = data.get("role"), data.get("area")
        if role in TERRITORIAL_ROLES and (area is None or area.kind != TERRITORIAL_ROLES[role]):
            raise ValidationError({"area": _("This role sits on an area of its own kind.")})
        return data


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    form = RoleAssignmentForm
    list_display = ("user", "role", "area", "department", "household", "starts_on", "ends_on")
    list_filter = ("role", subtree_filter("area"))
    list_select_related = ("user", "area", "department", "household")
    autocomplete_fields = ("area",)
    raw_id_fields = ("user", "department", "household", "unit")
    search_fields = ("user__username", "user__display_name")


# --- teams -----------------------------------------------------------------------------------
class GridTeamMemberForm(forms.ModelForm):
    class Meta:
        model = GridTeamMember
        fields = [
            "grid",
            "role",
            "auxiliary_kind",
            "name",
            "user",
            "phone",
            "organisation",
            "starts_on",
            "ends_on",
        ]

    def clean(self):
        data = super().clean()
        grid, role, starts_on = data.get("grid"), data.get("role"), data.get("starts_on")
        if grid and role == TeamRole.FULL_TIME and starts_on:
            overlapping = actions._overlapping_full_time(
                grid,
                starts_on,
                data.get("ends_on"),
                exclude=self.instance if self.instance.pk else None,
            )
            if overlapping.exists():
                raise ValidationError(
                    {"starts_on": _("This grid already has a full-time worker in that period.")}
                )
        if role != TeamRole.AUXILIARY and data.get("auxiliary_kind"):
            raise ValidationError(
                {"auxiliary_kind": _("Only auxiliary members have an auxiliary kind.")}
            )
        return data


@admin.register(GridTeamMember)
class GridTeamMemberAdmin(ExcelAdminMixin, ScopedAdmin):
    form = GridTeamMemberForm
    excel_kind = "team_members"
    list_display = ("name", "role", "grid", "organisation", "phone_shown", "starts_on", "ends_on")
    list_select_related = ("grid",)
    list_filter = ("role", "auxiliary_kind", subtree_filter("grid"))
    search_fields = ("name", "grid__name", "organisation")
    autocomplete_fields = ("grid",)
    raw_id_fields = ("user",)
    date_hierarchy = "starts_on"

    @admin.display(description=_("phone"))
    def phone_shown(self, obj):
        return shown_phone(self._request_user, obj.phone, obj.grid)

    def get_queryset(self, request):
        self._request_user = request.user
        return super().get_queryset(request)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        created = actions.appoint_team_member(
            data["grid"],
            role=data["role"],
            name=data["name"],
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
            user=data.get("user"),
            phone=data.get("phone") or "",
            organisation=data.get("organisation") or "",
            auxiliary_kind=data.get("auxiliary_kind") or "",
            actor=request.user,
        )
        obj.pk = created.pk


# --- party organisation ----------------------------------------------------------------------
@admin.register(PartyOrg)
class PartyOrgAdmin(ScopedAdmin):
    list_display = ("name", "kind", "area", "parent", "secretary", "members_count")
    list_select_related = ("area", "parent")
    list_filter = ("kind", subtree_filter("area"))
    search_fields = ("name", "secretary", "area__name")
    autocomplete_fields = ("area", "parent")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_members=Count("members"))

    @admin.display(description=_("members"))
    def members_count(self, obj):
        return obj.n_members

    def save_model(self, request, obj, form, change):
        obj.full_clean()
        super().save_model(request, obj, form, change)


class ContactHouseholdInline(admin.TabularInline):
    model = ContactHousehold
    extra = 0
    autocomplete_fields = ("household",)
    readonly_fields = ("slot",)

    def has_add_permission(self, request, obj=None):
        return False  # links are made with the action below, which assigns the slot


class CrossPostingInline(admin.TabularInline):
    model = CrossPosting
    extra = 0
    autocomplete_fields = ("body",)


@admin.register(PartyMember)
class PartyMemberAdmin(ExcelAdminMixin, ScopedAdmin):
    excel_kind = "party_members"
    list_display = ("name", "kind", "branch", "area", "workplace_name", "contacts_count")
    list_select_related = ("branch", "area")
    list_filter = ("kind", subtree_filter("area"))
    search_fields = ("name", "workplace_name")
    autocomplete_fields = ("area", "branch", "resident", "workplace")
    raw_id_fields = ("user",)
    inlines = [ContactHouseholdInline, CrossPostingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_contacts=Count("contacts"))

    @admin.display(description=_("contact households"))
    def contacts_count(self, obj):
        n = obj.n_contacts
        if n < 3:
            return format_html('<span style="color:#b00">{}</span>', n)
        return n

    def save_model(self, request, obj, form, change):
        obj.full_clean()
        super().save_model(request, obj, form, change)


@admin.register(ContactHousehold)
class ContactHouseholdAdmin(ScopedAdmin):
    list_display = ("member", "household", "slot")
    list_select_related = ("member", "household__building")
    list_filter = (subtree_filter("household__building"),)
    search_fields = ("member__name", "household__head_name")
    autocomplete_fields = ("member", "household")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = actions.link_contact_household(obj.member, obj.household, actor=request.user)
        obj.pk, obj.slot = created.pk, created.slot


@admin.register(ConcurrentMember)
class ConcurrentMemberAdmin(ScopedAdmin):
    list_display = ("name", "party_org", "unit", "position", "starts_on", "ends_on")
    list_select_related = ("party_org", "unit")
    list_filter = (subtree_filter("party_org__area"),)
    search_fields = ("name", "unit__name")
    autocomplete_fields = ("party_org", "unit")


@admin.register(EstateBody)
class EstateBodyAdmin(ScopedAdmin):
    list_display = ("name", "kind", "estate")
    list_select_related = ("estate",)
    list_filter = ("kind", subtree_filter("estate"))
    search_fields = ("name",)
    autocomplete_fields = ("estate",)


@admin.register(CrossPosting)
class CrossPostingAdmin(ScopedAdmin):
    list_display = ("member", "body", "position", "starts_on")
    list_select_related = ("member", "body")
    list_filter = (subtree_filter("body__estate"),)
    search_fields = ("member__name", "body__name", "position")
    autocomplete_fields = ("member", "body")


@admin.register(AccessLog)
class AccessLogAdmin(ScopedAdmin):
    """Read-only: the database refuses changes anyway (an append-only trigger)."""

    list_display = ("at", "viewer_name", "resident_name", "field", "reason")
    list_filter = ("field", subtree_filter("area"))
    search_fields = ("viewer_name", "resident_name", "reason")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


__all__ = ["AreaAdmin", "get_object_or_404"]
