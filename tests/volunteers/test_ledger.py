"""The points ledger: postings, refusals, idempotency, caps, gifts, clearing, expiry, and the
database's own guards (append-only, zero-sum at commit, balance bounds)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from volunteers import ledger
from volunteers.checks import check_ledger
from volunteers.ledger import LedgerError
from volunteers.models import (
    AccountBalance,
    AccountKind,
    LedgerEntry,
    LedgerTransaction,
    PointsPolicy,
    PointType,
)

pytestmark = pytest.mark.django_db


def bal(user, pt=None):
    pt = pt or ledger.point_type()
    acc = AccountBalance.objects.get(account__owner=user, account__point_type=pt)
    return acc.balance


def test_award_moves_points_from_issuance_to_member(territory):
    user = territory.user("resident_a")
    posted = ledger.award(user, Decimal("1.5"), territory.a.community, key="order:1:settle")
    assert posted.created
    assert bal(user) == 150
    entries = list(posted.transaction.entries.values_list("account__kind", "amount"))
    assert sorted(entries) == [(AccountKind.ISSUANCE, -150), (AccountKind.MEMBER, 150)]
    issuance = ledger.system_account(territory.a.community, AccountKind.ISSUANCE)
    assert ledger.balance(issuance) == -150
    assert not AccountBalance.objects.filter(account=issuance).exists()  # no hot row


def test_rate_comes_from_the_policy_in_force(territory):
    community = territory.a.community
    pt = ledger.point_type()
    today = timezone.localdate()
    PointsPolicy.objects.create(community=community, point_type=pt, points_per_hour=10)
    PointsPolicy.objects.create(
        community=community,
        point_type=pt,
        points_per_hour=99,
        effective_from=today + timedelta(days=1),
    )
    ledger.award(territory.user("resident_a"), Decimal("0.25"), community, key="k1")
    assert bal(territory.user("resident_a")) == 250


def test_same_approval_twice_pays_once(territory):
    user = territory.user("resident_a")
    first = ledger.award(user, Decimal(2), territory.a.community, key="order:7:settle")
    second = ledger.award(user, Decimal(2), territory.a.community, key="order:7:settle")
    assert first.created and not second.created
    assert first.transaction.pk == second.transaction.pk
    assert bal(user) == 200
    assert LedgerTransaction.objects.count() == 1


def test_overdraft_refused_and_ledger_untouched(territory):
    user = territory.user("resident_a")
    ledger.award(user, Decimal(1), territory.a.community, key="a")
    before = LedgerEntry.objects.count()
    with pytest.raises(LedgerError) as err:
        ledger.redeem(user, 101, territory.a.community, key="r1")
    assert "amount" in err.value.message_dict
    assert LedgerEntry.objects.count() == before
    assert not LedgerTransaction.objects.filter(idempotency_key="r1").exists()
    assert bal(user) == 100
    ledger.redeem(user, 100, territory.a.community, key="r2")
    assert bal(user) == 0


def test_zero_or_negative_amounts_refused(territory):
    user = territory.user("resident_a")
    with pytest.raises(LedgerError):
        ledger.award(user, Decimal(0), territory.a.community, key="z")
    with pytest.raises(LedgerError):
        ledger.redeem(user, -5, territory.a.community, key="z2")
    assert LedgerTransaction.objects.count() == 0


def test_storage_cap_sends_excess_to_donation_pool(territory):
    community = territory.a.community
    PointsPolicy.objects.create(
        community=community, point_type=ledger.point_type(), storage_cap=Decimal(3)
    )
    user = territory.user("resident_a")
    ledger.award(user, Decimal(2), community, key="a1")
    ledger.award(user, Decimal(2), community, key="a2")
    pool = ledger.system_account(community, AccountKind.DONATION)
    assert bal(user) == 300
    assert ledger.balance(pool) == 100


def test_starter_grant_once(territory):
    community = territory.a.community
    PointsPolicy.objects.create(
        community=community, point_type=ledger.point_type(), starter_grant=Decimal(5)
    )
    user = territory.user("resident_a")
    ledger.grant_starter(user, community)
    ledger.grant_starter(user, community)
    assert bal(user) == 500


def test_gift_only_to_relatives(family):
    t = family
    giver, relative = t.user("resident_a"), t.user("relative_a")
    ledger.award(giver, Decimal(3), t.a.community, key="a")
    ledger.gift(giver, relative, 100, key="g1")
    assert bal(giver) == 200 and bal(relative) == 100
    with pytest.raises(LedgerError) as err:
        ledger.gift(giver, t.user("resident_b"), 100, key="g2")
    assert "recipient" in err.value.message_dict
    PointsPolicy.objects.create(
        community=t.a.community, point_type=ledger.point_type(), gifts_allowed=False
    )
    with pytest.raises(LedgerError):
        ledger.gift(giver, relative, 100, key="g3")


def test_donation_and_grant_from_pool(territory):
    t = territory
    donor = t.user("resident_a")
    ledger.award(donor, Decimal(2), t.a.community, key="a")
    ledger.donate(donor, 150, key="d1")
    elder = t.user("grid_a")
    ledger.grant_from_pool(t.a.community, elder, 100, key="p1", actor=t.user("community_a"))
    assert bal(donor) == 50 and bal(elder) == 100
    with pytest.raises(LedgerError):
        ledger.grant_from_pool(t.a.community, elder, 100, key="p2", actor=t.user("community_a"))


def test_reversal_and_refused_reversal_after_spending(territory):
    t = territory
    user = t.user("resident_a")
    award = ledger.award(user, Decimal(2), t.a.community, key="a").transaction
    rev = ledger.reverse(award)
    assert rev.created and rev.transaction.reverses_id == award.pk
    assert bal(user) == 0
    assert not ledger.reverse(award).created  # a second reversal is the same one
    with pytest.raises(LedgerError):
        ledger.reverse(rev.transaction)
    spent_award = ledger.award(user, Decimal(1), t.a.community, key="b").transaction
    ledger.redeem(user, 100, t.a.community, key="r")
    with pytest.raises(LedgerError) as err:
        ledger.reverse(spent_award)
    assert "transaction" in err.value.message_dict
    assert bal(user) == 0


def test_redeeming_in_another_community_clears_through_both(territory):
    t = territory
    user = t.user("resident_a")
    ledger.award(user, Decimal(2), t.a.community, key="a")
    posted = ledger.redeem(user, 150, t.b.community, key="r")
    rows = posted.transaction.entries.values_list("account__community", "account__kind", "amount")
    assert sorted(rows) == sorted(
        [
            (t.a.community.pk, AccountKind.MEMBER, -150),
            (t.a.community.pk, AccountKind.CLEARING, 150),
            (t.b.community.pk, AccountKind.CLEARING, -150),
            (t.b.community.pk, AccountKind.REDEMPTION, 150),
        ]
    )
    # Each community's own books still sum to zero.
    for community in (t.a.community, t.b.community):
        total = LedgerEntry.objects.filter(account__community=community).aggregate(s=Sum("amount"))[
            "s"
        ]
        assert total == 0


def test_party_points_are_a_separate_currency_and_not_spendable(territory):
    t = territory
    user = t.user("resident_a")
    party = ledger.point_type(PointType.PARTY)
    ledger.award(user, Decimal(3), t.a.community, key="p", pt=party)
    ledger.award(user, Decimal(1), t.a.community, key="f")
    assert bal(user, party) == 300 and bal(user) == 100
    with pytest.raises(LedgerError):
        ledger.redeem(user, 100, t.a.community, key="r", pt=party)


def test_expiry_moves_unspent_old_lots_first_in_first_out(territory):
    t = territory
    PointsPolicy.objects.create(
        community=t.a.community, point_type=ledger.point_type(), expiry_days=30
    )
    user = t.user("resident_a")
    ledger.award(user, Decimal(3), t.a.community, key="a")
    ledger.redeem(user, 100, t.a.community, key="r")
    account = ledger.member_account(user, t.a.community)
    today = timezone.localdate()
    assert ledger.expire(account, today + timedelta(days=29)) is None
    posted = ledger.expire(account, today + timedelta(days=30))
    assert bal(user) == 0
    sink = ledger.system_account(t.a.community, AccountKind.EXPIRED)
    assert ledger.balance(sink) == 200
    assert ledger.expire(account, today + timedelta(days=30)) is None  # nothing left
    assert posted.transaction.kind == "expire"


# --- the database's own guards ---------------------------------------------------------------
def _one_entry(territory):
    ledger.award(territory.user("resident_a"), Decimal(1), territory.a.community, key="a")
    return LedgerEntry.objects.get(account__kind=AccountKind.MEMBER)


def test_update_of_an_entry_fails_at_the_database(territory):
    entry = _one_entry(territory)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE volunteers_ledgerentry SET amount = amount * 2 WHERE id = %s", [entry.pk]
        )


def test_delete_of_an_entry_fails_at_the_database(territory):
    entry = _one_entry(territory)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerTransaction.objects.filter(pk=entry.transaction_id).update(memo="changed")
    assert LedgerEntry.objects.count() == 2


def test_unbalanced_entries_fail_at_commit(territory):
    _one_entry(territory)
    # An account without a balance row (issuance), so only the zero-sum rule is broken.
    issuance = ledger.system_account(territory.a.community, AccountKind.ISSUANCE)
    with pytest.raises(IntegrityError, match="sum to zero"), transaction.atomic():
        txn = LedgerTransaction.objects.create(
            kind="adjust",
            idempotency_key="raw",
            community=territory.a.community,
            occurred_at=timezone.now(),
        )
        LedgerEntry.objects.create(
            transaction=txn, account=issuance, point_type_id=issuance.point_type_id, amount=5
        )
        with connection.cursor() as cursor:  # what COMMIT would do
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_balance_bounds_hold_at_the_database(territory):
    entry = _one_entry(territory)
    with pytest.raises(IntegrityError, match="within_bounds"), transaction.atomic():
        AccountBalance.objects.filter(pk=entry.account_id).update(balance=-1)


def test_check_ledger_reports_and_repairs_drift(territory, capsys):
    entry = _one_entry(territory)
    call_command("check_ledger")
    assert "no drift" in capsys.readouterr().out
    AccountBalance.objects.filter(pk=entry.account_id).update(balance=999)
    assert not check_ledger().clean
    with pytest.raises(CommandError, match="1 drifted"):
        call_command("check_ledger")
    call_command("check_ledger", "--repair")
    report = check_ledger()
    assert report.clean and report.entries == 1


def test_a_steady_state_award_is_one_statement(territory, django_assert_max_num_queries):
    """Once a member's and the community's accounts exist, award() is one call of the
    database function volunteers_award() (in a savepoint here, inside the test's
    transaction); the rate and the cap still apply."""
    community = territory.a.community
    PointsPolicy.objects.create(
        community=community,
        point_type=ledger.point_type(),
        points_per_hour=Decimal(2),
        storage_cap=Decimal(5),
    )
    user = territory.user("resident_a")
    ledger.award(user, Decimal(1), community, key="first")  # opens the accounts
    with django_assert_max_num_queries(3):  # savepoint, volunteers_award(), release
        posted = ledger.award(user, Decimal(1), community, key="second")
    assert posted.created
    assert bal(user) == 400  # two hours at 2 points an hour
    again = ledger.award(user, Decimal(1), community, key="second")
    assert not again.created and again.transaction.pk == posted.transaction.pk
    ledger.award(user, Decimal(1), community, key="third")  # 2 more points, cap at 5
    assert bal(user) == 500
    assert ledger.balance(ledger.system_account(community, AccountKind.DONATION)) == 100
