"""The points ledger: point types, accounts, transactions, entries, balances and policies.

Double entry: every movement is a LedgerTransaction whose LedgerEntry rows sum to zero per
point type. Amounts are integers in hundredths of a point ("centi-points"), so a quarter hour
at 1 point per hour (0.25) is exact. On PostgreSQL the database itself keeps the books honest
(see migration 0002): a deferred constraint trigger checks zero-sum at commit, and a trigger
refuses UPDATE and DELETE of entries and transactions (corrections are reversals). Balances of
member and bounded accounts live in AccountBalance, updated in the posting transaction, with a
CHECK that keeps them within the account's floor and ceiling. The only write path is
volunteers.ledger.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel

CENTS = 100  # entries count hundredths of a point


def to_cents(points: Decimal | int | float | str) -> int:
    """Points (as people write them) → the integer hundredths the ledger stores."""
    return int((Decimal(str(points)) * CENTS).to_integral_value())


def from_cents(cents: int | None) -> Decimal:
    return (Decimal(cents or 0) / CENTS).quantize(Decimal("0.01"))


class PointType(models.Model):
    """A currency: 福分 (mutual-aid points, spendable) and 党员积分 (party-member points, for the
    annual review). Kept apart because rewards in goods must not mix with mutual-aid time."""

    FUFEN = "fufen"
    PARTY = "party"

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("point type name"), max_length=40)
    spendable = models.BooleanField(_("spendable on rewards"), default=True)

    class Meta:
        verbose_name = _("point type")
        verbose_name_plural = _("point types")

    def __str__(self) -> str:
        return self.name


class AccountKind(models.TextChoices):
    MEMBER = "member", _("member")
    ISSUANCE = "issuance", _("issuance")
    REDEMPTION = "redemption", _("redemption")
    EXPIRED = "expired", _("expired")
    DONATION = "donation", _("donation pool")
    CLEARING = "clearing", _("clearing")


# System accounts with no bounds take no balance row: every award would otherwise queue on the
# community's single issuance row. Their balance is the sum of their entries (check_ledger).
UNTRACKED_KINDS = frozenset(
    {AccountKind.ISSUANCE, AccountKind.REDEMPTION, AccountKind.EXPIRED, AccountKind.CLEARING}
)


class Account(TimeStampedModel):
    """One holder of one point type in one community: a member, or a community's system
    account (issuance, redemption, expired, donation pool, or clearing towards a partner
    community for city-wide 通存通兑)."""

    written_by = "volunteers.ledger"  # portal.write_path: only its operations change rows

    point_type = models.ForeignKey(
        PointType, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("point type")
    )
    community = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="point_accounts",
        verbose_name=_("community"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=AccountKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="point_accounts",
        verbose_name=_("owner"),
    )
    partner = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner community"),
    )
    floor = models.BigIntegerField(_("floor (1/100 point)"), null=True, blank=True)
    ceiling = models.BigIntegerField(_("ceiling (1/100 point)"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"
    scope_user_field = "owner"

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["point_type", "owner"],
                condition=Q(kind="member"),
                name="volunteers_account_one_per_member",
            ),
            models.UniqueConstraint(
                fields=["point_type", "community", "kind"],
                condition=~Q(kind__in=["member", "clearing"]),
                name="volunteers_account_one_system",
            ),
            models.UniqueConstraint(
                fields=["point_type", "community", "partner"],
                condition=Q(kind="clearing"),
                name="volunteers_account_one_clearing",
            ),
            models.CheckConstraint(
                condition=Q(kind="member", owner__isnull=False)
                | (~Q(kind="member") & Q(owner__isnull=True)),
                name="volunteers_account_owner_iff_member",
            ),
            models.CheckConstraint(
                condition=Q(kind="clearing", partner__isnull=False)
                | (~Q(kind="clearing") & Q(partner__isnull=True)),
                name="volunteers_account_partner_iff_clearing",
            ),
        ]

    def __str__(self) -> str:
        who = self.owner if self.owner_id else self.get_kind_display()
        if self.kind == AccountKind.CLEARING:
            who = f"{who}→{self.partner}"
        return f"{who} · {self.point_type} · {self.community}"

    @property
    def tracked(self) -> bool:
        return self.kind not in UNTRACKED_KINDS


class AccountBalance(models.Model):
    """The running balance of a member or bounded account, updated in the same database
    transaction as its entries. The CHECK is the overdraft rule (no negative 福分) and the
    storage cap: the row lock plus the CHECK enforce them atomically, never read-then-check."""

    written_by = "volunteers.ledger"  # portal.write_path: only its operations change rows

    account = models.OneToOneField(
        Account, on_delete=models.PROTECT, primary_key=True, related_name="balance_row"
    )
    balance = models.BigIntegerField(default=0)
    floor = models.BigIntegerField(null=True, blank=True)
    ceiling = models.BigIntegerField(null=True, blank=True)
    entry_count = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("account balance")
        verbose_name_plural = _("account balances")
        constraints = [
            models.CheckConstraint(
                condition=(Q(floor__isnull=True) | Q(balance__gte=models.F("floor")))
                & (Q(ceiling__isnull=True) | Q(balance__lte=models.F("ceiling"))),
                name="volunteers_balance_within_bounds",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {from_cents(self.balance)}"


class TxKind(models.TextChoices):
    AWARD = "award", _("award for service")
    STARTER = "starter", _("starter grant")
    REDEEM = "redeem", _("redemption")
    GIFT = "gift", _("gift")
    DONATE = "donate", _("donation")
    GRANT = "grant", _("grant from the donation pool")
    REVERSE = "reverse", _("reversal")
    EXPIRE = "expire", _("expiry")
    ADJUST = "adjust", _("adjustment")


class LedgerTransaction(models.Model):
    """One business event that moves points. `idempotency_key` is derived from the event
    (`order:<id>:settle`, `voucher:<id>`), so delivering the same approval twice pays once."""

    written_by = "volunteers.ledger"  # portal.write_path: only its operations change rows

    kind = models.CharField(_("kind"), max_length=10, choices=TxKind.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    community = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=80, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.memo}"


class LedgerEntry(models.Model):
    """One leg of a transaction: a signed amount on one account. Append-only."""

    written_by = "volunteers.ledger"  # portal.write_path: only its operations change rows

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    # Copied from the account so the zero-sum trigger needs no join.
    point_type = models.ForeignKey(PointType, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField(_("amount (1/100 point)"))
    # Earned lots may expire (FIFO) when the community turns expiry on.
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # Copied from the transaction by the database (volunteers/sql/entry_figures.sql, a BEFORE
    # INSERT trigger; whatever an insert says is overwritten) for the dashboard's figures.
    occurred_at = models.DateTimeField(_("occurred at"), null=True, editable=False)
    tx_kind = models.CharField(
        _("kind"), max_length=10, choices=TxKind.choices, null=True, editable=False
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "account__community"
    scope_user_field = "account__owner"

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="volunteers_entry_nonzero")
        ]
        indexes = [
            # A member's history, newest first, and the per-account sums of the drift check.
            models.Index(fields=["account", "-id"], name="volunteers_entry_account_id"),
            # The dashboard's 福分 earned and spent (volunteers.figures): a period's entries
            # of each account in the area, read from the index alone.
            models.Index(
                fields=["account", "occurred_at"],
                include=["tx_kind", "amount"],
                name="volunteers_entry_figs_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {from_cents(self.amount)}"


class PointsPolicy(TimeStampedModel):
    """A community's rules for one point type, from `effective_from` on (the newest row that
    has started applies). Without any row the defaults below apply."""

    community = models.ForeignKey(
        "grids.Area",
        on_delete=models.CASCADE,
        related_name="points_policies",
        verbose_name=_("community"),
    )
    point_type = models.ForeignKey(
        PointType, on_delete=models.PROTECT, related_name="+", verbose_name=_("point type")
    )
    effective_from = models.DateField(_("effective from"), default=date(2000, 1, 1))
    points_per_hour = models.DecimalField(
        _("points per hour"), max_digits=6, decimal_places=2, default=Decimal("1")
    )
    starter_grant = models.DecimalField(
        _("starter grant"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    storage_cap = models.DecimalField(
        _("storage cap"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Points above the cap go to the donation pool. Empty: no cap."),
    )
    max_hours_per_activity = models.DecimalField(
        _("hours capped per activity"), max_digits=5, decimal_places=2, default=Decimal("4")
    )
    gifts_allowed = models.BooleanField(_("gifts to relatives allowed"), default=True)
    donations_allowed = models.BooleanField(_("donations allowed"), default=True)
    expiry_days = models.PositiveIntegerField(
        _("points expire after (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: points never expire (the default)."),
    )
    approval_required = models.BooleanField(_("staff approve hours"), default=False)
    auto_confirm_days = models.PositiveSmallIntegerField(_("auto-confirm after (days)"), default=3)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"

    class Meta:
        verbose_name = _("points policy")
        verbose_name_plural = _("points policies")
        constraints = [
            models.UniqueConstraint(
                fields=["community", "point_type", "effective_from"],
                name="volunteers_policy_one_per_day",
            ),
            models.CheckConstraint(
                condition=Q(points_per_hour__gt=0), name="volunteers_policy_rate_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.point_type} · {self.effective_from}"
