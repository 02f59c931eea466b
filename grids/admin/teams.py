"""Grid teams in the admin. Appointing, correcting and ending a membership are grids.actions
operations: a full-time worker's membership carries the grid_worker role that gives the grid's
scope, and the role starts and ends with it whichever door (form, action, Excel) is used."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grids import actions
from grids.admin.common import (
    ExcelAdminMixin,
    OperationAdminMixin,
    OperationForm,
    subtree_filter,
)
from grids.admin_mixins import ScopedAdmin
from grids.models import GridTeamMember
from grids.privacy import shown_phone

# What only a new appointment sets; a correction (update_team_member) leaves them.
APPOINTMENT = ("grid", "role", "user", "starts_on")


class GridTeamMemberForm(OperationForm):
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

    def operate(self, data: dict) -> GridTeamMember:
        if self.instance.pk:
            return actions.update_team_member(
                self.instance,
                name=data["name"],
                phone=data.get("phone") or "",
                organisation=data.get("organisation") or "",
                auxiliary_kind=data.get("auxiliary_kind") or "",
                ends_on=data.get("ends_on"),
                actor=self.actor,
            )
        return actions.appoint_team_member(
            data["grid"],
            role=data["role"],
            name=data["name"],
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
            user=data.get("user"),
            phone=data.get("phone") or "",
            organisation=data.get("organisation") or "",
            auxiliary_kind=data.get("auxiliary_kind") or "",
            actor=self.actor,
        )


@admin.register(GridTeamMember)
class GridTeamMemberAdmin(OperationAdminMixin, ExcelAdminMixin, ScopedAdmin):
    form = GridTeamMemberForm
    add_via = "appoint_team_member"
    change_via = "update_team_member"
    excel_kind = "team_members"
    list_display = ("name", "role", "grid", "organisation", "starts_on", "ends_on")
    list_select_related = ("grid",)
    list_filter = ("role", "auxiliary_kind", subtree_filter("grid"))
    search_fields = ("name", "grid__name", "organisation")
    autocomplete_fields = ("grid",)
    raw_id_fields = ("user",)
    date_hierarchy = "starts_on"
    actions = ["end_today"]

    def get_readonly_fields(self, request, obj=None):
        return APPOINTMENT if obj is not None else ()

    def get_list_display(self, request):
        # The phone column depends on who looks (grids.privacy.shown_phone): a display
        # function bound to this request's user, not state kept on the shared admin instance.
        user = request.user

        @admin.display(description=_("phone"))
        def phone_shown(obj):
            return shown_phone(user, obj.phone, obj.grid)

        shown = list(self.list_display)
        shown.insert(shown.index("organisation") + 1, phone_shown)
        return shown

    @admin.action(description=_("End the selected memberships today"))
    def end_today(self, request, queryset):
        ended, refused = 0, []
        for member in queryset.filter(ends_on__isnull=True):
            try:
                actions.end_team_membership(member, actor=request.user)
                ended += 1
            except ValidationError as exc:
                refused.append(f"{member.name}: {' '.join(exc.messages)}")
        self.message_user(request, gettext("Memberships ended: %(count)d") % {"count": ended})
        for message in refused:
            self.message_user(request, message, level="error")
