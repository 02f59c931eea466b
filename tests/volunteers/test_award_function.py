"""award() on PostgreSQL runs the database function volunteers_award() (migration 0004); SQLite
runs the same rule in Python (ledger._award_python). These tests pin the function's own
guarantees (pays once per key, the storage cap, refusals that write nothing, one round trip)
and run both implementations over the same cases to show they post the same legs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.territory import make_user
from tests.volunteers.conftest import race
from volunteers import ledger
from volunteers.ledger import LedgerError
from volunteers.models import (
    Account,
    AccountBalance,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    PointsPolicy,
)

pytestmark = pytest.mark.django_db


def member_balance(user) -> int:
    return AccountBalance.objects.get(account__owner=user, account__kind="member").balance


def pool_balance(community) -> int:
    return ledger.balance(ledger.system_account(community, AccountKind.DONATION))


def legs(txn) -> list[tuple[str, int, object]]:
    return sorted(
        LedgerEntry.objects.filter(transaction=txn).values_list(
            "account__kind", "amount", "expires_on"
        )
    )


def test_the_steady_state_award_is_the_function(territory, django_assert_num_queries):
    community, user = territory.a.community, territory.user("resident_a")
    ledger.award(user, Decimal(1), community, key="first")  # opens the accounts
    # Inside the test's transaction: a savepoint around the one call.
    with django_assert_num_queries(3) as ctx:
        posted = ledger.award(user, Decimal(1), community, key="second", memo="m" * 300)
    assert any("volunteers_award" in q["sql"] for q in ctx.captured_queries)
    assert posted.created and posted.transaction.pk
    assert posted.transaction.community == community and posted.transaction.kind == "award"
    stored = LedgerTransaction.objects.get(pk=posted.transaction.pk)
    assert stored.idempotency_key == "second" and stored.memo == "m" * 200
    assert member_balance(user) == 200


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_an_award_is_one_round_trip(
    transactional_territory, django_assert_num_queries
):
    t = transactional_territory
    community, user = t.a.community, t.user("resident_a")
    ledger.award(user, Decimal(1), community, key="first")
    assert not connection.in_atomic_block
    with django_assert_num_queries(1):
        posted = ledger.award(user, Decimal("0.5"), community, key="second")
    assert posted.created
    assert member_balance(user) == 150
    assert sum(LedgerEntry.objects.values_list("amount", flat=True)) == 0


def test_the_same_key_pays_once(territory):
    community, user = territory.a.community, territory.user("resident_a")
    first = ledger.award(user, Decimal(2), community, key="order:9:settle")
    again = ledger.award(user, Decimal(5), community, key="order:9:settle")
    assert first.created and not again.created
    assert again.transaction.pk == first.transaction.pk
    assert member_balance(user) == 200
    assert LedgerTransaction.objects.filter(idempotency_key="order:9:settle").count() == 1
    # A key used by another kind of posting is the answer too: nothing more is paid.
    ledger.donate(user, 50, key="donate:1")
    replay = ledger.award(user, Decimal(1), community, key="donate:1")
    assert not replay.created and replay.transaction.kind == "donate"
    assert member_balance(user) == 150


def test_the_function_splits_at_the_storage_cap(territory):
    community, user = territory.a.community, territory.user("resident_a")
    PointsPolicy.objects.create(
        community=community,
        point_type=ledger.point_type(),
        points_per_hour=Decimal(2),
        storage_cap=Decimal(5),
        expiry_days=30,
    )
    ledger.award(user, Decimal(1), community, key="a")  # 2 points, opens the accounts
    expires = timezone.localdate() + timedelta(days=30)
    posted = ledger.award(user, Decimal(1), community, key="b")  # 2 more: 4 of 5
    assert legs(posted.transaction) == [("issuance", -200, None), ("member", 200, expires)]
    posted = ledger.award(user, Decimal(1), community, key="c")  # 1 fits, 1 to the pool
    assert legs(posted.transaction) == [
        ("donation", 100, None),
        ("issuance", -200, None),
        ("member", 100, expires),
    ]
    posted = ledger.award(user, Decimal(1), community, key="d")  # at the cap: all to the pool
    assert legs(posted.transaction) == [("donation", 200, None), ("issuance", -200, None)]
    assert member_balance(user) == 500 and pool_balance(community) == 300
    row = AccountBalance.objects.get(account__owner=user)
    assert row.entry_count == 3  # the last award left the member's row alone


@pytest.mark.parametrize("hours", [Decimal(0), Decimal(-1), Decimal("0.001"), "NaN", "Infinity"])
def test_a_bad_amount_is_refused_and_writes_nothing(territory, hours):
    community, user = territory.a.community, territory.user("resident_a")
    with pytest.raises(LedgerError) as refused:
        ledger.award(user, Decimal(hours), community, key="bad")
    assert "hours" in refused.value.message_dict
    # Not even the accounts a first award would open.
    assert not Account.objects.filter(owner=user).exists()
    ledger.award(user, Decimal(1), community, key="good")  # the steady state refuses too
    with pytest.raises(LedgerError):
        ledger.award(user, Decimal(hours), community, key="bad")
    assert not LedgerTransaction.objects.filter(idempotency_key="bad").exists()
    assert member_balance(user) == 100


def test_a_refused_move_undoes_the_posting_and_leaves_the_callers_transaction_usable(territory):
    """The pool refuses (a ceiling set on its row for the test): the function raises, award()
    answers LedgerError, and the caller's transaction goes on."""
    community, user = territory.a.community, territory.user("resident_a")
    PointsPolicy.objects.create(
        community=community, point_type=ledger.point_type(), storage_cap=Decimal(1)
    )
    ledger.award(user, Decimal(1), community, key="fill")  # member at the cap
    pool = ledger.system_account(community, AccountKind.DONATION)
    AccountBalance.objects.filter(account=pool).update(ceiling=0)
    with transaction.atomic():
        with pytest.raises(LedgerError):
            ledger.award(user, Decimal(1), community, key="over")
        assert not LedgerTransaction.objects.filter(idempotency_key="over").exists()
        with pytest.raises(LedgerError):
            ledger._award_python(user, Decimal(1), community, "over", None, None, None, "", "")
        ledger.award(territory.user("resident_b"), Decimal(1), community, key="other")
    assert pool_balance(community) == 0 and member_balance(user) == 100


# --- the function and the Python rule post the same legs ---------------------------------------
CASES = [
    # (points per hour, storage cap, expiry days, hours of each award)
    (Decimal(1), None, None, ["0.25", "1.5", "4"]),
    (Decimal("0.5"), None, 7, ["0.25", "0.75", "1"]),
    (Decimal("0.02"), None, None, ["0.25", "0.75", "1.25", "0.5"]),  # half-cent ties
    (Decimal("0.06"), None, None, ["0.25", "0.75"]),
    (Decimal("1.5"), Decimal("3"), None, ["1", "0.5", "0.25", "2"]),  # over the cap
    (Decimal(2), Decimal("2.5"), 0, ["1", "1", "1"]),
    (Decimal("2.5"), Decimal("100"), 365, [0.1, 0.3, "2"]),  # floats as callers may pass
]


def _balance_or_none(**account) -> int | None:
    row = AccountBalance.objects.filter(**{f"account__{k}": v for k, v in account.items()})
    return row.values_list("balance", flat=True).first()


def _try(post, *args, **kwargs):
    try:
        return post(*args, **kwargs)
    except LedgerError:
        return None


@pytest.mark.parametrize(("rate", "cap", "expiry", "hours"), CASES)
def test_the_function_and_the_python_rule_post_the_same_legs(territory, rate, cap, expiry, hours):
    community = territory.a.community
    PointsPolicy.objects.create(
        community=community,
        point_type=ledger.point_type(),
        points_per_hour=rate,
        storage_cap=cap,
        expiry_days=expiry,
    )
    by_function = make_user("award_fn", phone="13900000101")
    by_python = make_user("award_py", phone="13900000102")

    def pool():
        return _balance_or_none(kind="donation", community=community) or 0

    for i, h in enumerate(hours):
        h = Decimal(h) if isinstance(h, str) else h  # floats go to award() as they are
        before = pool()
        fn = _try(ledger.award, by_function, h, community, key=f"fn:{i}")
        middle = pool()
        py = _try(
            ledger._award_python, by_python, Decimal(h), community, f"py:{i}", *[None] * 3, "", ""
        )
        after = pool()
        assert (fn is None) == (py is None), (rate, h)
        if fn is not None:
            assert legs(fn.transaction) == legs(py.transaction), (rate, cap, h)
        assert _balance_or_none(owner=by_function) == _balance_or_none(owner=by_python)
        assert middle - before == after - middle
    fn_rows = AccountBalance.objects.filter(account__owner=by_function)
    py_rows = AccountBalance.objects.filter(account__owner=by_python)
    assert list(fn_rows.values_list("entry_count", "floor", "ceiling")) == list(
        py_rows.values_list("entry_count", "floor", "ceiling")
    )


# --- concurrency on real connections -----------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_concurrent_awards_share_the_cap_exactly(transactional_territory):
    t = transactional_territory
    community, user = t.a.community, t.user("resident_a")
    PointsPolicy.objects.create(
        community=community, point_type=ledger.point_type(), storage_cap=Decimal(10)
    )
    ledger.award(user, Decimal(1), community, key="open")
    results = race(12, lambda i: ledger.award(user, Decimal(1), community, key=f"race:{i}"))
    assert len(results) == 12 and all(r.created for r in results)
    assert member_balance(user) == 1000  # the cap, never more
    assert pool_balance(community) == 300  # 13 points awarded in all
    assert sum(LedgerEntry.objects.values_list("amount", flat=True)) == 0
