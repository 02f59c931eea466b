"""manage.py partition_case_events: convert the case-event table to the partitioned one, online
and resumably (services.partition_convert; docs/operations.md, 'Case events by month').
Run it again after any interruption: it continues where it stopped."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from services.partition_convert import Conversion, ConversionError


class Command(BaseCommand):
    help = "Partition services_caseevent by month, online (resumable; swaps at the end)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=50_000, help="rows per copy batch")
        parser.add_argument(
            "--no-swap", action="store_true", help="copy and catch up, but leave the swap for later"
        )
        parser.add_argument(
            "--max-batches", type=int, default=None, help="stop after this many copy batches"
        )

    def handle(self, *args, batch, no_swap, max_batches, **options):
        conversion = Conversion(batch=batch, out=self.stdout.write)
        try:
            state = conversion.run(swap=not no_swap, max_batches=max_batches)
        except ConversionError as exc:
            raise CommandError(str(exc)) from exc
        if not state.swapped:
            self.stdout.write(
                f"stopped: {state.months_done}/{state.months} months copied; run it again to go on."
            )
