from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from grids.admin_mixins import ScopedAdmin, ScopedAdminMixin
from grids.models import Area, CoBuildingUnit, Department, Household, Resident, RoleAssignment


@admin.register(Area)
class AreaAdmin(ScopedAdminMixin, TreeAdmin):
    form = movenodeform_factory(Area)
    list_display = ("name", "kind", "grid_level", "grid_kind", "code")
    list_filter = ("kind", "grid_level", "grid_kind")
    search_fields = ("name", "code")
    list_per_page = 100


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ("name", "area", "phone", "is_active")
    list_select_related = ("area",)
    search_fields = ("name",)


@admin.register(CoBuildingUnit)
class CoBuildingUnitAdmin(ScopedAdmin):
    list_display = ("name", "home_community", "contact_name", "has_party_org", "reported_on")
    list_select_related = ("home_community",)
    search_fields = ("name",)


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ("__str__", "head_name", "member_count", "is_party_member_household")
    list_select_related = ("building",)
    search_fields = ("room", "head_name")
    raw_id_fields = ("building",)


@admin.register(Resident)
class ResidentAdmin(ScopedAdmin):
    list_display = ("name", "household", "verified")
    list_select_related = ("household__building",)
    search_fields = ("name",)
    raw_id_fields = ("household", "user")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "area", "department", "household", "starts_on", "ends_on")
    list_filter = ("role",)
    list_select_related = ("user", "area", "department", "household")
    raw_id_fields = ("user", "area", "department", "household", "unit")
    search_fields = ("user__username", "user__display_name")
