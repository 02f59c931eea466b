"""Staff admin for the time bank, scoped by grids (ScopedAdmin): every list, count, search
and choice shows only what the user's area covers. The ledger is read-only here: points move
through volunteers.actions / volunteers.ledger (approve orders, reverse a transaction)."""

from __future__ import annotations

import io
from datetime import datetime

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.admin_mixins import ScopedAdmin
from grids.privacy import shown_id_number, shown_phone
from volunteers import actions, ledger
from volunteers.models import (
    Account,
    Certificate,
    LedgerEntry,
    LedgerTransaction,
    MicroWish,
    PartyReport,
    PointsPolicy,
    PostClaim,
    Reward,
    ServiceCategory,
    ServiceOrder,
    ServicePost,
    Skill,
    StarScheme,
    Talent,
    Team,
    TeamMembership,
    Volunteer,
    Voucher,
    from_cents,
)


def xlsx_response(title: str, header: list[str], rows) -> HttpResponse:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:30])
    ws.append(header)
    for row in rows:
        ws.append(
            [
                timezone.localtime(v).replace(tzinfo=None)
                if isinstance(v, datetime)
                else (v if v is None or isinstance(v, int | float | str) else str(v))
                for v in row
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{title}-{stamp}.xlsx"'
    return response


@admin.action(description=gettext_lazy("Export the selected rows to Excel"))
def export_xlsx(modeladmin, request, queryset):
    """The selected rows with the list's columns (privacy-masked where the list masks)."""
    columns = [c for c in modeladmin.list_display if c != "__str__"] or ["__str__"]
    header, getters = [], []
    for name in columns:
        attr = getattr(modeladmin, name, None)
        if callable(attr):
            header.append(str(getattr(attr, "short_description", name)))
            getters.append(lambda obj, a=attr: a(obj))
        else:
            try:
                header.append(str(modeladmin.model._meta.get_field(name).verbose_name))
            except Exception:
                header.append(name)
            getters.append(
                lambda obj, n=name: (
                    getattr(obj, f"get_{n}_display")()
                    if hasattr(obj, f"get_{n}_display")
                    else getattr(obj, n)
                )
            )
    modeladmin._viewer = request.user
    rows = ([g(obj) for g in getters] for obj in queryset)
    return xlsx_response(str(modeladmin.model._meta.verbose_name_plural), header, rows)


class VolAdmin(ScopedAdmin):
    actions = [export_xlsx]


@admin.register(Skill, ServiceCategory)
class PlainAdmin(admin.ModelAdmin):
    search_fields = ["name"]

    def has_module_permission(self, request):
        return request.user.is_staff


@admin.register(Volunteer)
class VolunteerAdmin(VolAdmin):
    list_display = ["real_name", "masked_phone", "community", "is_party_member", "status"]
    list_filter = ["status", "is_party_member"]
    search_fields = ["real_name"]
    list_select_related = ["community"]
    autocomplete_fields = ["skills"]
    readonly_fields = ["user", "consent_at", "shown_id"]
    exclude = ["id_number"]
    actions = [export_xlsx, "export_passbook"]

    @admin.display(description=gettext_lazy("mobile phone"))
    def masked_phone(self, obj):
        return shown_phone(getattr(self, "_viewer", None), obj.phone, obj.community)

    @admin.display(description=gettext_lazy("ID number"))
    def shown_id(self, obj):
        return shown_id_number(getattr(self, "_viewer", None), obj.id_number, obj.community)

    def get_queryset(self, request):
        self._viewer = request.user  # the privacy helpers take the viewing user
        return super().get_queryset(request)

    @admin.action(description=gettext_lazy("Export the 爱心存折 passbook (this year) to Excel"))
    def export_passbook(self, request, queryset):
        """A party member's yearly summary: every points movement this year with the running
        balance, per selected volunteer."""
        year = timezone.localdate().year
        rows = []
        for volunteer in queryset.select_related("user"):
            running = 0
            entries = (
                LedgerEntry.objects.filter(
                    account__owner=volunteer.user, transaction__occurred_at__year=year
                )
                .select_related("transaction", "point_type")
                .order_by("point_type_id", "id")
            )
            for e in entries:
                running += e.amount
                rows.append(
                    [
                        volunteer.real_name,
                        e.point_type.name,
                        e.transaction.occurred_at,
                        e.transaction.get_kind_display(),
                        e.transaction.memo,
                        float(from_cents(e.amount)) if e.amount > 0 else None,
                        float(from_cents(-e.amount)) if e.amount < 0 else None,
                        float(from_cents(running)),
                    ]
                )
            hours = actions.party_year(volunteer.user, year)
            rows.append(
                [volunteer.real_name, _("Service hours"), None, _("Target"), "", None, None, None]
            )
            rows[-1][5] = float(hours["hours"])
            rows[-1][7] = float(hours["target"])
        header = [
            _("Name"),
            _("Point type"),
            _("Date"),
            _("Kind"),
            _("Memo"),
            _("Deposit"),
            _("Withdrawal"),
            _("Balance"),
        ]
        return xlsx_response(f"passbook-{year}", header, rows)


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    readonly_fields = ["volunteer", "status", "decided_by"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(VolAdmin):
    list_display = ["name", "kind", "community", "leader"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(TeamMembership)
class TeamMembershipAdmin(VolAdmin):
    list_display = ["volunteer", "team", "status"]
    list_filter = ["status"]
    readonly_fields = ["status", "decided_by"]
    actions = [export_xlsx, "approve", "reject"]

    def _decide(self, request, queryset, approve):
        for m in queryset:
            try:
                actions.decide_membership(m, approve, request.user)
            except ValidationError as exc:
                self.message_user(request, f"{m}: {'; '.join(exc.messages)}", messages.WARNING)

    @admin.action(description=gettext_lazy("Approve the selected requests"))
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=gettext_lazy("Reject the selected requests"))
    def reject(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(Talent)
class TalentAdmin(VolAdmin):
    list_display = ["volunteer", "profession", "hours_offered"]
    search_fields = ["profession", "volunteer__real_name"]


@admin.register(PartyReport)
class PartyReportAdmin(VolAdmin):
    list_display = ["__str__", "year", "target_hours"]
    list_filter = ["year"]


@admin.register(ServicePost)
class ServicePostAdmin(VolAdmin):
    list_display = ["title", "kind", "community", "quota", "claimed_count"]
    readonly_fields = ["claimed_count"]


@admin.register(PostClaim)
class PostClaimAdmin(VolAdmin):
    list_display = ["post", "report", "created_at"]


@admin.register(ServiceOrder)
class ServiceOrderAdmin(VolAdmin):
    list_display = [
        "id",
        "category",
        "community",
        "scheduled_at",
        "status",
        "volunteer",
        "hours",
        "rating",
        "flagged_at",
    ]
    list_filter = ["status", ("flagged_at", admin.EmptyFieldListFilter), "category"]
    list_select_related = ["category", "community", "volunteer"]
    search_fields = ["description", "place"]
    actions = [export_xlsx, "approve"]
    readonly_fields = [
        f.name
        for f in ServiceOrder._meta.fields
        if f.name not in ("id", "description", "place", "scheduled_at")
    ]

    def has_add_permission(self, request):
        return False  # orders are placed on the public site or the API (actions.place_order)

    @admin.action(description=gettext_lazy("Approve hours and award points"))
    def approve(self, request, queryset):
        done = 0
        for order in queryset:
            try:
                actions.approve_order(order, request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"#{order.pk}: {'; '.join(exc.messages)}", "warning")
        self.message_user(request, _("%(n)s orders approved.") % {"n": done})


@admin.register(Reward)
class RewardAdmin(VolAdmin):
    list_display = ["name", "kind", "community", "cost_points", "stock", "active"]
    list_filter = ["kind", "active"]

    @admin.display(description=gettext_lazy("points"))
    def cost_points(self, obj):
        return from_cents(obj.cost)


@admin.register(Voucher)
class VoucherAdmin(VolAdmin):
    list_display = ["code", "reward", "holder", "created_at", "used_at"]
    search_fields = ["code"]
    readonly_fields = ["reward", "holder", "code", "cost", "transaction", "used_at", "used_by"]

    def has_add_permission(self, request):
        return False


@admin.register(MicroWish)
class MicroWishAdmin(VolAdmin):
    list_display = ["title", "community", "status", "claimed_by", "fulfilled_at"]
    list_filter = ["status"]


@admin.register(Certificate)
class CertificateAdmin(VolAdmin):
    list_display = ["number", "volunteer", "hours", "created_at"]
    readonly_fields = ["number", "volunteer", "community", "hours", "content", "issued_by"]

    def has_add_permission(self, request):
        return False  # issued with actions.issue_certificate


@admin.register(StarScheme)
class StarSchemeAdmin(VolAdmin):
    list_display = ["area", "thresholds"]


@admin.register(PointsPolicy)
class PointsPolicyAdmin(VolAdmin):
    list_display = [
        "community",
        "point_type",
        "effective_from",
        "points_per_hour",
        "starter_grant",
        "storage_cap",
        "expiry_days",
        "approval_required",
    ]


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyMixin, VolAdmin):
    list_display = ["__str__", "kind", "community", "point_type", "current"]
    list_filter = ["kind", "point_type"]
    list_select_related = ["owner", "community", "point_type", "partner", "balance_row"]

    @admin.display(description=gettext_lazy("balance"))
    def current(self, obj):
        return from_cents(ledger.balance(obj))


class EntryInline(ReadOnlyMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount", "expires_on"]
    readonly_fields = fields


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyMixin, VolAdmin):
    list_display = ["id", "kind", "community", "memo", "occurred_at"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "memo"]
    inlines = [EntryInline]
    actions = [export_xlsx, "reverse"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Reverse the selected transactions"))
    def reverse(self, request, queryset):
        for txn in queryset:
            try:
                ledger.reverse(txn, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"#{txn.pk}: {'; '.join(exc.messages)}", "warning")
