"""爱心存折, the party member's passbook: one calendar year of 党员积分 — every movement with
the running balance, the points by project, the approved service hours against the yearly
target. Only 党员积分: 福分 (the spendable time-bank points) has its own page and never enters
this balance. The phone page (/volunteers/passbook/), the API and the staff's Excel export
all read it from here, so they always agree."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from volunteers.actions import settled_hours
from volunteers.actions.party import yearly_target
from volunteers.models import (
    AccountKind,
    LedgerEntry,
    PartyReport,
    PointType,
    ServiceOrder,
    from_cents,
)
from volunteers.models.ledger import Account


@dataclass(frozen=True)
class Line:
    """One movement: when, what, for which project, in or out, and the balance after it."""

    when: datetime
    kind: str
    memo: str
    project: str
    deposit: Decimal | None
    withdrawal: Decimal | None
    balance: Decimal


@dataclass
class Passbook:
    year: int
    opening: Decimal  # 党员积分 brought forward from the years before
    closing: Decimal
    hours: Decimal  # approved service hours in the year
    target: Decimal
    report: PartyReport | None
    lines: list[Line] = field(default_factory=list)
    by_project: list[tuple[str, Decimal]] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # years with movements, newest first

    @property
    def met(self) -> bool:
        return self.hours >= self.target

    @property
    def earned(self) -> Decimal:
        return sum((line.deposit or Decimal(0) for line in self.lines), Decimal(0))


def party_account(user) -> Account | None:
    return Account.objects.filter(
        owner=user, kind=AccountKind.MEMBER, point_type__code=PointType.PARTY
    ).first()


def _projects(entries: list[LedgerEntry]) -> dict[int, str]:
    """The service category of each order the entries were paid for (one query)."""
    order_ids = {
        int(e.transaction.source.split(":", 1)[1])
        for e in entries
        if e.transaction.source.startswith("order:")
        and e.transaction.source.split(":", 1)[1].isdigit()
    }
    if not order_ids:
        return {}
    return dict(ServiceOrder.objects.filter(pk__in=order_ids).values_list("pk", "category__name"))


def passbook(user, year: int | None = None) -> Passbook:
    """The member's 爱心存折 for `year` (this year by default). A fixed number of queries
    whatever the number of movements."""
    year = year or timezone.localdate().year
    target, report = yearly_target(user, year)
    book = Passbook(
        year=year,
        opening=Decimal("0.00"),
        closing=Decimal("0.00"),
        hours=settled_hours(user, year),
        target=target,
        report=report,
    )
    account = party_account(user)
    if account is None:
        book.years = [year]
        return book
    before = LedgerEntry.objects.filter(
        account=account, transaction__occurred_at__year__lt=year
    ).aggregate(total=Sum("amount"))["total"]
    entries = list(
        LedgerEntry.objects.filter(account=account, transaction__occurred_at__year=year)
        .select_related("transaction")
        .order_by("transaction__occurred_at", "id")
    )
    years = (
        LedgerEntry.objects.filter(account=account)
        .annotate(y=ExtractYear("transaction__occurred_at"))
        .values_list("y", flat=True)
        .distinct()
    )
    book.years = sorted({*years, year}, reverse=True)
    projects = _projects(entries)
    running = before or 0
    book.opening = from_cents(running)
    totals: OrderedDict[str, int] = OrderedDict()
    for e in entries:
        running += e.amount
        txn = e.transaction
        source = txn.source.split(":", 1)
        project = ""
        if source[0] == "order" and source[-1].isdigit():
            project = projects.get(int(source[-1]), "")
        project = project or txn.get_kind_display()
        book.lines.append(
            Line(
                when=txn.occurred_at,
                kind=txn.get_kind_display(),
                memo=txn.memo,
                project=project,
                deposit=from_cents(e.amount) if e.amount > 0 else None,
                withdrawal=from_cents(-e.amount) if e.amount < 0 else None,
                balance=from_cents(running),
            )
        )
        totals[project] = totals.get(project, 0) + e.amount
    book.closing = from_cents(running)
    book.by_project = sorted(
        ((name, from_cents(cents)) for name, cents in totals.items()),
        key=lambda item: -item[1],
    )
    return book
