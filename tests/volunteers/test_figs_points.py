"""The dashboard's 福分 figures (volunteers.figures) read each entry's copy of its transaction's
time and kind (volunteers/sql/entry_figures.sql, written by the database on insert). Pinned here:
the figures equal a direct sum through the transactions on hand-built postings around the
period's edges, the copy is the database's whatever an insert says, and the query count."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q, Sum

from services.calendar import TZ
from volunteers import figures as vol_figures
from volunteers import ledger
from volunteers.ledger import Leg
from volunteers.models import LedgerEntry, LedgerTransaction
from volunteers.models.ledger import AccountKind, TxKind

START = datetime(2026, 3, 1, tzinfo=TZ)
END = datetime(2026, 4, 1, tzinfo=TZ)
S = timedelta(seconds=1)


def _post(kind, key, community, legs, at):
    return ledger.post(kind, key, community, legs, occurred_at=at).transaction


def _postings(t):
    """Awards, redemptions and other kinds, in and out of the period, on both sides, to member
    and system accounts."""
    member_a = ledger.member_account(t.user("resident_a"), t.a.community)
    member_b = ledger.member_account(t.user("resident_b"), t.b.community)
    for side, member in ((t.a, member_a), (t.b, member_b)):
        issuance = ledger.system_account(side.community, AccountKind.ISSUANCE)
        redemption = ledger.system_account(side.community, AccountKind.REDEMPTION)
        c = side.community
        for i, (amount, at) in enumerate(
            ((500, START), (250, END - S), (700, START - S), (300, END), (125, START + 3 * S))
        ):
            _post(
                TxKind.AWARD, f"a:{c.pk}:{i}", c, [Leg(issuance, -amount), Leg(member, amount)], at
            )
        _post(TxKind.STARTER, f"s:{c.pk}", c, [Leg(issuance, -900), Leg(member, 900)], START + S)
        for i, (amount, at) in enumerate(((200, START + 2 * S), (100, END), (50, END - S))):
            _post(
                TxKind.REDEEM,
                f"r:{c.pk}:{i}",
                c,
                [Leg(member, -amount), Leg(redemption, amount)],
                at,
            )


def _direct(path: str) -> dict:
    """The figure the old way: through each entry's transaction."""
    rows = LedgerEntry.objects.filter(
        account__community__path__startswith=path,
        account__kind=AccountKind.MEMBER,
        transaction__occurred_at__gte=START,
        transaction__occurred_at__lt=END,
    ).aggregate(
        earned=Sum("amount", filter=Q(transaction__kind=TxKind.AWARD, amount__gt=0)),
        spent=Sum("amount", filter=Q(transaction__kind=TxKind.REDEEM, amount__lt=0)),
    )
    return {
        "points_earned": (rows["earned"] or 0) / 100,
        "points_spent": -(rows["spent"] or 0) / 100,
    }


def test_points_equal_a_direct_sum_through_the_transactions(territory, django_assert_num_queries):
    t = territory
    _postings(t)
    assert not LedgerEntry.objects.exclude(
        occurred_at=F("transaction__occurred_at"), tx_kind=F("transaction__kind")
    ).exists()
    with django_assert_num_queries(7):  # the viewer's roles (scope), then six aggregates
        street = vol_figures.figures(t.user("street"), t.street, START, END)
    # Each side: awards 500 + 250 + 125 in the period (not 700 before, not 300 at END);
    # redeemed 200 + 50 (not 100 at END); the starter grant is neither.
    assert (street["points_earned"], street["points_spent"]) == (17.5, 5.0)
    assert {k: street[k] for k in ("points_earned", "points_spent")} == _direct(t.street.path)
    a = vol_figures.figures(t.user("street"), t.a.community, START, END)
    assert (a["points_earned"], a["points_spent"]) == (8.75, 2.5)
    assert {k: a[k] for k in ("points_earned", "points_spent")} == _direct(t.a.community.path)


def test_the_copy_is_the_databases_whatever_an_insert_says(territory):
    t = territory
    member = ledger.member_account(t.user("resident_a"), t.a.community)
    issuance = ledger.system_account(t.a.community, AccountKind.ISSUANCE)
    txn = _post(TxKind.AWARD, "a:copy", t.a.community, [Leg(issuance, -10), Leg(member, 10)], START)
    # A bare insert (its balance untouched), rolled back before the commit-time guards look.
    savepoint = transaction.savepoint()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO volunteers_ledgerentry"
            " (transaction_id, account_id, point_type_id, amount, occurred_at, tx_kind)"
            " VALUES (%s, %s, %s, 5, %s, 'redeem') RETURNING id",
            [txn.pk, member.pk, member.point_type_id, END + timedelta(days=30)],
        )
        (entry_id,) = cursor.fetchone()
    entry = LedgerEntry.objects.get(pk=entry_id)
    transaction.savepoint_rollback(savepoint)
    assert (entry.occurred_at, entry.tx_kind) == (START, TxKind.AWARD)
    assert LedgerTransaction.objects.get(pk=txn.pk).occurred_at == entry.occurred_at
