"""award() is the database function volunteers_award() (volunteers/sql/award.sql), the only copy
of the award rule. These tests pin its guarantees (pays once per key, the storage cap, refusals
that write nothing, one round trip), the legs it posts against the rule worked out by hand
(rounding ties, caps reached mid-award, expiry), and that the database runs the file's text."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.territory import make_user
from tests.volunteers.conftest import race
from volunteers import ledger, sql
from volunteers.ledger import LedgerError
from volunteers.models import (
    Account,
    AccountBalance,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    PointsPolicy,
    to_cents,
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
        ledger.award(territory.user("resident_b"), Decimal(1), community, key="other")
    assert pool_balance(community) == 0 and member_balance(user) == 100


# --- the legs the function posts, against the rule worked out here -----------------------------
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


def expected_legs(amount: int, headroom: int | None, expires) -> list[tuple[str, int, object]]:
    """The award rule: issuance pays `amount`; what fits under the member's cap is theirs (with
    the expiry date), the rest goes to the donation pool; zero legs are left out."""
    keep = amount if headroom is None else min(amount, max(0, headroom))
    legs = [("issuance", -amount, None), ("donation", amount - keep, None)]
    legs.append(("member", keep, expires))
    return sorted(leg for leg in legs if leg[1])


@pytest.mark.parametrize(("rate", "cap", "expiry", "hours"), CASES)
def test_the_function_posts_the_rules_legs(territory, rate, cap, expiry, hours):
    community, user = territory.a.community, make_user("award_fn", phone="13900000101")
    PointsPolicy.objects.create(
        community=community,
        point_type=ledger.point_type(),
        points_per_hour=rate,
        storage_cap=cap,
        expiry_days=expiry,
    )
    expires = timezone.localdate() + timedelta(days=expiry) if expiry else None
    held = 0
    for i, h in enumerate(hours):
        # to_cents rounds half to even, as the function must (0.02 x 0.25 h is half a cent).
        amount = to_cents(Decimal(str(h)) * rate)
        given = Decimal(h) if isinstance(h, str) else h  # floats go to award() as they are
        if amount <= 0:
            with pytest.raises(LedgerError):
                ledger.award(user, given, community, key=f"{i}")
            continue
        posted = ledger.award(user, given, community, key=f"{i}")
        headroom = to_cents(cap) - held if cap is not None else None
        assert legs(posted.transaction) == expected_legs(amount, headroom, expires), (rate, h)
        held += amount if headroom is None else min(amount, max(0, headroom))
        assert member_balance(user) == held
    assert sum(LedgerEntry.objects.values_list("amount", flat=True)) == 0


@pytest.mark.parametrize("name", ["award", "ledger_triggers", "entry_figures"])
def test_the_database_runs_the_functions_of_the_sql_files(db, name):
    """A change to a file of volunteers/sql without a migration that installs it fails here."""
    functions = sql.function_bodies(name)
    assert functions and (name != "award" or list(functions) == ["volunteers_award"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)", [list(functions)]
        )
        installed = dict(cursor.fetchall())
    assert installed == functions


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
