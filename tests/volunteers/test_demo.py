"""The demo seed (the issue's "done when" in the demo city) and the bulk ledger seed."""

from __future__ import annotations

import os

import pytest
from django.db.models import Sum

from volunteers import actions, demo
from volunteers.checks import check_ledger
from volunteers.models import (
    AccountBalance,
    LedgerEntry,
    OrderStatus,
    ServiceOrder,
    Voucher,
)

pytestmark = pytest.mark.django_db


def test_demo_city_story_and_idempotent():
    from grids.demo import seed_territory

    ctx = seed_territory()
    demo.seed(ctx)
    volunteer = ctx.users["volunteer1"]
    settled = ServiceOrder.objects.filter(volunteer__user=volunteer, status=OrderStatus.SETTLED)
    assert settled.exists() and settled.first().rating == 5
    assert Voucher.objects.filter(holder=volunteer, used_at__isnull=False).exists()
    # Starter 2 + 1.5 hours earned − 1 point of rice.
    assert (
        AccountBalance.objects.get(
            account__owner=volunteer, account__point_type__code="fufen"
        ).balance
        == 250
    )
    year = actions.party_year(ctx.users["party1"], settled.first().settled_at.year)
    assert year["hours"] == 1
    assert LedgerEntry.objects.aggregate(s=Sum("amount"))["s"] == 0
    assert check_ledger().clean
    counts = (ServiceOrder.objects.count(), LedgerEntry.objects.count())
    demo.seed(ctx)
    assert counts == (ServiceOrder.objects.count(), LedgerEntry.objects.count())


def test_seed_city_bulk_ledger(territory, monkeypatch):
    monkeypatch.setitem(os.environ, "LINLI_SEED_LEDGER_MEMBERS", "40")
    assert demo.seed_city(territory.city, count=400) == 400
    assert LedgerEntry.objects.count() == 400
    report = check_ledger()
    assert report.clean and report.entries == 200  # member legs; issuance has no balance row
    assert demo.seed_city(territory.city, count=500) == 100  # tops up
    assert check_ledger().clean
