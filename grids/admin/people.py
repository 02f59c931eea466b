"""The people of the territory in the admin: departments and co-building units, households and
residents (numbers masked, revealed only through the audited reveal), role assignments and the
access log of reveals."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grids import actions
from grids.admin.common import ExcelAdminMixin, subtree_filter
from grids.admin_mixins import ReadOnlyRegister, ScopedAdmin
from grids.models import (
    AccessLog,
    CoBuildingUnit,
    Department,
    GridTeamMember,
    Household,
    HouseholdVisit,
    Resident,
    RoleAssignment,
)
from grids.models.roles import TERRITORIAL_ROLES
from grids.privacy import mask_id_number, mask_phone, reveal
from portal.text import PhoneField, TextAdminMixin, TextFormMixin


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


class ResidentInline(TextAdminMixin, admin.TabularInline):
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


class ResidentChangeForm(TextFormMixin, forms.ModelForm):
    """Editing a resident never puts the stored numbers on the page: new ones may be typed in,
    the old ones are shown masked and revealed only through the audited reveal."""

    new_phone = PhoneField(
        label=_("new mobile phone"),
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
            self.instance.phone = self.cleaned_data["new_phone"]
        if self.cleaned_data.get("new_id_number"):
            self.instance.id_number = self.cleaned_data["new_id_number"].strip().upper()
        return super().save(commit)


class RevealForm(TextFormMixin, forms.Form):
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
            actions.verify_resident(obj, actor=request.user, verified=obj.verified)

    @admin.action(description=_("Verify the selected residents"))
    def verify_selected(self, request, queryset):
        done = 0
        for resident in queryset.filter(verified=False):
            actions.verify_resident(resident, actor=request.user)
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
        resident = self.get_object(request, object_id)
        if resident is None:
            raise Http404
        form = RevealForm(request.POST or None)
        value = None
        status = 200
        if request.method == "POST":
            if form.is_valid():
                value = reveal(
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


class RoleAssignmentForm(TextFormMixin, forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "area", "department", "household", "unit", "starts_on", "ends_on"]

    def clean(self):
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

    # A grid_worker role that came with a team membership starts and ends with it: it is
    # changed through the team (grids.actions.end_team_membership / update_team_member), so
    # a former grid worker cannot keep the grid's scope by an edit here.
    def _from_team(self, obj) -> bool:
        return obj is not None and GridTeamMember.objects.filter(role_assignment=obj).exists()

    def has_change_permission(self, request, obj=None):
        return not self._from_team(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._from_team(obj) and super().has_delete_permission(request, obj)


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyRegister, ScopedAdmin):
    """Read-only: the database refuses changes anyway (an append-only trigger)."""

    list_display = ("at", "viewer_name", "resident_name", "record", "field", "reason")
    list_filter = ("field", subtree_filter("area"))
    search_fields = ("viewer_name", "resident_name", "reason")
    date_hierarchy = "at"


@admin.register(HouseholdVisit)
class HouseholdVisitAdmin(ReadOnlyRegister, ScopedAdmin):
    """The visit log, read-only: grid workers record visits on their phones
    (grids.actions.record_visit); a visit is a record of what happened, never edited."""

    list_display = ("visited_on", "household", "kind", "worker", "follow_up_case")
    list_select_related = ("household__building", "worker")
    list_filter = ("kind", subtree_filter("household__building"))
    search_fields = ("household__room", "household__building__name", "note", "follow_up_case")
    date_hierarchy = "visited_on"
