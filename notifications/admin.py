"""Notifications in the admin, for superusers only (a notice is personal; staff read their
own in /inbox/): the inbox rows read-only, the outbox to watch delivery and send failed rows
again, and people's preferences read-only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.admin_mixins import ScopedAdmin
from notifications import actions
from notifications.models import (
    Notification,
    NotificationOutbox,
    NotificationPreference,
    OutboxStatus,
)
from portal.write_path import WritePathMixin


@admin.register(Notification)
class NotificationAdmin(ScopedAdmin):
    list_display = ("title", "kind", "recipient", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("title",)
    raw_id_fields = ("recipient", "case")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ScopedAdmin):
    list_display = ("user", "quiet_hours", "quiet_start", "quiet_end", "updated_at")
    raw_id_fields = ("user",)
    list_select_related = ("user",)


@admin.register(NotificationOutbox)
class NotificationOutboxAdmin(WritePathMixin, admin.ModelAdmin):
    list_display = ("title", "channel", "kind", "status", "attempts", "created_at", "not_before")
    list_filter = ("status", "channel", "kind")
    search_fields = ("title", "address")
    raw_id_fields = ("recipient", "case")
    list_per_page = 50
    show_full_result_count = False
    actions = ["send_again"]

    # Superusers only: addresses are phone numbers of people across the whole city.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    @admin.action(description=gettext_lazy("Send again (failed messages)"))
    def send_again(self, request, queryset):
        ids = list(queryset.filter(status=OutboxStatus.FAILED).values_list("pk", flat=True))
        count = actions.retry_failed(ids)
        messages.success(request, _("Messages queued again: %(count)d.") % {"count": count})
