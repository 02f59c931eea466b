"""The party organisation in the admin. Organisations, members, contact households,
concurrent members and cross-postings are written by grids.actions (the chain of
organisations, the ten-household limit, units based in the area...): each admin's form calls
the operation, and whatever has no operation is read-only here."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from grids import actions
from grids.admin.common import (
    ExcelAdminMixin,
    OperationAdminMixin,
    OperationForm,
    subtree_filter,
)
from grids.admin_mixins import ScopedAdmin
from grids.models import (
    ConcurrentMember,
    ContactHousehold,
    CrossPosting,
    EstateBody,
    MemberKind,
    PartyMember,
    PartyOrg,
)
from portal.write_path import WritePathMixin


class OperationDeleteMixin:
    """delete_via: one operation per object, for the delete view and the bulk action alike."""

    def delete_model(self, request, obj):
        getattr(actions, self.delete_via)(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


# --- organisations ---------------------------------------------------------------------------
class PartyOrgForm(OperationForm):
    class Meta:
        model = PartyOrg
        fields = ["kind", "name", "area", "parent", "secretary", "founded_on"]

    def operate(self, data: dict) -> PartyOrg:
        if self.instance.pk:
            return actions.update_party_org(
                self.instance,
                name=data["name"],
                secretary=data.get("secretary") or "",
                founded_on=data.get("founded_on"),
                actor=self.actor,
            )
        return actions.create_party_org(
            data["area"],
            kind=data["kind"],
            name=data["name"],
            parent=data.get("parent"),
            secretary=data.get("secretary") or "",
            founded_on=data.get("founded_on"),
            actor=self.actor,
        )


@admin.register(PartyOrg)
class PartyOrgAdmin(OperationAdminMixin, ScopedAdmin):
    form = PartyOrgForm
    add_via = "create_party_org"
    change_via = "update_party_org"
    list_display = ("name", "kind", "area", "parent", "secretary", "members_count")
    list_select_related = ("area", "parent")
    list_filter = ("kind", subtree_filter("area"))
    search_fields = ("name", "secretary", "area__name")
    autocomplete_fields = ("area", "parent")

    def get_readonly_fields(self, request, obj=None):
        # What create_party_org checked (kind, area, chain) stays; the rest is update_party_org.
        return ("kind", "area", "parent") if obj is not None else ()

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_members=Count("members"))

    @admin.display(description=_("members"))
    def members_count(self, obj):
        return obj.n_members


# --- members ---------------------------------------------------------------------------------
class PartyMemberForm(OperationForm):
    """A local member joins a branch (add_party_member); an in-service member reports to a
    community (report_in_service_member); either is corrected by update_party_member."""

    class Meta:
        model = PartyMember
        fields = [
            "name",
            "kind",
            "branch",
            "area",
            "phone",
            "resident",
            "user",
            "workplace",
            "workplace_name",
            "reported_on",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "area" in self.fields:  # a local member's area is their branch's
            self.fields["area"].required = False
            self.fields["area"].help_text = _("For in-service members: the community.")

    def operate(self, data: dict) -> PartyMember:
        common = {"name": data["name"], "phone": data.get("phone") or "", "actor": self.actor}
        if self.instance.pk:
            return actions.update_party_member(
                self.instance,
                resident=data.get("resident"),
                user=data.get("user"),
                workplace=data.get("workplace"),
                workplace_name=data.get("workplace_name") or "",
                **common,
            )
        if data.get("kind") == MemberKind.IN_SERVICE:
            if data.get("area") is None:
                raise ValidationError({"area": _("Choose the community they report to.")})
            return actions.report_in_service_member(
                data["area"],
                workplace=data.get("workplace"),
                workplace_name=data.get("workplace_name") or "",
                reported_on=data.get("reported_on"),
                user=data.get("user"),
                **common,
            )
        if data.get("branch") is None:
            raise ValidationError({"branch": _("A local member needs a branch.")})
        return actions.add_party_member(
            data["branch"], resident=data.get("resident"), user=data.get("user"), **common
        )


class ContactHouseholdInline(WritePathMixin, admin.TabularInline):
    """Shown for reading: links are made and removed on the contact households page, through
    link_contact_household (which assigns the slot) and unlink_contact_household."""

    model = ContactHousehold
    extra = 0
    fields = readonly_fields = ("household", "slot")


class CrossPostingInline(WritePathMixin, admin.TabularInline):
    model = CrossPosting
    extra = 0
    fields = readonly_fields = ("body", "position", "starts_on")


@admin.register(PartyMember)
class PartyMemberAdmin(OperationAdminMixin, ExcelAdminMixin, ScopedAdmin):
    form = PartyMemberForm
    add_via = "add_party_member"  # or report_in_service_member, by kind
    change_via = "update_party_member"
    excel_kind = "party_members"
    list_display = ("name", "kind", "branch", "area", "workplace_name", "contacts_count")
    list_select_related = ("branch", "area")
    list_filter = ("kind", subtree_filter("area"))
    search_fields = ("name", "workplace_name")
    autocomplete_fields = ("area", "branch", "resident", "workplace")
    raw_id_fields = ("user",)
    inlines = [ContactHouseholdInline, CrossPostingInline]

    class Media:
        css = {"all": ["portal/admin.css"]}  # .few-contacts (no style="": the CSP)

    def get_readonly_fields(self, request, obj=None):
        # Where the member belongs (hence who sees them) is fixed when they join.
        return ("kind", "branch", "area", "reported_on") if obj is not None else ()

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_contacts=Count("contacts"))

    @admin.display(description=_("contact households"))
    def contacts_count(self, obj):
        n = obj.n_contacts
        if n < 3:
            return format_html('<span class="few-contacts">{}</span>', n)
        return n


# --- links of members ------------------------------------------------------------------------
class ContactHouseholdForm(OperationForm):
    class Meta:
        model = ContactHousehold
        fields = ["member", "household"]

    def operate(self, data: dict) -> ContactHousehold:
        return actions.link_contact_household(data["member"], data["household"], actor=self.actor)


@admin.register(ContactHousehold)
class ContactHouseholdAdmin(OperationDeleteMixin, OperationAdminMixin, ScopedAdmin):
    form = ContactHouseholdForm
    add_via = "link_contact_household"
    delete_via = "unlink_contact_household"
    list_display = ("member", "household", "slot")
    list_select_related = ("member", "household__building")
    list_filter = (subtree_filter("household__building"),)
    search_fields = ("member__name", "household__head_name")
    autocomplete_fields = ("member", "household")


class ConcurrentMemberForm(OperationForm):
    class Meta:
        model = ConcurrentMember
        fields = ["party_org", "name", "unit", "position"]

    def operate(self, data: dict) -> ConcurrentMember:
        return actions.add_concurrent_member(
            data["party_org"],
            name=data["name"],
            unit=data["unit"],
            position=data.get("position") or "",
            actor=self.actor,
        )


@admin.register(ConcurrentMember)
class ConcurrentMemberAdmin(OperationDeleteMixin, OperationAdminMixin, ScopedAdmin):
    form = ConcurrentMemberForm
    add_via = "add_concurrent_member"
    delete_via = "remove_concurrent_member"
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


class CrossPostingForm(OperationForm):
    class Meta:
        model = CrossPosting
        fields = ["member", "body", "position"]

    def operate(self, data: dict) -> CrossPosting:
        return actions.cross_post(
            data["member"], data["body"], position=data["position"], actor=self.actor
        )


@admin.register(CrossPosting)
class CrossPostingAdmin(OperationDeleteMixin, OperationAdminMixin, ScopedAdmin):
    form = CrossPostingForm
    add_via = "cross_post"
    delete_via = "remove_cross_posting"
    list_display = ("member", "body", "position", "starts_on")
    list_select_related = ("member", "body")
    list_filter = (subtree_filter("body__estate"),)
    search_fields = ("member__name", "body__name", "position")
    autocomplete_fields = ("member", "body")
