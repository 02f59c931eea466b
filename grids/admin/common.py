"""What the grids admins share: the "within this area" list filter, Excel import/export, and
forms whose save is a grids.actions operation."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.forms.models import construct_instance
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grids import excel
from grids.models import Area
from portal.excel import xlsx_response
from portal.text import TextFormMixin


# --- filters ---------------------------------------------------------------------------------
def subtree_filter(area_field: str):
    """A list filter "within this street / community / grid" over the user's visible areas."""

    class AreaSubtreeFilter(admin.SimpleListFilter):
        title = _("area")
        parameter_name = "within"

        def lookups(self, request, model_admin):
            areas = (
                Area.objects.visible_to(request.user)
                .filter(kind__in=["street", "community", "grid"], depth__lte=6)
                .order_by("path")
                .only("pk", "name", "kind", "depth")[:300]
            )
            return [(a.pk, f"{'· ' * max(a.depth - 3, 0)}{a.name}") for a in areas]

        def queryset(self, request, queryset):
            if not self.value():
                return queryset
            try:
                area = Area.objects.visible_to(request.user).get(pk=int(self.value()))
            except (Area.DoesNotExist, ValueError, TypeError):
                return queryset.none()
            lookup = f"{area_field}__path__startswith" if area_field else "path__startswith"
            return queryset.filter(**{lookup: area.path})

    return AreaSubtreeFilter


# --- forms that save through an operation ----------------------------------------------------
class _DryRun(Exception):
    pass


class OperationForm(TextFormMixin, forms.ModelForm):
    """A ModelForm whose save is one grids.actions operation (`operate`).

    The admin calls `operate` in save_model. So that a refusal is a form error rather than a
    500, `clean` runs the same operation once inside a savepoint that is always rolled back:
    the rules checked are the operation's own, never a copy of them in the form. The model's
    own constraints are left to the operation too (it full_cleans what it writes)."""

    actor = None  # the requesting user: set by OperationAdminMixin.get_form on a per-request class

    def operate(self, data: dict):
        """Call the operation with the cleaned data; return the object written."""
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            with transaction.atomic():
                self.operate(data)
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc}
            for name, problems in errors.items():
                self.add_error(name if name in self.fields else None, problems)
        return data

    def _post_clean(self):
        # Only fill the instance (the admin logs and redirects with it): the operation
        # validated what it writes, and validating again would repeat its messages.
        opts = self._meta
        self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)


class OperationAdminMixin:
    """save_model is the form's operation: the admin names it in `add_via` / `change_via`
    (portal.write_path) and never saves the instance itself."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # a class made for this request (modelform_factory)
        return form

    def save_model(self, request, obj, form, change):
        written = form.operate(form.cleaned_data)
        obj.pk = written.pk
        obj.__dict__.update(
            {f.attname: getattr(written, f.attname) for f in written._meta.concrete_fields}
        )


# --- Excel -----------------------------------------------------------------------------------
class ExcelForm(TextFormMixin, forms.Form):
    file = forms.FileField(label=_("Excel workbook (.xlsx)"))


class ExcelAdminMixin:
    """Import (all or nothing, with line-numbered errors) and export of one grids.excel kind.
    The import writes through grids.actions where the model is theirs (grids.excel)."""

    excel_kind: str = ""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "import-xlsx/",
                self.admin_site.admin_view(self.import_xlsx_view),
                name="{}_{}_import_xlsx".format(*info),
            ),
            path(
                "export-xlsx/",
                self.admin_site.admin_view(self.export_xlsx_view),
                name="{}_{}_export_xlsx".format(*info),
            ),
            *super().get_urls(),
        ]

    def may_import(self, request) -> bool:
        return self.has_add_permission(request)  # type: ignore[attr-defined]  # the ModelAdmin's

    def changelist_view(self, request, extra_context=None):
        info = self.opts.app_label, self.opts.model_name
        extra_context = {
            **(extra_context or {}),
            "excel_import_url": reverse("admin:{}_{}_import_xlsx".format(*info))
            if self.may_import(request)
            else None,
            "excel_export_url": reverse("admin:{}_{}_export_xlsx".format(*info)),
        }
        return super().changelist_view(request, extra_context)

    def import_xlsx_view(self, request):
        if not self.may_import(request):
            raise PermissionDenied
        report = None
        form = ExcelForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            report = excel.import_xlsx(
                self.excel_kind, form.cleaned_data["file"].read(), request.user
            )
            if report.ok:
                messages.success(
                    request,
                    gettext("Imported %(rows)s rows: %(created)s new, %(updated)s updated.")
                    % {"rows": report.rows, "created": report.created, "updated": report.updated},
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Import %(name)s from Excel")
            % {"name": self.opts.verbose_name_plural},
            "form": form,
            "report": report,
            "columns": [
                f.column_name for f in excel.RESOURCES[self.excel_kind]().get_import_fields()
            ],
        }
        status = 400 if report is not None and not report.ok else 200
        return TemplateResponse(request, "admin/grids/import_xlsx.html", context, status=status)

    def export_xlsx_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return xlsx_response(self.excel_kind, excel.export_xlsx(self.excel_kind, request.user))
