"""The admin side of the area scope. Every admin of a scoped model inherits `ScopedAdmin`:
its changelist, change view, actions, search, counts and foreign-key choices see only what the
user's scope covers, and an object outside it is a 404."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404

from grids.scope import may, scope_for
from portal.write_path import WritePathMixin


class _ScopedPermissions:
    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.visible_to(request.user) if hasattr(qs, "visible_to") else qs.none()

    # --- permissions: role decides the action, scope decides the object ------------------
    def has_module_permission(self, request):
        return scope_for(request.user).is_staff and may(request.user, "view", self.model)

    def _may(self, request, action, obj=None):
        if not may(request.user, action, self.model):
            return False
        if obj is None:
            return True
        return scope_for(request.user).covers(obj, "view" if action == "view" else "change")

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view", obj) or self._may(request, "change", obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change", obj)

    def has_add_permission(self, request):
        return self._may(request, "add")

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete", obj)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Out of scope looks exactly like not existing: 404, not a redirect with a hint.
        raise Http404

    # --- choices: a foreign key offers only what the user may see -----------------------------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        manager = related._default_manager
        if "queryset" not in kwargs and hasattr(manager, "visible_to"):
            kwargs["queryset"] = manager.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        manager = related._default_manager
        if "queryset" not in kwargs and hasattr(manager, "visible_to"):
            kwargs["queryset"] = manager.visible_to(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The admin wraps this in a transaction: an object saved outside the user's scope
        # (a crafted POST) rolls back whole.
        if not scope_for(request.user).covers(obj, "change"):
            raise PermissionDenied


class ScopedAdminMixin(WritePathMixin, _ScopedPermissions):
    """Scope decides the object, role the verb, and the write path whether the generic form may
    add, change or delete at all (portal.write_path)."""


class ScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_per_page = 50
    show_full_result_count = False  # one COUNT less per changelist page


class ReadOnlyRegister:
    """A register the admin shows and never writes: rows come from domain operations or
    imports (the access log, the visit log, the holiday years). Put it before the admin base."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
