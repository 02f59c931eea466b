from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from portal.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),  # set by Django; the stubs allow None
        (_("Portal"), {"fields": ("display_name", "phone", "elder_mode")}),
    )
    list_display = ("username", "display_name", "is_staff", "is_active")
    search_fields = ("username", "display_name", "first_name", "last_name")
