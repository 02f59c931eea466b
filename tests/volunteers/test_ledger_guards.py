"""The ledger's balance rows are their entries' sum, held by PostgreSQL itself (volunteers/sql/
ledger_triggers.sql), and its tables refuse TRUNCATE: what an outside review did with raw SQL
(raised a balance within its bounds, then spent it; emptied the entries) now fails whole.

These commit for real (transactional_db): the checks run at COMMIT, which a test wrapped in a
rolled-back transaction never reaches."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from volunteers import ledger
from volunteers.checks import check_ledger
from volunteers.ledger import LedgerError
from volunteers.models import AccountBalance, AccountKind, LedgerEntry, LedgerTransaction

pytestmark = pytest.mark.django_db(transaction=True)


def _member(t):
    user = t.user("resident_a")
    ledger.award(user, Decimal(1), t.a.community, key="guards:award")  # 1 point = 100
    return user, AccountBalance.objects.get(account__owner=user, account__kind="member")


def _raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_balance_raised_by_raw_sql_is_refused_and_cannot_be_spent(transactional_territory):
    t = transactional_territory
    user, row = _member(t)
    with pytest.raises(IntegrityError, match="moves only by posting entries"):
        # Within its bounds (no ceiling): the CHECK alone let this through.
        _raw(
            "UPDATE volunteers_accountbalance SET balance = balance + 50000 WHERE account_id = %s",
            [row.pk],
        )
    row.refresh_from_db()
    assert row.balance == 100
    with pytest.raises(LedgerError):
        ledger.redeem(user, 50000, t.a.community, key="guards:spend")
    assert check_ledger().clean


def test_the_count_and_the_balance_together_cannot_be_forged(transactional_territory):
    _user, row = _member(transactional_territory)
    with pytest.raises(IntegrityError, match="moves only by posting entries"):
        _raw(
            "UPDATE volunteers_accountbalance SET balance = 500, entry_count = 2 "
            "WHERE account_id = %s",
            [row.pk],
        )
    # A new balance row for an account with entries must carry them too: delete-and-recreate
    # is refused at the delete already.
    with pytest.raises(IntegrityError, match="append-only"):
        AccountBalance.objects.filter(pk=row.pk).delete()
    assert AccountBalance.objects.get(pk=row.pk).balance == 100


def test_entries_posted_without_their_balance_are_refused(transactional_territory):
    t = transactional_territory
    _user, row = _member(t)
    issuance = ledger.system_account(t.a.community, AccountKind.ISSUANCE)
    before = LedgerEntry.objects.count()
    with (
        pytest.raises(IntegrityError, match="moves only by posting entries"),
        transaction.atomic(),
    ):
        txn = LedgerTransaction.objects.create(
            kind="adjust",
            idempotency_key="raw-legs",
            community=t.a.community,
            occurred_at=timezone.now(),
        )
        # Zero-sum and typed right, but the member's balance row does not move.
        pt = issuance.point_type_id
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(transaction=txn, account=row.account, point_type_id=pt, amount=300),
                LedgerEntry(transaction=txn, account=issuance, point_type_id=pt, amount=-300),
            ]
        )
    assert LedgerEntry.objects.count() == before


def test_posting_still_works_in_either_order_and_in_one_transaction(transactional_territory):
    """ledger.post writes entries first, volunteers_award moves the balance first; several
    postings to one account in one transaction are checked against the final row."""
    t = transactional_territory
    user, row = _member(t)
    with transaction.atomic():
        ledger.award(user, Decimal(2), t.a.community, key="guards:two")
        ledger.redeem(user, 150, t.a.community, key="guards:redeem")
        ledger.award(user, Decimal(1), t.a.community, key="guards:three")
    row.refresh_from_db()
    assert (row.balance, row.entry_count) == (100 + 200 - 150 + 100, 4)
    assert check_ledger().clean


@pytest.mark.parametrize(
    "table",
    ["volunteers_ledgerentry", "volunteers_ledgertransaction", "volunteers_accountbalance"],
)
def test_truncate_is_refused(transactional_territory, table):
    _member(transactional_territory)
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    with (
        pytest.raises(IntegrityError, match=f"TRUNCATE of {table} refused"),
        transaction.atomic(),
    ):
        # As in production: the database does not carry the test databases' allowance
        # (catalogs are transactional, so the setting comes back with the rollback).
        _raw(f"ALTER DATABASE {name} RESET linli.ledger_truncate")
        _raw(f"TRUNCATE {table} CASCADE")
    assert LedgerEntry.objects.count() == 2
    with connection.cursor() as cursor:  # the allowance is back for the teardown's flush
        cursor.execute(
            "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d "
            "ON d.oid = s.setdatabase WHERE d.datname = current_database() "
            "AND 'linli.ledger_truncate=allowed' = ANY (s.setconfig)"
        )
        assert cursor.fetchone()[0] == 1
