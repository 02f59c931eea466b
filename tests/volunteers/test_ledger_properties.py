"""Property-based: random sequences of awards, redemptions, gifts, donations, reversals and
expiries. After every sequence (with the deferred zero-sum trigger forced to run) the books
hold: entries sum to zero per transaction and point type, every balance equals the sum of its
entries and lies within its bounds, and a refused operation changed nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.volunteers.conftest import add_relative
from volunteers import ledger
from volunteers.checks import check_ledger
from volunteers.ledger import LedgerError
from volunteers.models import AccountBalance, LedgerEntry, LedgerTransaction, PointsPolicy

pytestmark = pytest.mark.django_db

members = st.integers(min_value=0, max_value=2)
ops = st.one_of(
    st.tuples(st.just("award"), members, st.integers(1, 16)),  # quarter hours
    st.tuples(st.just("redeem"), members, st.integers(1, 500), st.booleans()),
    st.tuples(st.just("gift"), members, st.integers(1, 300)),
    st.tuples(st.just("donate"), members, st.integers(1, 300)),
    st.tuples(st.just("grant"), members, st.integers(1, 300)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("expire"), members, st.integers(0, 60)),
    st.tuples(st.just("retry")),  # replay an earlier award's key
)


def _snapshot():
    return (
        LedgerEntry.objects.count(),
        tuple(AccountBalance.objects.order_by("pk").values_list("balance", flat=True)),
    )


@pytest.fixture
def books(territory):
    t = territory
    add_relative(t)
    pt = ledger.point_type()
    # Side a caps storage at 6 points and expires points after 30 days; side b has defaults.
    PointsPolicy.objects.create(
        community=t.a.community, point_type=pt, storage_cap=Decimal(6), expiry_days=30
    )
    people = [t.user("resident_a"), t.user("relative_a"), t.user("resident_b")]
    homes = [t.a.community, t.a.community, t.b.community]
    return t, people, homes


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(ops, min_size=1, max_size=20))
def test_books_always_balance(books, sequence):
    t, people, homes = books
    staff = t.user("community_a")
    today = timezone.localdate()
    with transaction.atomic():
        for i, op in enumerate(sequence):
            before = _snapshot()
            try:
                kind = op[0]
                if kind == "award":
                    _, m, quarters = op
                    ledger.award(people[m], Decimal(quarters) / 4, homes[m], key=f"award:{i}")
                elif kind == "retry":
                    keys = list(
                        LedgerTransaction.objects.filter(kind="award").values_list(
                            "idempotency_key", flat=True
                        )
                    )
                    if keys:
                        ledger.award(people[0], Decimal(1), homes[0], key=keys[0])
                        assert _snapshot() == before
                elif kind == "redeem":
                    _, m, amount, elsewhere = op
                    where = homes[(m + 2) % 3] if elsewhere else homes[m]
                    ledger.redeem(people[m], amount, where, key=f"redeem:{i}")
                elif kind == "gift":
                    _, m, amount = op
                    ledger.gift(people[m], people[(m + 1) % 3], amount, key=f"gift:{i}")
                elif kind == "donate":
                    _, m, amount = op
                    ledger.donate(people[m], amount, key=f"donate:{i}")
                elif kind == "grant":
                    _, m, amount = op
                    ledger.grant_from_pool(
                        homes[m], people[m], amount, key=f"grant:{i}", actor=staff
                    )
                elif kind == "reverse":
                    txns = list(LedgerTransaction.objects.exclude(kind="reverse").order_by("pk"))
                    if txns:
                        ledger.reverse(txns[op[1] % len(txns)])
                elif kind == "expire":
                    _, m, days = op
                    account = ledger.member_account(people[m], homes[m])
                    ledger.expire(account, today + timedelta(days=days))
            except LedgerError:
                # A refusal leaves every entry and balance as it was.
                assert _snapshot() == before, op

        # The deferred zero-sum trigger runs now, as at commit.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        per_txn = (
            LedgerEntry.objects.values("transaction_id", "point_type_id")
            .annotate(s=Sum("amount"))
            .exclude(s=0)
        )
        assert not per_txn.exists()
        report = check_ledger()
        assert report.clean, report
        for row in AccountBalance.objects.all():
            assert row.floor is None or row.balance >= row.floor
            assert row.ceiling is None or row.balance <= row.ceiling
        transaction.set_rollback(True)
