"""Staff admin for the time bank, scoped by grids (ScopedAdmin): every list, count, search
and choice shows only what the user's area covers.

The write path (portal.write_path): the ledger, orders, vouchers, certificates, memberships,
claims and wishes change only through volunteers.actions / volunteers.ledger, so their admins
are read-only and do their work with admin actions that call those operations (approve or
cancel an order, reverse a transaction, mark a voucher used, issue a certificate, withdraw a
claim, confirm a 双报到 report, put a wish on the wall, fulfil a wish, end a 通存通兑
agreement); a wish is posted through the add form, which calls `post_wish`, and an agreement
is made through the add form, which calls `make_agreement`.

No request state lives on an admin instance (one instance serves every thread): columns that
mask a phone or ID number for the viewer are built per request by `get_list_display` /
`get_readonly_fields`, and the Excel export reads the same per-request columns."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.admin.common import subtree_filter
from grids.admin_mixins import ScopedAdmin
from grids.privacy import shown_id_number, shown_phone
from grids.scope import scope_for
from portal.excel import xlsx_download
from portal.text import TextFormMixin
from portal.write_path import WritePathMixin
from volunteers import actions, ledger
from volunteers.models import (
    Account,
    Certificate,
    ExchangeAgreement,
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
from volunteers.passbook import passbook


def _cell(name, obj, modeladmin):
    """One export cell as the changelist shows it: a choice's label, a related object's name,
    a date as a date (portal.excel writes it)."""
    field, _attr, value = lookup_field(name, obj, modeladmin)
    if field is not None and getattr(field, "flatchoices", None):
        return dict(field.flatchoices).get(value, value)
    return value


@admin.action(description=gettext_lazy("Export the selected rows to Excel"))
def export_xlsx(modeladmin, request, queryset):
    """The selected rows with the list's columns for this request (so masked exactly as the
    list masks them for this viewer)."""
    columns = [c for c in modeladmin.get_list_display(request) if c != "action_checkbox"]
    model = modeladmin.model
    header = [str(label_for_field(c, model, modeladmin)) for c in columns]
    rows = ([_cell(c, obj, modeladmin) for c in columns] for obj in queryset)
    return xlsx_download(str(model._meta.verbose_name_plural), header, rows)


def _each(modeladmin, request, queryset, operation, done_message) -> None:
    """Run `operation(obj)` per selected row; a refusal is a warning naming the row, the
    others go on (each operation is its own transaction)."""
    done = 0
    for obj in queryset:
        try:
            operation(obj)
            done += 1
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj}: {'; '.join(exc.messages)}", messages.WARNING)
    if done:
        modeladmin.message_user(request, done_message % {"n": done})


class VolAdmin(ScopedAdmin):
    actions = [export_xlsx]


@admin.register(Skill, ServiceCategory)
class PlainAdmin(WritePathMixin, admin.ModelAdmin):
    search_fields = ["name"]

    def has_module_permission(self, request):
        return request.user.is_staff


# --- volunteers: numbers masked for the viewer of this request ------------------------------
PRIVATE_LABELS = {"phone": gettext_lazy("mobile phone"), "id_number": gettext_lazy("ID number")}


@dataclass(frozen=True)
class AsSeenBy:
    """A volunteer's phone or ID number as `viewer` may see it (grids.privacy): a changelist
    column or a read-only field, built per request. Two built for the same viewer and field
    are equal, because the admin asks for the read-only fields twice while building a form."""

    viewer: object
    field: str

    @property
    def __name__(self) -> str:
        return f"shown_{self.field}"

    @property
    def short_description(self):
        return PRIVATE_LABELS[self.field]

    def __call__(self, obj) -> str:
        show = shown_phone if self.field == "phone" else shown_id_number
        return show(self.viewer, getattr(obj, self.field), obj.community)


@admin.register(Volunteer)
class VolunteerAdmin(VolAdmin):
    # The phone column is added per request (get_list_display): it depends on the viewer.
    list_display = ["real_name", "community", "is_party_member", "status"]
    list_filter = ["status", "is_party_member", subtree_filter("community")]
    search_fields = ["real_name"]
    list_select_related = ["community"]
    autocomplete_fields = ["skills"]
    # The community is where their points account and passbook live: moving a volunteer is not
    # a field edit (no operation moves the account yet), so it is shown, not edited.
    readonly_fields = ["user", "community", "consent_at"]
    exclude = ["id_number"]
    actions = [export_xlsx, "export_passbook", "issue_certificates"]

    def has_add_permission(self, request):
        # Registration is an operation (consent, the points account, the starter grant): the
        # volunteer registers on /volunteers/ (actions.register_volunteer), not in this form.
        return False

    def get_list_display(self, request):
        name, *others = super().get_list_display(request)
        return [name, AsSeenBy(request.user, "phone"), *others]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), AsSeenBy(request.user, "id_number")]

    @admin.action(description=gettext_lazy("Issue a certificate of approved hours"))
    def issue_certificates(self, request, queryset):
        _each(
            self,
            request,
            queryset.select_related("community", "user"),
            lambda volunteer: actions.issue_certificate(volunteer, request.user),
            _("%(n)s certificates issued."),
        )

    @admin.action(description=gettext_lazy("Export the 爱心存折 passbook (this year) to Excel"))
    def export_passbook(self, request, queryset):
        """Each selected party member's 爱心存折 for this year, read from volunteers.passbook
        (the page the member sees): 党员积分 only — the balance brought forward, every
        movement with its project and the running balance, then the approved hours against
        the yearly target. 福分 never enters this balance."""
        year = timezone.localdate().year
        rows: list[list] = []
        for volunteer in queryset.select_related("user"):
            book = passbook(volunteer.user, year)
            name = volunteer.real_name
            rows.append([name, None, _("Brought forward"), "", "", None, None, float(book.opening)])
            rows.extend(
                [
                    name,
                    line.when,
                    line.kind,
                    line.project,
                    line.memo,
                    float(line.deposit) if line.deposit is not None else None,
                    float(line.withdrawal) if line.withdrawal is not None else None,
                    float(line.balance),
                ]
                for line in book.lines
            )
            rows.append(
                [
                    name,
                    None,
                    _("Service hours against the yearly target"),
                    "",
                    "",
                    float(book.hours),
                    None,
                    float(book.target),
                ]
            )
        header = [
            _("Name"),
            _("Date"),
            _("Kind"),
            _("Project"),
            _("Memo"),
            _("党员积分 in"),
            _("党员积分 out"),
            _("党员积分 balance"),
        ]
        return xlsx_download(f"passbook-{year}", header, rows)


# --- teams and 双报到 ---------------------------------------------------------------------------
class MembershipInline(WritePathMixin, admin.TabularInline):
    """Read-only: requests are decided with the approve/reject actions of the memberships."""

    model = TeamMembership
    extra = 0
    readonly_fields = ["volunteer", "status", "decided_by"]


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
    actions = [export_xlsx, "approve", "reject"]

    def _decide(self, request, queryset, approve):
        _each(
            self,
            request,
            queryset,
            lambda m: actions.decide_membership(m, approve, request.user),
            _("%(n)s requests decided."),
        )

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
    """Members and units send their reports on /volunteers/report/ (actions.submit_report);
    the community confirms them with the action below or on /volunteers/staff/, where a
    refusal is given with its reason (actions.decide_report)."""

    list_display = ["__str__", "year", "status", "target_hours", "decided_at"]
    list_filter = ["year", "status"]
    list_select_related = ["member", "unit", "community"]
    actions = [export_xlsx, "confirm"]

    @admin.action(description=gettext_lazy("Confirm the selected reports"))
    def confirm(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda report: actions.decide_report(report, request.user, True),
            _("%(n)s reports confirmed."),
        )


class ServicePostForm(TextFormMixin, forms.ModelForm):
    def clean_quota(self):
        quota = self.cleaned_data["quota"]
        claimed = self.instance.claimed_count if self.instance.pk else 0
        if quota is not None and quota < claimed:
            raise ValidationError(
                _("%(n)s places are already claimed: the quota cannot be lower.") % {"n": claimed}
            )
        return quota


@admin.register(ServicePost)
class ServicePostAdmin(VolAdmin):
    """A catalogue row the community office keeps, but `claimed_count` belongs to
    claim_post / withdraw_claim: the form never writes it back (it may have moved since the
    form was read)."""

    form = ServicePostForm
    list_display = ["title", "kind", "community", "quota", "claimed_count"]
    readonly_fields = ["claimed_count"]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        kept = {"id", "created_at", "claimed_count"}
        obj.save(update_fields=[f.name for f in obj._meta.concrete_fields if f.name not in kept])
        if not scope_for(request.user).covers(obj, "change"):
            raise PermissionDenied  # a crafted POST: the admin's transaction rolls it back


@admin.register(PostClaim)
class PostClaimAdmin(VolAdmin):
    """Claims are made on /volunteers/teams/ (actions.claim_post, which holds the quota);
    staff withdraw one with the action, which gives the place back."""

    list_display = ["post", "report", "created_at"]
    list_select_related = ["post", "report"]
    actions = [export_xlsx, "withdraw"]

    @admin.action(description=gettext_lazy("Withdraw the selected claims"))
    def withdraw(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda claim: actions.withdraw_claim(claim, request.user),
            _("%(n)s claims withdrawn."),
        )


# --- orders, rewards, wishes, recognition ------------------------------------------------------
@admin.register(ServiceOrder)
class ServiceOrderAdmin(VolAdmin):
    """Orders are placed on the public site or the API (actions.place_order) and move through
    the order flow; staff approve hours or cancel here. No delete: the ledger's keys
    (`order:<id>:settle`) point at orders."""

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
    actions = [export_xlsx, "approve", "cancel"]

    @admin.action(description=gettext_lazy("Approve hours and award points"))
    def approve(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda order: actions.approve_order(order, request.user),
            _("%(n)s orders approved."),
        )

    @admin.action(description=gettext_lazy("Cancel the selected orders"))
    def cancel(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda order: actions.cancel_order(order, request.user),
            _("%(n)s orders cancelled."),
        )


@admin.register(Reward)
class RewardAdmin(VolAdmin):
    list_display = ["name", "kind", "community", "cost_points", "stock", "active"]
    list_filter = ["kind", "active"]

    @admin.display(description=gettext_lazy("price in 福分"))
    def cost_points(self, obj):
        return from_cents(obj.cost)


class AgreementForm(forms.ModelForm):
    """The add form of an agreement: the action's own rules (actions.check_agreement) are
    asked here, so a refusal is a form error, not an error page."""

    user = None  # set per request by ExchangeAgreementAdmin.get_form

    class Meta:
        model = ExchangeAgreement
        fields = ["community", "partner", "starts_on", "ends_on"]

    def clean(self):
        data = super().clean()
        if all(data.get(f) for f in ("community", "partner", "starts_on")):
            try:
                actions.check_agreement(
                    data["community"],
                    data["partner"],
                    self.user,
                    data["starts_on"],
                    data.get("ends_on"),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return data


@admin.register(ExchangeAgreement)
class ExchangeAgreementAdmin(VolAdmin):
    """通存通兑 between two communities: made with the add form (actions.make_agreement writes
    both directions), ended with the action (actions.end_agreement). Street staff and above,
    whose scope covers both communities, make them."""

    form = AgreementForm
    list_display = ["community", "partner", "starts_on", "ends_on", "created_by"]
    list_select_related = ["community", "partner", "created_by"]
    add_via = "make_agreement"
    actions = [export_xlsx, "end"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type("AgreementFormFor", (form,), {"user": request.user})

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        made = actions.make_agreement(
            data["community"],
            data["partner"],
            request.user,
            data["starts_on"],
            data.get("ends_on"),
        )
        obj.pk, obj.created_by = made.pk, made.created_by  # the admin redirects to this row
        obj._state.adding = False

    @admin.action(description=gettext_lazy("End the selected agreements today"))
    def end(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda agreement: actions.end_agreement(agreement, request.user),
            _("%(n)s agreements ended."),
        )


@admin.register(Voucher)
class VoucherAdmin(VolAdmin):
    """Vouchers are issued by a redemption (actions.redeem_reward) and used once (the action
    below, or the shop's scan through the API). No delete: each holds its ledger transaction."""

    list_display = ["code", "reward", "holder", "created_at", "used_at"]
    list_select_related = ["reward", "holder"]
    search_fields = ["code"]
    actions = [export_xlsx, "mark_used"]

    @admin.action(description=gettext_lazy("Mark the selected vouchers used"))
    def mark_used(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda voucher: actions.use_voucher(voucher.code, request.user),
            _("%(n)s vouchers marked used."),
        )


@admin.register(MicroWish)
class MicroWishAdmin(VolAdmin):
    """Staff post a wish with the add form (actions.post_wish: on the wall at once); residents
    post theirs on /volunteers/wishes/new/ and the community reviews them here (the action
    below) or on /volunteers/staff/, where a refusal is given with its reason
    (actions.moderate_wish). Residents and units claim and fulfil wishes on the wall; staff
    may also mark one fulfilled with the action."""

    list_display = ["title", "community", "status", "claimed_by", "fulfilled_at"]
    list_filter = ["status", subtree_filter("community")]
    add_via = "post_wish"
    actions = [export_xlsx, "approve", "fulfil"]
    add_fields = ["community", "title", "beneficiary", "contact"]

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        wish = actions.post_wish(
            request.user, data["community"], data["title"], data["beneficiary"], data["contact"]
        )
        # The admin wraps this in a transaction: a community outside the user's scope (a
        # crafted POST) rolls the wish back.
        if not scope_for(request.user).covers(wish, "change"):
            raise PermissionDenied
        obj.pk, obj.posted_by = wish.pk, wish.posted_by  # the admin redirects to this row
        obj._state.adding = False

    @admin.action(description=gettext_lazy("Put the selected wishes on the wall"))
    def approve(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda wish: actions.moderate_wish(wish, request.user, True),
            _("%(n)s wishes put on the wall."),
        )

    @admin.action(description=gettext_lazy("Mark the selected wishes fulfilled"))
    def fulfil(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda wish: actions.fulfil_wish(wish, request.user),
            _("%(n)s wishes fulfilled."),
        )


@admin.register(Certificate)
class CertificateAdmin(VolAdmin):
    """Issued with the volunteers' action (actions.issue_certificate); numbered, never
    deleted."""

    list_display = ["number", "volunteer", "hours", "created_at"]
    list_select_related = ["volunteer"]


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


# --- the ledger: read-only (written_by volunteers.ledger) ----------------------------------------
@admin.register(Account)
class AccountAdmin(VolAdmin):
    list_display = ["__str__", "kind", "community", "point_type", "current"]
    list_filter = ["kind", "point_type"]
    list_select_related = ["owner", "community", "point_type", "partner", "balance_row"]

    @admin.display(description=gettext_lazy("balance"))
    def current(self, obj):
        return from_cents(ledger.balance(obj))


class EntryInline(WritePathMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ("account", "amount", "expires_on")
    readonly_fields = fields


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(VolAdmin):
    list_display = ["id", "kind", "community", "memo", "occurred_at"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "memo"]
    inlines = [EntryInline]
    actions = [export_xlsx, "reverse"]

    @admin.action(description=gettext_lazy("Reverse the selected transactions"))
    def reverse(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda txn: ledger.reverse(txn, actor=request.user),
            _("%(n)s transactions reversed."),
        )
