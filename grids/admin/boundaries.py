"""The admin's import of area outlines from a GeoJSON file (grids.actions.import_boundaries:
all or nothing, the errors listed by feature)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grids import actions
from portal.text import TextFormMixin

MAX_BYTES = 20 * 1024 * 1024


class GeoJSONForm(TextFormMixin, forms.Form):
    file = forms.FileField(label=_("GeoJSON file (.geojson, .json)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_BYTES:
            raise ValidationError(_("The file is larger than 20 MB."))
        return f


class BoundaryAdminMixin:
    """Adds /admin/grids/area/import-geojson/ and its link on the change list."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name  # type: ignore[attr-defined]
        return [
            path(
                "import-geojson/",
                self.admin_site.admin_view(self.import_geojson_view),  # type: ignore[attr-defined]
                name="{}_{}_import_geojson".format(*info),
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "geojson_import_url": reverse("admin:grids_area_import_geojson")
            if self.has_change_permission(request)  # type: ignore[attr-defined]
            else None,
        }
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def import_geojson_view(self, request):
        if not self.has_change_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        form = GeoJSONForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                n = actions.import_boundaries(form.cleaned_data["file"].read(), actor=request.user)
            except ValidationError as exc:
                errors = exc.message_dict.get("file", exc.messages)
            else:
                messages.success(request, gettext("Outlines imported for %(n)s areas.") % {"n": n})
                return redirect("admin:grids_area_changelist")
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.opts,  # type: ignore[attr-defined]
            "title": gettext("Import area outlines (GeoJSON)"),
            "form": form,
            "errors": errors,
        }
        status = 400 if errors else 200
        return TemplateResponse(request, "admin/grids/import_geojson.html", context, status=status)
