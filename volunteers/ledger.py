"""The points ledger's write path: THE one way points move.

Every operation builds the legs of one double-entry transaction and calls `post()`, which

1. returns the existing transaction when the idempotency key was already used (the key comes
   from the business event, so the same approval delivered twice pays once);
2. checks in Python that the legs sum to zero per point type (PostgreSQL checks it again at
   commit with a deferred constraint trigger, volunteers/sql/ledger_triggers.sql);
3. inserts the transaction and its entries, then moves the balance rows of member and bounded
   accounts with one conditional `UPDATE … SET balance = balance + delta` each, in account-id
   order (a fixed lock order, so two postings never deadlock). The UPDATE's WHERE re-reads the
   row after waiting for its lock, so an overdraft is refused atomically — never
   read-then-check — and the balance CHECK constraint is the last line of defence.

A refused posting raises LedgerError (a ValidationError naming the field) and leaves the
ledger untouched. Amounts are integer hundredths of a point (see models.ledger.to_cents).

One exception to "everything goes through post()": award(), the hot path, is the database
function volunteers_award() (volunteers/sql/award.sql) — the same steps, the same lock order
and the same checks, in one round trip. award() says why it is the only copy of that rule.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area
from volunteers import sql
from volunteers.models import (
    Account,
    AccountBalance,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    PointsPolicy,
    PointType,
    TxKind,
    to_cents,
)

BOUNDS_CONSTRAINT = "volunteers_balance_within_bounds"


class LedgerError(ValidationError):
    """A posting the rules refuse (overdraft, cap, disallowed gift …); nothing was written."""

    def __init__(self, message: str, field: str = "amount"):
        super().__init__({field: [message]})


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: int  # hundredths of a point, signed
    expires_on: date | None = None


@dataclass(frozen=True)
class Posted:
    transaction: LedgerTransaction
    created: bool  # False when the idempotency key had already been used


# --- point types, policies, accounts ---------------------------------------------------------
_POINT_TYPE_NAMES = {PointType.FUFEN: "福分", PointType.PARTY: "党员积分"}


def point_type(code: str = PointType.FUFEN) -> PointType:
    """The point type by code, created on first use (福分 and 党员积分 exist in every install)."""
    pt = PointType.objects.filter(code=code).first()
    if pt is not None:
        return pt
    pt, _created = PointType.objects.get_or_create(
        code=code,
        defaults={"name": _POINT_TYPE_NAMES.get(code, code), "spendable": code != PointType.PARTY},
    )
    return pt


def policy_for(community: Area, pt: PointType, on: date | None = None) -> PointsPolicy:
    """The community's policy for `pt` in force on `on` (today by default): the newest row
    that has started, else the defaults (1 point per hour, no starter grant, no cap, no
    expiry). Unsaved default rows are never written."""
    on = on or timezone.localdate()
    found = (
        PointsPolicy.objects.filter(community=community, point_type=pt, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )
    return found or PointsPolicy(community=community, point_type=pt)


def _with_balance(account: Account) -> Account:
    if account.tracked:
        AccountBalance.objects.get_or_create(
            account=account, defaults={"floor": account.floor, "ceiling": account.ceiling}
        )
    return account


def member_account(user, community: Area, pt: PointType | None = None) -> Account:
    """The member's account for `pt` (one per member and point type), opened in `community`
    on first use with floor 0 (no negative 福分) and the community's storage cap as ceiling."""
    pt = pt or point_type()
    account = Account.objects.filter(point_type=pt, owner=user, kind=AccountKind.MEMBER).first()
    if account is not None:
        return account
    with transaction.atomic():
        return _open_member(user, community, pt)


def _open_member(user, community: Area, pt: PointType) -> Account:
    cap = policy_for(community, pt).storage_cap
    account, _created = Account.objects.get_or_create(
        point_type=pt,
        owner=user,
        kind=AccountKind.MEMBER,
        defaults={
            "community": community,
            "floor": 0,
            "ceiling": to_cents(cap) if cap is not None else None,
        },
    )
    return _with_balance(account)


def system_account(
    community: Area, kind: str, pt: PointType | None = None, partner: Area | None = None
) -> Account:
    """A community's system account. Issuance may go negative (it is where points come
    from); the donation pool may not (floor 0)."""
    pt = pt or point_type()
    if kind == AccountKind.MEMBER:
        raise ValueError("member accounts belong to a person: use member_account()")
    lookup = {
        "point_type": pt,
        "community": community,
        "kind": kind,
        "partner": partner if kind == AccountKind.CLEARING else None,
        "owner": None,
    }
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    with transaction.atomic():
        account, _created = Account.objects.get_or_create(
            **lookup, defaults={"floor": 0 if kind == AccountKind.DONATION else None}
        )
        return _with_balance(account)


# --- balances --------------------------------------------------------------------------------
def balance(account: Account) -> int:
    """Hundredths of a point. Tracked accounts read their row; system accounts sum entries."""
    if account.tracked:
        row = AccountBalance.objects.filter(account=account).values_list("balance", flat=True)
        return row[0] if row else 0
    return account.entries.aggregate(total=Sum("amount"))["total"] or 0


def history(account: Account, limit: int = 20):
    """The account's last `limit` movements, newest first, with their transactions (one
    query, on the (account, -id) index)."""
    return list(
        LedgerEntry.objects.filter(account=account)
        .select_related("transaction")
        .order_by("-id")[:limit]
    )


# --- the one posting function ----------------------------------------------------------------
def post(
    kind: str,
    key: str,
    community: Area,
    legs: list[Leg],
    *,
    memo: str = "",
    source: str = "",
    actor=None,
    approved_by=None,
    reverses: LedgerTransaction | None = None,
    occurred_at: datetime | None = None,
    key_checked: bool = False,
) -> Posted:
    """Record one transaction (or return the one already recorded under `key`).
    `key_checked`: the caller looked the key up in this transaction already."""
    if not key_checked:
        existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return Posted(existing, False)

    # Merge legs on the same account: one entry and one balance move per account.
    merged: dict[int, list] = {}
    for leg in legs:
        slot = merged.setdefault(leg.account.pk, [leg.account, 0, leg.expires_on])
        slot[1] += leg.amount
    sums: dict[int, int] = defaultdict(int)
    for account, amount, _exp in merged.values():
        sums[account.point_type_id] += amount
    if any(sums.values()):
        raise LedgerError(_("The movement does not balance."), "legs")
    entries = [(a, amt, exp) for a, amt, exp in merged.values() if amt]
    if len(entries) < 2:
        raise LedgerError(_("Enter an amount greater than zero."))

    try:
        with transaction.atomic():
            txn = _insert(
                LedgerTransaction(
                    kind=kind,
                    idempotency_key=key,
                    community=community,
                    memo=memo[:200],
                    source=source[:80],
                    created_by=actor,
                    approved_by=approved_by,
                    reverses=reverses,
                    occurred_at=occurred_at or timezone.now(),
                ),
                entries,
            )
            for account, amount, _exp in sorted(entries, key=lambda e: e[0].pk):
                if account.tracked:
                    _move(account, amount)
    except IntegrityError as exc:
        if BOUNDS_CONSTRAINT in str(exc):
            raise LedgerError(_("Not enough points for this.")) from exc
        # Another posting with the same key committed first: it is the answer.
        dup = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if dup is None:
            raise
        return Posted(dup, False)
    return Posted(txn, True)


def _insert(txn: LedgerTransaction, entries: list) -> LedgerTransaction:
    """Insert the transaction and its entries (two statements; awards, the hot path, do not
    come through here)."""
    txn.save(force_insert=True)
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                transaction=txn,
                account=account,
                point_type_id=account.point_type_id,
                amount=amount,
                expires_on=exp if amount > 0 else None,
            )
            for account, amount, exp in entries
        ]
    )
    return txn


def _move(account: Account, amount: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.MOVE_BALANCE, [amount, timezone.now(), account.pk, amount, amount])
        moved = cursor.rowcount
    if moved:
        return
    if not AccountBalance.objects.filter(account_id=account.pk).exists():
        raise RuntimeError(f"account {account.pk} has no balance row")
    if amount < 0:
        raise LedgerError(_("Not enough points for this."))
    raise LedgerError(_("This would take the account over its storage cap."))


# --- operations ------------------------------------------------------------------------------
QUARTER = Decimal("0.25")


def round_hours(hours: Decimal, cap: Decimal | None = None) -> Decimal:
    """Service hours rounded to the nearest quarter hour, capped per activity."""
    hours = (Decimal(hours) / QUARTER).quantize(Decimal(1), rounding=ROUND_HALF_UP) * QUARTER
    if cap is not None:
        hours = min(hours, Decimal(cap))
    return max(hours, Decimal(0))


def award(
    user,
    hours: Decimal,
    community: Area,
    *,
    key: str,
    pt: PointType | None = None,
    actor=None,
    approved_by=None,
    memo: str = "",
    source: str = "",
) -> Posted:
    """Pay a member for `hours` of service at the community's rate (hours are already
    rounded and capped by the caller). Points over the member's storage cap go to the
    community's donation pool, as in Nanjing.

    The rule is the database function volunteers_award() (volunteers/sql/award.sql): one
    round trip per award instead of seven. Written with post() in Python instead, an award cost
    about 6 times the wall time and 15 times the client CPU (docs/volunteers.md, Figures), so
    the function is the one copy. Python only opens the accounts of a first award and calls it
    again."""
    hours = Decimal(hours)
    if not hours.is_finite():
        raise LedgerError(_("Enter a number of hours greater than zero."), "hours")
    args = (user, hours, community, key, pt, actor, approved_by, memo, source)
    posted = _award_pg(*args)
    if posted is not None:
        return posted
    # The first award of a member (or in a community): open the accounts, then post. One
    # transaction, so a refused award also undoes the accounts it opened.
    with transaction.atomic():
        pt = pt or point_type()
        member = member_account(user, community, pt)
        system_account(community, AccountKind.ISSUANCE, pt)
        if member.ceiling is not None:
            system_account(community, AccountKind.DONATION, pt)
        posted = _award_pg(user, hours, community, key, pt, actor, approved_by, memo, source)
    if posted is None:
        raise RuntimeError(f"volunteers_award found no accounts for user {user.pk} after opening")
    return posted


@cache
def _policy_defaults() -> tuple[Decimal, int | None]:
    """What applies without a PointsPolicy row: the model's field defaults, so the function
    has no copy of them."""
    fields = PointsPolicy._meta
    return (
        fields.get_field("points_per_hour").get_default(),
        fields.get_field("expiry_days").get_default(),
    )


def _award_pg(user, hours, community, key, pt, actor, approved_by, memo, source):
    """One call of volunteers_award(). Returns None when an account must be opened first.
    Outside a transaction the call is its own transaction (one round trip; the deferred
    zero-sum trigger runs at its commit); inside one it runs in a savepoint, so a refusal
    leaves the caller's transaction usable, as post() does."""
    now = timezone.now()
    memo, source = memo[:200], source[:80]
    rate, expiry = _policy_defaults()
    params = [
        key,
        user.pk,
        community.pk,
        pt.pk if pt is not None else None,
        PointType.FUFEN,
        hours,
        timezone.localdate(now),
        now,
        memo,
        source,
        actor.pk if actor is not None else None,
        approved_by.pk if approved_by is not None else None,
        rate,
        expiry,
    ]
    if connection.in_atomic_block:
        with transaction.atomic():
            status, txn_id = _call_award(params)
    else:
        status, txn_id = _call_award(params)
    if status == "created":
        txn = LedgerTransaction(
            pk=txn_id,
            kind=TxKind.AWARD,
            idempotency_key=key,
            community=community,
            memo=memo,
            source=source,
            created_by=actor,
            approved_by=approved_by,
            occurred_at=now,
            created_at=now,
        )
        txn._state.adding = False
        txn._state.db = connection.alias
        return Posted(txn, True)
    if status == "exists":
        return Posted(LedgerTransaction.objects.get(pk=txn_id), False)
    if status == "no_amount":
        raise LedgerError(_("Enter a number of hours greater than zero."), "hours")
    if status == "open":
        return None
    raise RuntimeError(f"volunteers_award answered {status!r}")


def _call_award(params: list) -> tuple[str, int | None]:
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.CALL_AWARD, params)
            return cursor.fetchone()
    except IntegrityError as exc:
        if BOUNDS_CONSTRAINT in str(exc):
            raise LedgerError(_("This would take the account over its storage cap.")) from exc
        raise


@transaction.atomic  # a refusal also undoes any account it opened
def grant_starter(user, community: Area, *, pt: PointType | None = None, actor=None) -> Posted:
    """The community's starter grant for a new member, once per member and point type."""
    pt = pt or point_type()
    policy = policy_for(community, pt)
    amount = to_cents(policy.starter_grant)
    key = f"starter:{pt.code}:{user.pk}"
    if amount <= 0:
        raise LedgerError(_("This community gives no starter grant."))
    member = member_account(user, community, pt)
    issuance = system_account(community, AccountKind.ISSUANCE, pt)
    return post(
        TxKind.STARTER,
        key,
        community,
        [Leg(issuance, -amount), Leg(member, amount)],
        memo=_("Starter grant"),
        actor=actor,
    )


@transaction.atomic  # a refusal also undoes any account it opened
def redeem(
    user,
    amount: int,
    at_community: Area,
    *,
    key: str,
    pt: PointType | None = None,
    actor=None,
    memo: str = "",
    source: str = "",
) -> Posted:
    """Spend points. In another community the move runs through both communities' clearing
    accounts (通存通兑): four entries, each community's books zero-sum, the position between
    them visible on the clearing accounts."""
    pt = pt or point_type()
    if amount <= 0:
        raise LedgerError(_("Enter an amount greater than zero."))
    if not pt.spendable:
        raise LedgerError(_("These points cannot be spent."), "point_type")
    member = Account.objects.filter(point_type=pt, owner=user, kind=AccountKind.MEMBER).first()
    if member is None:
        raise LedgerError(_("Not enough points for this."))
    redemption = system_account(at_community, AccountKind.REDEMPTION, pt)
    legs = [Leg(member, -amount), Leg(redemption, amount)]
    if member.community_id != at_community.pk:
        home = member.community
        legs += [
            Leg(system_account(home, AccountKind.CLEARING, pt, partner=at_community), amount),
            Leg(system_account(at_community, AccountKind.CLEARING, pt, partner=home), -amount),
        ]
    return post(TxKind.REDEEM, key, at_community, legs, memo=memo, source=source, actor=actor)


@transaction.atomic  # a refusal also undoes any account it opened
def gift(sender, recipient, amount: int, *, key: str, pt: PointType | None = None) -> Posted:
    """Give points to a relative (someone in the sender's household), if the sender's
    community allows gifts."""
    from grids.models import Resident

    pt = pt or point_type()
    if amount <= 0:
        raise LedgerError(_("Enter an amount greater than zero."))
    if sender.pk == recipient.pk:
        raise LedgerError(_("Choose someone other than yourself."), "recipient")
    member = Account.objects.filter(point_type=pt, owner=sender, kind=AccountKind.MEMBER).first()
    if member is None:
        raise LedgerError(_("Not enough points for this."))
    if not policy_for(member.community, pt).gifts_allowed:
        raise LedgerError(_("Your community does not allow gifts."), "recipient")
    households = dict(
        Resident.objects.filter(user__in=[sender, recipient]).values_list("user_id", "household_id")
    )
    if not households.get(sender.pk) or households.get(sender.pk) != households.get(recipient.pk):
        raise LedgerError(
            _("Points can be given only to relatives in your household."), "recipient"
        )
    other = member_account(recipient, member.community, pt)
    return post(
        TxKind.GIFT,
        key,
        member.community,
        [Leg(member, -amount), Leg(other, amount)],
        memo=_("Gift"),
        actor=sender,
    )


@transaction.atomic  # a refusal also undoes any account it opened
def donate(user, amount: int, *, key: str, pt: PointType | None = None) -> Posted:
    """Give points to the community's donation pool (for elderly residents in need)."""
    pt = pt or point_type()
    if amount <= 0:
        raise LedgerError(_("Enter an amount greater than zero."))
    member = Account.objects.filter(point_type=pt, owner=user, kind=AccountKind.MEMBER).first()
    if member is None:
        raise LedgerError(_("Not enough points for this."))
    if not policy_for(member.community, pt).donations_allowed:
        raise LedgerError(_("Your community does not take donations."))
    pool = system_account(member.community, AccountKind.DONATION, pt)
    return post(
        TxKind.DONATE,
        key,
        member.community,
        [Leg(member, -amount), Leg(pool, amount)],
        memo=_("Donation"),
        actor=user,
    )


@transaction.atomic  # a refusal also undoes any account it opened
def grant_from_pool(
    community: Area, recipient, amount: int, *, key: str, actor, pt: PointType | None = None
) -> Posted:
    """Staff give points from the donation pool to a resident in need (seeded accounts)."""
    pt = pt or point_type()
    if amount <= 0:
        raise LedgerError(_("Enter an amount greater than zero."))
    pool = system_account(community, AccountKind.DONATION, pt)
    member = member_account(recipient, community, pt)
    try:
        return post(
            TxKind.GRANT,
            key,
            community,
            [Leg(pool, -amount), Leg(member, amount)],
            memo=_("Grant from the donation pool"),
            actor=actor,
        )
    except LedgerError as exc:
        raise LedgerError(_("The donation pool does not hold enough points.")) from exc


@transaction.atomic  # a refusal also undoes any account it opened
def reverse(txn: LedgerTransaction, *, actor=None, memo: str = "") -> Posted:
    """Undo a transaction with its mirror image (entries are never changed or deleted). A
    reversal that would overdraw a member who has already spent the points is refused."""
    if txn.kind == TxKind.REVERSE:
        raise LedgerError(_("A reversal cannot itself be reversed."), "transaction")
    legs = [
        Leg(e.account, -e.amount)
        for e in txn.entries.select_related("account").order_by("account_id")
    ]
    try:
        return post(
            TxKind.REVERSE,
            f"reverse:{txn.pk}",
            txn.community,
            legs,
            memo=memo or _("Reversal of #%(id)s") % {"id": txn.pk},
            actor=actor,
            reverses=txn,
        )
    except LedgerError as exc:
        raise LedgerError(
            _("The points were already spent: this cannot be reversed."), "transaction"
        ) from exc


def expirable(account: Account, today: date) -> int:
    """What has expired and is still unspent, first-in first-out: lots earned earliest are
    spent first, so what has expired beyond everything ever spent is still there to expire."""
    credits = (
        account.entries.filter(amount__gt=0, expires_on__lte=today).aggregate(t=Sum("amount"))["t"]
        or 0
    )
    spent = -(account.entries.filter(amount__lt=0).aggregate(t=Sum("amount"))["t"] or 0)
    return max(0, credits - spent)


def expire(account: Account, today: date | None = None) -> Posted | None:
    """Move the member's expired lots to the community's expired account (idempotent per
    account and day). Does nothing when nothing has expired."""
    today = today or timezone.localdate()
    with transaction.atomic():
        # The balance row lock keeps a spend from slipping in between the sum and the post.
        AccountBalance.objects.select_for_update().filter(pk=account.pk).first()
        amount = expirable(account, today)
        if amount <= 0:
            return None
        sink = system_account(account.community, AccountKind.EXPIRED, account.point_type)
        return post(
            TxKind.EXPIRE,
            f"expire:{account.pk}:{today.isoformat()}",
            account.community,
            [Leg(account, -amount), Leg(sink, amount)],
            memo=_("Points expired"),
        )
