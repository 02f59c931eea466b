"""The holiday calendar in the admin: the days (written through services.actions, so every
change moves the deadlines it crosses), the imported years, the change log, a banner on these
pages while this or next year lacks data, and the page that imports a year from the State
Council's notice in one step."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.admin_mixins import ReadOnlyRegister
from grids.scope import may
from services import actions, calendar, holiday_files
from services.admin import CatalogueAdmin
from services.models import Holiday, HolidayChange, HolidayYear


def calendar_gaps(request) -> list[str]:
    """The banner's lines for a user who edits holidays (nobody else can act on them)."""
    if not may(request.user, "change", Holiday):
        return []
    return [calendar.describe_gap(y, s) for y, s in calendar.years_needing_data()]


class HolidayImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("notice file"),
        help_text=gettext_lazy(
            "The State Council's notice saved from gov.cn (.html or .txt), an iCalendar file "
            "(.ics) or an Excel sheet (.xlsx) with the columns 日期, 结束日期, 类型, 名称."
        ),
    )
    year = forms.IntegerField(
        label=gettext_lazy("year"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=gettext_lazy("Only needed when the file does not say which year it is for."),
    )
    provisional = forms.BooleanField(
        label=gettext_lazy("statutory days only"),
        required=False,
        help_text=gettext_lazy(
            "Tick when the file holds only the statutory holidays because the notice is not out "
            "yet: the year stays marked as incomplete."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        try:
            cleaned["arrangement"] = holiday_files.read(
                upload.name, upload.read(), cleaned.get("year")
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else "file", errors)
        return cleaned


@admin.register(Holiday)
class HolidayAdmin(CatalogueAdmin):
    list_display = ("date", "name", "is_workday")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    # Holiday.written_by: the form and the delete page go through these operations.
    add_via = "save_holiday"
    change_via = "save_holiday"
    delete_via = "delete_holidays"

    def save_model(self, request, obj, form, change):
        actions.save_holiday(obj, actor=request.user)

    def delete_model(self, request, obj):
        actions.delete_holidays([obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        actions.delete_holidays(list(queryset), actor=request.user)

    def changelist_view(self, request, extra_context=None):
        extra = {"calendar_gaps": calendar_gaps(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra = {"calendar_gaps": calendar_gaps(request), **(extra_context or {})}
        return super().changeform_view(request, object_id, form_url, extra)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="services_holiday_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Import a year from the State Council's notice: all its days at once, or nothing
        (a file with any problem is refused whole, each problem named)."""
        if not may(request.user, "change", Holiday):
            raise PermissionDenied
        form = HolidayImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            arrangement = form.cleaned_data["arrangement"]
            try:
                change = actions.import_holidays(
                    arrangement,
                    actor=request.user,
                    provisional=form.cleaned_data["provisional"],
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    _(
                        "%(year)s imported: %(holidays)s days off and %(workdays)s adjusted "
                        "working days. %(changed)s"
                    )
                    % {
                        "year": arrangement.year,
                        "holidays": arrangement.holidays,
                        "workdays": arrangement.workdays,
                        "changed": _(
                            "The deadlines of open cases that cross the changed days are being "
                            "moved; each moved case says so on its timeline."
                        )
                        if change
                        else _("No day changed: nothing to move."),
                    },
                )
                return HttpResponseRedirect(reverse("admin:services_holiday_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import the State Council's holiday notice"),
            "form": form,
            "calendar_gaps": calendar_gaps(request),
            "years": HolidayYear.objects.all()[:10],
        }
        return TemplateResponse(request, "admin/services/holiday/import.html", context)


@admin.register(HolidayYear)
class HolidayYearAdmin(ReadOnlyRegister, CatalogueAdmin):
    """Which years hold the notice (written by the import only: read-only here)."""

    list_display = ("year", "source", "provisional", "imported_at", "imported_by")
    list_select_related = ("imported_by",)


@admin.register(HolidayChange)
class HolidayChangeAdmin(ReadOnlyRegister, CatalogueAdmin):
    """Every change of the holiday table and how many deadlines it moved (read-only)."""

    list_display = ("created_at", "source", "actor", "day_count", "cases_moved", "finished_at")
    list_select_related = ("actor",)

    @admin.display(description=gettext_lazy("changed days"))
    def day_count(self, obj: HolidayChange) -> int:
        return len(obj.days)
