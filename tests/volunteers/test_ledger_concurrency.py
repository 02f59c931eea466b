"""Races on real PostgreSQL connections from threads: 50 redemptions against a balance that
covers 10, and the same approval delivered twice at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.volunteers.conftest import race
from volunteers import ledger
from volunteers.ledger import LedgerError
from volunteers.models import AccountBalance, LedgerTransaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_concurrent_redemptions_exactly_ten_succeed(transactional_territory):
    t = transactional_territory
    user, community = t.user("resident_a"), t.a.community
    ledger.award(user, Decimal(10), community, key="seed")
    results = race(50, lambda i: ledger.redeem(user, 100, community, key=f"redeem:{i}"))
    succeeded = [r for r in results if isinstance(r, ledger.Posted)]
    refused = [r for r in results if isinstance(r, LedgerError)]
    assert len(results) == 50
    assert len(succeeded) == 10 and len(refused) == 40
    assert AccountBalance.objects.get(account__owner=user).balance == 0
    assert LedgerTransaction.objects.filter(kind="redeem").count() == 10


def test_same_approval_delivered_concurrently_pays_once(transactional_territory):
    t = transactional_territory
    user, community = t.user("resident_a"), t.a.community
    ledger.member_account(user, community)
    results = race(8, lambda i: ledger.award(user, Decimal(2), community, key="order:1:settle"))
    assert len(results) == 8
    assert sum(1 for r in results if r.created) == 1
    assert len({r.transaction.pk for r in results}) == 1
    assert AccountBalance.objects.get(account__owner=user).balance == 200
