"""The ledger's self-audit: recompute every tracked balance from the entries and find any
transaction that does not sum to zero. `manage.py check_ledger` and the nightly task call it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction

from volunteers import sql
from volunteers.models import AccountBalance, LedgerEntry


@dataclass
class Drift:
    account_id: int
    stored: int
    computed: int


@dataclass
class Report:
    accounts: int = 0
    entries: int = 0
    drift: list[Drift] = field(default_factory=list)
    unbalanced: list[tuple[int, int, int]] = field(default_factory=list)  # txn, type, sum

    @property
    def clean(self) -> bool:
        return not self.drift and not self.unbalanced


def check_ledger(
    chunks: int = 32, progress: Callable[[int], None] | None = None, repair: bool = False
) -> Report:
    """Compare each balance row with the sum of its entries, account-id range by range (each
    range one aggregate on the (account, id) index), then look for unbalanced transactions.
    `progress(n)` is told how many chunks are done. With `repair`, drifted rows are set to the
    sum of their entries (entries are the truth; the balance row is only a cache of them)."""
    report = Report()
    bounds = AccountBalance.objects.order_by("account_id").values_list("account_id", flat=True)
    first = bounds.first()
    last = bounds.last()
    if first is not None and last is not None:
        step = max(1, (last - first + 1 + chunks - 1) // chunks)
        with connection.cursor() as cursor:
            lo = first
            while lo <= last:
                hi = lo + step
                cursor.execute(sql.BALANCES_AGAINST_ENTRIES, [lo, hi, lo, hi])
                for account_id, stored, computed, n in cursor.fetchall():
                    report.accounts += 1
                    report.entries += n
                    if stored != computed:
                        report.drift.append(Drift(account_id, stored, computed))
                lo = hi
                if progress:
                    progress(1)
    with connection.cursor() as cursor:
        cursor.execute(sql.UNBALANCED_TRANSACTIONS)
        report.unbalanced = [tuple(row) for row in cursor.fetchall()]
    if repair and report.drift:
        with transaction.atomic():
            for d in report.drift:
                AccountBalance.objects.filter(pk=d.account_id).update(
                    balance=d.computed,
                    entry_count=LedgerEntry.objects.filter(account_id=d.account_id).count(),
                )
    return report
