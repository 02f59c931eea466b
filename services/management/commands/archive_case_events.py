"""manage.py archive_case_events: detach the case-event months older than
LINLI_CASE_EVENT_RETENTION_MONTHS, pg_dump each to LINLI_CASE_EVENT_ARCHIVE_DIR, and drop it
once the dump is written (services.partition_archive)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from services.partition_archive import ArchiveError, archive


class Command(BaseCommand):
    help = "Archive (dump, then drop) the case-event months past the retention."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="say what would go, do nothing")

    def handle(self, *args, dry_run, **options):
        try:
            archive(
                settings.LINLI_CASE_EVENT_RETENTION_MONTHS,
                Path(settings.LINLI_CASE_EVENT_ARCHIVE_DIR),
                dry_run=dry_run,
                out=self.stdout.write,
            )
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
