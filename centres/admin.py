"""Centres in the admin, every list and form scoped by grids/: community and street staff
see the centres under their area, a centre's operator staff only their own centre.

Rows that centres.actions owns (`written_by`: activities, sign-ups, bookings, appointments,
co-building orders) are read-only here unless a verb is wired to an operation
(portal.write_path): an activity's form saves through create_activity / update_activity, an
appointment's through record_appointment, and everything else is an admin action that calls
the operation (approve, cancel, place …). Catalogue rows (centres, services, spaces, slots,
the affairs catalogue) are edited here, each within the editor's area."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import Q, URLField
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from centres import actions, exports
from centres.admin_forms import ActivityForm, AppointmentRecordForm, CancelActivityForm
from centres.models import (
    Activity,
    AffairItem,
    Agreement,
    Appointment,
    AppointmentSlot,
    Blackout,
    Booking,
    Centre,
    CentrePhoto,
    Closure,
    Function,
    ListItem,
    OpeningHours,
    Operator,
    OperatorContract,
    Order,
    Service,
    ServiceVisit,
    SignUp,
    Space,
)
from grids.admin.common import subtree_filter
from grids.admin_mixins import ScopedAdmin
from grids.models import Resident
from grids.privacy import shown_phone
from grids.scope import scope_for
from portal.text import TextAdminMixin


class ScopedInline(TextAdminMixin, admin.TabularInline):
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        manager = db_field.remote_field.model._default_manager
        if "queryset" not in kwargs and hasattr(manager, "visible_to"):
            kwargs["queryset"] = manager.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _centre_staff(self, request, obj) -> bool:
        return obj is None or actions.is_centre_staff(request.user, obj)

    def has_view_permission(self, request, obj=None):
        return scope_for(request.user).is_staff

    def has_change_permission(self, request, obj=None):
        return self._centre_staff(request, obj)

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class FunctionInline(ScopedInline):
    model = Function
    fields = ["code", "name", "description", "sort"]


class HoursInline(ScopedInline):
    model = OpeningHours


class ClosureInline(ScopedInline):
    model = Closure


class PhotoInline(ScopedInline):
    model = CentrePhoto


def _run(request, label, fn, queryset) -> None:
    done = 0
    for obj in queryset:
        try:
            fn(obj)
            done += 1
        except ValidationError as exc:
            messages.error(request, f"{obj}: {' '.join(exc.messages)}")
    if done:
        messages.success(request, _("%(label)s: %(n)s done.") % {"label": label, "n": done})


def week_view(admin_site, request, pk: int):
    """Bookings, activities and appointments of one centre over seven days."""
    centre = Centre.objects.visible_to(request.user).filter(pk=pk).first()
    if centre is None or not scope_for(request.user).is_staff:
        raise Http404
    try:
        first = date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        first = timezone.localdate()
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = start + timedelta(days=7)
    days: dict[date, list[tuple]] = {first + timedelta(days=i): [] for i in range(7)}
    activities = Activity.objects.filter(
        centre=centre, starts_at__gte=start, starts_at__lt=end
    ).select_related("space")
    bookings = (
        Booking.objects.filter(space__centre=centre, starts_at__gte=start, starts_at__lt=end)
        .exclude(status__in=["cancelled", "rejected"])
        .select_related("space", "booked_by")
    )
    slots = AppointmentSlot.objects.filter(
        centre=centre, starts_at__gte=start, starts_at__lt=end, booked_count__gt=0
    )
    for a in activities:
        days[timezone.localtime(a.starts_at).date()].append(
            (
                a.starts_at,
                a.ends_at,
                "activity",
                a,
                reverse("admin:centres_activity_change", args=[a.pk]),
            )
        )
    for b in bookings:
        days[timezone.localtime(b.starts_at).date()].append(
            (
                b.starts_at,
                b.ends_at,
                "booking",
                b,
                reverse("admin:centres_booking_change", args=[b.pk]),
            )
        )
    for s in slots:
        days[timezone.localtime(s.starts_at).date()].append(
            (
                s.starts_at,
                s.ends_at,
                "appointments",
                s,
                reverse("admin:centres_appointment_changelist") + f"?slot__id__exact={s.pk}",
            )
        )
    for rows in days.values():
        rows.sort(key=lambda r: r[0])
    context = {
        **admin_site.each_context(request),
        "title": gettext("%(centre)s: the week from %(day)s") % {"centre": centre, "day": first},
        "centre": centre,
        "days": days,
        "previous": first - timedelta(days=7),
        "next": first + timedelta(days=7),
        "opts": Centre._meta,
    }
    return TemplateResponse(request, "admin/centres/week.html", context)


@admin.register(Centre)
class CentreAdmin(ScopedAdmin):
    list_display = ["name", "community", "kind", "stars", "floor_area", "is_active", "week"]
    list_filter = ["kind", "stars", "is_active", subtree_filter("community")]
    search_fields = ["name", "address", "community__name"]
    list_select_related = ["community"]
    filter_horizontal = ["served_areas"]
    inlines = [FunctionInline, HoursInline, ClosureInline, PhotoInline]
    raw_id_fields = ["community"]

    @admin.display(description=_("week"))
    def week(self, obj):
        url = reverse("admin:centres_centre_week", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("week at a glance"))

    def get_urls(self):
        site = self.admin_site
        return [
            path(
                "<int:pk>/week/",
                site.admin_view(lambda request, pk: week_view(site, request, pk)),
                name="centres_centre_week",
            ),
            path(
                "figures/",
                site.admin_view(lambda request: exports.figures_view(site, request)),
                name="centres_figures",
            ),
            *super().get_urls(),
        ]


@admin.register(Operator)
class OperatorAdmin(ScopedAdmin):
    list_display = ["name", "status", "area", "contact_name"]
    list_filter = ["status"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["area"]
    raw_id_fields = ["area"]

    def _may(self, request, action, obj=None):
        # Operators are seen through contracts as well as by area (OperatorQuerySet), which
        # the generic per-object check (Scope.covers) does not know about.
        if obj is None or not super()._may(request, action):
            return super()._may(request, action, obj)
        qs = Operator.objects.visible_to if action == "view" else Operator.objects.changeable_by
        return qs(request.user).filter(pk=obj.pk).exists()


@admin.register(OperatorContract)
class OperatorContractAdmin(ScopedAdmin):
    list_display = ["operator", "centre", "starts_on", "ends_on", "government_funded"]
    list_filter = ["government_funded"]
    list_select_related = ["operator", "centre"]
    date_hierarchy = "starts_on"


@admin.register(Service)
class ServiceAdmin(ScopedAdmin):
    list_display = ["name", "centre", "function", "operator", "price_tier", "price", "is_active"]
    list_filter = ["price_tier", "function__code", "is_active"]
    search_fields = ["name", "centre__name"]
    list_select_related = ["centre", "function", "operator"]


@admin.register(Space)
class SpaceAdmin(ScopedAdmin):
    list_display = ["name", "centre", "kind", "capacity", "needs_approval", "is_active"]
    list_filter = ["kind", "needs_approval"]
    search_fields = ["name", "centre__name"]
    list_select_related = ["centre"]


@admin.register(Blackout)
class BlackoutAdmin(ScopedAdmin):
    list_display = ["reason", "centre", "space", "starts_at", "ends_at"]
    list_select_related = ["centre", "space"]


@admin.register(Booking)
class BookingAdmin(ScopedAdmin):
    list_display = ["space", "starts_at", "ends_at", "status", "purpose", "booked_by", "code"]
    list_filter = ["status"]
    search_fields = ["=code", "purpose", "space__name"]
    list_select_related = ["space__centre", "booked_by"]
    date_hierarchy = "starts_at"
    # Read-only (Booking.written_by): bookings are made through book_space (overlap,
    # blackouts, hours) and decided or cancelled by these actions.
    actions = ["approve", "reject", "cancel"]

    @admin.action(description=_("Approve the selected bookings"))
    def approve(self, request, queryset):
        _run(
            request,
            _("Approved"),
            lambda b: actions.decide_booking(b, actor=request.user, approve=True),
            queryset,
        )

    @admin.action(description=_("Reject the selected bookings"))
    def reject(self, request, queryset):
        _run(
            request,
            _("Rejected"),
            lambda b: actions.decide_booking(b, actor=request.user, approve=False),
            queryset,
        )

    @admin.action(description=_("Cancel the selected bookings"))
    def cancel(self, request, queryset):
        _run(
            request,
            _("Cancelled"),
            lambda b: actions.cancel_booking(b, actor=request.user),
            queryset,
        )


@admin.register(Activity)
class ActivityAdmin(ScopedAdmin):
    list_display = [
        "title",
        "centre",
        "function",
        "starts_at",
        "capacity",
        "confirmed_count",
        "waitlist_count",
        "attendees",
    ]
    list_filter = ["kind", "function__code", "is_cancelled"]
    search_fields = ["title", "centre__name"]
    list_select_related = ["centre", "function"]
    date_hierarchy = "starts_at"
    form = ActivityForm
    readonly_fields = ["is_cancelled", "confirmed_count", "waitlist_count", "priority_confirmed"]
    actions = ["cancel", "survey"]
    # Activity.written_by: the form saves through these; cancelling is the action below (it
    # tells everyone signed up); delete is off.
    add_via = "create_activity"
    change_via = "update_activity"

    def get_readonly_fields(self, request, obj=None):
        # The centre is chosen once: functions, spaces and sign-ups belong to it.
        return [*self.readonly_fields, "centre"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            actions.create_activity(obj, actor=request.user)
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        actions.update_activity(obj.pk, actor=request.user, changes=changes)

    def _changeform_view(self, request, object_id, form_url, extra_context):
        # The form checks the places rule first (ActivityForm); should the counts move between
        # that check and the locked one, the operation's refusal is a message, not a 500 (its
        # own transaction has rolled back).
        try:
            return super()._changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(request.get_full_path())

    @admin.display(description=_("attendees"))
    def attendees(self, obj):
        url = reverse("admin:centres_activity_attendees", args=[obj.pk])
        on_behalf = reverse("admin:centres_activity_sign_up", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            url,
            gettext("Excel"),
            on_behalf,
            gettext("sign up a resident"),
        )

    def sign_up_view(self, request, pk: int):
        """代报名: staff find a resident in their area by name or phone and sign them up."""
        activity = Activity.objects.visible_to(request.user).filter(pk=pk).first()
        if activity is None or not actions.is_centre_staff(request.user, activity.centre):
            raise Http404
        query = request.GET.get("q", "").strip()
        found = []
        if query:
            found = list(
                Resident.objects.visible_to(request.user)
                .filter(Q(name__icontains=query) | Q(phone=query))
                .select_related("household__building")
                .order_by("name")[:20]
            )
        if request.method == "POST":
            resident = (
                Resident.objects.visible_to(request.user)
                .select_related("household__building")
                .filter(pk=request.POST.get("resident") or 0)
                .first()
            )
            if resident is None:
                messages.error(request, gettext("No such resident."))
            else:
                try:
                    signup = actions.sign_up(activity, actor=request.user, resident=resident)
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                else:
                    messages.success(
                        request,
                        gettext("%(name)s: %(status)s, code %(code)s")
                        % {
                            "name": signup.name,
                            "status": signup.get_status_display(),
                            "code": signup.code,
                        },
                    )
                    return HttpResponseRedirect(request.path)
        rows = [(r, shown_phone(request.user, r.phone, r.household.building)) for r in found]
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Sign up a resident: %(title)s") % {"title": activity.title},
            "activity": activity,
            "query": query,
            "rows": rows,
            "opts": Activity._meta,
        }
        return TemplateResponse(request, "admin/centres/sign_up.html", context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/sign-up/",
                self.admin_site.admin_view(self.sign_up_view),
                name="centres_activity_sign_up",
            ),
            path(
                "<int:pk>/attendees.xlsx",
                self.admin_site.admin_view(exports.attendees_xlsx),
                name="centres_activity_attendees",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Cancel the selected activities (everyone signed up is told)"))
    def cancel(self, request, queryset):
        form = CancelActivityForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            _run(
                request,
                _("Cancelled"),
                lambda a: actions.cancel_activity(a, actor=request.user, reason=reason),
                queryset,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Cancel activities"),
            "activities": queryset,
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": Activity._meta,
        }
        return TemplateResponse(request, "admin/centres/cancel_activities.html", context)

    @admin.action(description=_("Send the follow-up survey to those who came"))
    def survey(self, request, queryset):
        _run(
            request,
            _("Survey sent"),
            lambda a: actions.send_survey(a, actor=request.user),
            queryset,
        )


@admin.register(SignUp)
class SignUpAdmin(ScopedAdmin):
    list_display = ["name", "activity", "status", "is_priority", "checked_in_at", "code"]
    list_filter = ["status", "is_priority"]
    search_fields = ["=code", "name", "activity__title"]
    list_select_related = ["activity"]
    # Read-only (SignUp.written_by): a sign-up is made by sign_up (capacity, waitlist) and
    # ended by this action, which frees the place for the waitlist; never deleted.
    actions = ["cancel"]

    @admin.action(description=_("Cancel the selected sign-ups (frees places for the waitlist)"))
    def cancel(self, request, queryset):
        _run(
            request,
            _("Cancelled"),
            lambda s: actions.cancel_signup(s, actor=request.user),
            queryset,
        )


@admin.register(AffairItem)
class AffairItemAdmin(ScopedAdmin):
    """The affairs catalogue by area: city and district staff keep the items of the areas they
    cover (the city's items only whoever covers the city); staff read the items that apply
    where they work too (AffairItemQuerySet)."""

    list_display = ["name", "area", "department", "time_limit_days", "at_centre", "proxy"]
    search_fields = ["name", "department"]
    # A link typed without a scheme is the province's service site: https, as Django 6 will.
    formfield_overrides = {URLField: {"assume_scheme": "https"}}
    list_filter = ["proxy", "home_visit", "at_centre"]
    list_select_related = ["area"]
    raw_id_fields = ["area"]

    def _may(self, request, action, obj=None):
        # Reading reaches the items above the user's areas, which Scope.covers does not know.
        if obj is None or not super()._may(request, action):
            return super()._may(request, action, obj)
        qs = AffairItem.objects.visible_to if action == "view" else AffairItem.objects.changeable_by
        return qs(request.user).filter(pk=obj.pk).exists()


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(ScopedAdmin):
    list_display = ["centre", "starts_at", "ends_at", "capacity", "booked_count", "off_hours"]
    list_filter = ["off_hours"]
    list_select_related = ["centre"]
    date_hierarchy = "starts_at"


@admin.register(Appointment)
class AppointmentAdmin(ScopedAdmin):
    list_display = ["name", "item", "slot", "channel", "status", "handled_by"]
    list_filter = ["status", "channel"]
    search_fields = ["=code", "name", "item__name"]
    list_select_related = ["item", "slot__centre", "handled_by"]
    form = AppointmentRecordForm
    readonly_fields = ["name", "item", "slot", "channel", "code", "handled_by", "handled_at"]
    fields = [*readonly_fields, "status", "outcome", "acting_for", "consent"]
    change_via = "record_appointment"  # Appointment.written_by; add and delete are off

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        actions.record_appointment(
            obj.pk,
            actor=request.user,
            status=data["status"],
            outcome=data["outcome"],
            acting_for=data["acting_for"],
            consent=data["consent"],
        )


@admin.register(Agreement)
class AgreementAdmin(ScopedAdmin):
    list_display = ["unit", "centre", "starts_on", "ends_on"]
    list_select_related = ["unit", "centre"]


@admin.register(ListItem)
class ListItemAdmin(ScopedAdmin):
    list_display = ["title", "kind", "centre", "unit", "quota", "claimed", "is_open"]
    list_filter = ["kind", "is_open"]
    search_fields = ["title"]
    list_select_related = ["centre", "unit"]


@admin.register(Order)
class OrderAdmin(ScopedAdmin):
    """Read-only (Order.written_by): each step of 居民点单 → 社区下单 → 单位接单 → completed is an
    action calling its operation, which checks the step order and the unit's quota."""

    list_display = ["item", "status", "requested_by", "placed_at", "accepted_at", "completed_at"]
    list_filter = ["status"]
    list_select_related = ["item__centre", "requested_by"]
    # Units accept on their own desk (centres:unit-desk), not here.
    actions = ["place", "complete_kept", "complete_not_kept"]

    @admin.action(description=_("Place the selected orders with the unit (社区下单)"))
    def place(self, request, queryset):
        _run(request, _("Placed"), lambda o: actions.place_order(o, actor=request.user), queryset)

    @admin.action(description=_("Complete the selected orders: promise kept"))
    def complete_kept(self, request, queryset):
        _run(
            request,
            _("Completed"),
            lambda o: actions.complete_order(o, actor=request.user, promise_kept=True),
            queryset,
        )

    @admin.action(description=_("Complete the selected orders: promise not kept"))
    def complete_not_kept(self, request, queryset):
        _run(
            request,
            _("Completed"),
            lambda o: actions.complete_order(o, actor=request.user, promise_kept=False),
            queryset,
        )


@admin.register(ServiceVisit)
class ServiceVisitAdmin(ScopedAdmin):
    list_display = ["service", "at", "quantity", "resident_name", "recorded_by"]
    list_select_related = ["service__centre", "recorded_by"]
    date_hierarchy = "at"
    exclude = ["recorded_by"]

    def save_model(self, request, obj, form, change):
        obj.recorded_by = obj.recorded_by or request.user
        super().save_model(request, obj, form, change)
