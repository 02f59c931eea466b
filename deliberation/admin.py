"""Admin for deliberation's catalogues and registers only: the flow presets and kinds (city and
district staff keep them), each community's co-signing thresholds and the owners' floor
areas (scoped). Matters, meetings and votes are worked on the desk (/deliberation/desk/)."""

from django.contrib import admin

from deliberation.models import CosignThreshold, MatterKind, OwnerShare, Preset
from grids.admin_mixins import ScopedAdmin
from grids.models.roles import CATALOGUE_EDITORS
from grids.scope import scope_for
from portal.write_path import WritePathMixin


class CatalogueAdmin(WritePathMixin, admin.ModelAdmin):
    """Any staff member reads; city and district staff edit."""

    search_fields = ["name", "code"]

    def has_module_permission(self, request):
        return scope_for(request.user).is_staff

    def has_view_permission(self, request, obj=None):
        return scope_for(request.user).is_staff

    def _editor(self, request) -> bool:
        return scope_for(request.user).has_role(*CATALOGUE_EDITORS)

    def has_add_permission(self, request):
        return self._editor(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._editor(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editor(request) and super().has_delete_permission(request, obj)


@admin.register(Preset)
class PresetAdmin(CatalogueAdmin):
    list_display = ["name", "code", "publish_plan", "evaluate"]


@admin.register(MatterKind)
class MatterKindAdmin(CatalogueAdmin):
    list_display = [
        "name",
        "code",
        "preset",
        "vote_unit",
        "quorum",
        "majority",
        "weighted_by_area",
        "secret",
        "cosign_threshold",
        "is_active",
    ]
    list_filter = ["preset", "vote_unit", "is_active"]


@admin.register(CosignThreshold)
class CosignThresholdAdmin(ScopedAdmin):
    list_display = ["community", "kind", "threshold"]
    list_select_related = ["community", "kind"]


@admin.register(OwnerShare)
class OwnerShareAdmin(ScopedAdmin):
    list_display = ["household", "floor_area"]
    list_select_related = ["household__building"]
    raw_id_fields = ["household"]
    search_fields = ["household__room", "household__building__name"]
