"""manage.py import_holidays FILE: a year's holidays and adjusted working days from the State
Council's notice (the page saved from gov.cn as .html or .txt, an .ics feed, or an .xlsx sheet),
in one transaction; the deadlines of open cases that cross a changed day are moved by the
worker. Nothing is imported from a file with any problem (exit status 1, each one named)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from services import actions, holiday_files


class Command(BaseCommand):
    help = "Import a year's holiday arrangement from the State Council's notice."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the notice: .html/.htm/.txt, .ics or .xlsx")
        parser.add_argument("--year", type=int, help="only when the file does not say")
        parser.add_argument(
            "--provisional",
            action="store_true",
            help="the file holds only the statutory days (the notice is not out yet)",
        )
        parser.add_argument("--dry-run", action="store_true", help="read and check only")

    def handle(self, *args, file, year, provisional, dry_run, **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from exc
        try:
            arrangement = holiday_files.read(path.name, content, year)
            summary = (
                f"{arrangement.year}: {arrangement.holidays} days off, "
                f"{arrangement.workdays} adjusted working days ({arrangement.source})"
            )
            if dry_run:
                self.stdout.write(f"{summary}; nothing imported (--dry-run)")
                return
            change = actions.import_holidays(arrangement, actor=None, provisional=provisional)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        moved = (
            f"{len(change.days)} days changed; deadlines crossing them are being moved "
            f"(holiday change {change.pk})"
            if change
            else "no day changed"
        )
        self.stdout.write(f"Imported {summary}: {moved}.")
