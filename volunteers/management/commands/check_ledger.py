"""manage.py check_ledger: recompute every balance from the ledger entries and report drift
and unbalanced transactions (exit status 1 when anything is wrong)."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from volunteers.checks import check_ledger
from volunteers.models import from_cents


class Command(BaseCommand):
    help = "Recompute points balances from the entries and report any drift."

    def add_arguments(self, parser):
        parser.add_argument("--chunks", type=int, default=32, help="account-id ranges to scan")
        parser.add_argument(
            "--repair", action="store_true", help="set drifted balance rows to their entries' sum"
        )

    def handle(self, *args, chunks, repair, **options):
        started = time.monotonic()
        with tqdm(
            total=chunks + 1, desc="accounts", unit="chunk", file=self.stderr._out, mininterval=1
        ) as bar:
            report = check_ledger(chunks=chunks, progress=bar.update, repair=repair)
            bar.update(1)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Checked {report.accounts} balances over {report.entries} entries in {elapsed:.1f}s."
        )
        for d in report.drift[:50]:
            self.stdout.write(
                f"  drift: account {d.account_id} stored {from_cents(d.stored)} "
                f"entries say {from_cents(d.computed)}"
            )
        for txn, pt, total in report.unbalanced[:50]:
            self.stdout.write(f"  unbalanced: transaction {txn} point type {pt} sums {total}")
        if report.clean:
            self.stdout.write(self.style.SUCCESS("The books balance: no drift."))
            return
        if repair and not report.unbalanced:
            self.stdout.write(self.style.WARNING(f"Repaired {len(report.drift)} balance rows."))
            return
        raise CommandError(
            f"{len(report.drift)} drifted balances, {len(report.unbalanced)} unbalanced "
            "transactions."
        )
