"""Open311 API keys in the admin, for city staff: a key is issued here (open311.actions
.issue_key; the key is shown once, in the message after saving) and revoked by the action on
the list (revoke_key). A key is never edited: revoke it and issue another."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.scope import may
from open311 import actions
from open311.models import ApiKey, ServiceAttribute, Submission
from portal.write_path import WritePathMixin
from services.admin import CatalogueAdmin


class IssueKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name", "channel", "area", "account")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].required = False
        self.fields["account"].help_text = _("Empty: an account is made for the system.")


@admin.register(ApiKey)
class ApiKeyAdmin(WritePathMixin, admin.ModelAdmin):
    list_display = ("name", "prefix", "channel", "area", "is_active", "created_at", "revoked_at")
    list_filter = ("is_active", "channel")
    list_select_related = ("area",)
    search_fields = ("name", "prefix")
    raw_id_fields = ("area", "account")
    form = IssueKeyForm
    add_via = "issue_key"
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [f.name for f in ApiKey._meta.fields]

    def has_module_permission(self, request):
        return may(request.user, "view", ApiKey)

    def has_view_permission(self, request, obj=None):
        return may(request.user, "view", ApiKey)

    def has_add_permission(self, request):
        return may(request.user, "add", ApiKey) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Issue through the operation; the key itself is shown this once."""
        try:
            key, plain = actions.issue_key(
                name=form.cleaned_data["name"],
                channel=form.cleaned_data["channel"],
                area=form.cleaned_data.get("area"),
                account=form.cleaned_data.get("account"),
                actor=request.user,
            )
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc
        obj.pk = key.pk
        obj.__dict__.update({k: v for k, v in key.__dict__.items() if not k.startswith("_")})
        self.message_user(
            request,
            _("The key for %(name)s is %(key)s — copy it now: it is not shown again.")
            % {"name": key.name, "key": plain},
            messages.WARNING,
        )

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request, queryset):
        n = sum(actions.revoke_key(key, actor=request.user) for key in queryset)
        self.message_user(request, _("%(n)s keys revoked.") % {"n": n})


@admin.register(Submission)
class SubmissionAdmin(WritePathMixin, admin.ModelAdmin):
    """What came in through Open311 (read-only): the case, the key, the media fetch."""

    list_display = ("created_at", "case", "key", "media_state", "media_error")
    list_select_related = ("case", "key")
    list_filter = ("media_state",)
    readonly_fields = [f.name for f in Submission._meta.fields]

    def has_module_permission(self, request):
        return may(request.user, "view", ApiKey)

    def has_view_permission(self, request, obj=None):
        return may(request.user, "view", ApiKey)


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(CatalogueAdmin):
    """The extra questions a category asks of Open311 filers (its service definition)."""

    list_display = ("category", "code", "description", "datatype", "required", "order")
    list_select_related = ("category",)
    list_filter = ("datatype", "required")
    search_fields = ("code", "description", "category__name", "category__code")
    autocomplete_fields = ("category",)
