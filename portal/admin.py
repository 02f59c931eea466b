from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import LoginEvent, User, security_account_ids
from portal.text import TextAdminMixin
from portal.write_path import WritePathMixin


@admin.register(User)
class UserAdmin(TextAdminMixin, BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),  # set by Django; the stubs allow None
        (gettext_lazy("Portal"), {"fields": ("display_name", "phone", "elder_mode")}),
    )
    list_display = ("username", "display_name", "is_staff", "is_active")
    search_fields = ("username", "display_name", "first_name", "last_name")


# --- security: the login log and lockouts (portal.security) -------------------------------------
# Who reads them is a matter of role, not of Django's per-model permissions: city staff (and
# superusers) everything, street/district/community staff the accounts holding a role in their
# subtree (LoginEvent.objects.visible_to), nobody else anything.


def _may_read_security(request) -> bool:
    from grids.models.roles import OFFICE_ROLES
    from grids.scope import scope_for

    scope = scope_for(request.user)
    return request.user.is_active and (scope.is_superuser or bool(scope.roles & OFFICE_ROLES))


class SecurityLogAdmin(WritePathMixin, admin.ModelAdmin):
    def has_module_permission(self, request):
        return _may_read_security(request)

    def has_view_permission(self, request, obj=None):
        if not _may_read_security(request):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LoginEvent)
class LoginEventAdmin(SecurityLogAdmin):
    """Read-only: the database refuses changes anyway (an append-only trigger)."""

    list_display = ("at", "outcome", "username", "user", "ip", "door", "user_agent")
    list_filter = ("outcome", "door")
    search_fields = ("=username", "=ip")
    date_hierarchy = "at"
    list_select_related = ("user",)
    show_full_result_count = False

    def get_queryset(self, request) -> QuerySet:
        ids = security_account_ids(request.user)
        qs = super().get_queryset(request)
        return qs if ids is None else qs.filter(user_id__in=ids)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessAttempt)
class LockoutAdmin(SecurityLogAdmin):
    """Failed-login counters (django-axes): an account or an address at the limit is locked
    until the cool-off ends. Deleting a row (or the "unlock" action) unlocks it."""

    list_display = ("username", "ip_address", "failures_since_start", "attempt_time", "path_info")
    search_fields = ("=username", "=ip_address")
    date_hierarchy = "attempt_time"
    fields = list_display
    readonly_fields = list_display
    actions = ["unlock"]

    def get_queryset(self, request) -> QuerySet:
        qs = super().get_queryset(request)
        ids = security_account_ids(request.user)
        if ids is None:
            return qs
        return qs.filter(username__in=User.objects.filter(pk__in=ids).values("username"))

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    @admin.action(description=gettext_lazy("Unlock the selected accounts and addresses"))
    def unlock(self, request, queryset) -> None:
        count, _deleted = queryset.delete()
        messages.success(request, _("Lockout counters cleared: %(n)d.") % {"n": count})
