"""manage.py seed_demo: the demo city (or, with --scale city, a Quanzhou-sized one).

The territory comes from grids.demo; every other app adds its objects through a `demo` module
with `seed(ctx)` (and `seed_city(city, progress)` for --scale city), run in the order below.
"""

import importlib
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from grids.demo import DEMO_PASSWORD, seed_territory

APP_HOOKS = ["centres", "services", "volunteers", "workforce", "deliberation", "open311"]


def _hook(app: str, name: str):
    try:
        module = importlib.import_module(f"{app}.demo")
    except ModuleNotFoundError as exc:
        if exc.name == f"{app}.demo":
            return None
        raise
    return getattr(module, name, None)


class Command(BaseCommand):
    help = "Load the demo city (idempotent). --scale city adds Quanzhou-sized data for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["demo", "city"], default="demo")
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even with DEBUG off (never on a live database)",
        )
        parser.add_argument(
            "--quiet-logins", action="store_true", help="do not print the demo logins"
        )

    def handle(self, *args, scale, force, quiet_logins, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo writes demo people and passwords; DEBUG is off, so it refuses. "
                "Pass --force only on a database you mean to fill with demo data."
            )
        started = time.monotonic()
        ctx = seed_territory()
        for app in APP_HOOKS:
            hook = _hook(app, "seed")
            if hook:
                hook(ctx)
        if scale == "city":
            from grids.demo_city import seed_city

            def progress(label, total):
                return tqdm(
                    total=total, desc=label, unit="row", file=self.stderr._out, mininterval=1.0
                )

            city = seed_city(progress)
            for app in APP_HOOKS:
                hook = _hook(app, "seed_city")
                if hook:
                    hook(city, progress)
        self.stdout.write(
            self.style.SUCCESS(f"Demo city ready in {time.monotonic() - started:.1f}s.")
        )
        if not quiet_logins:
            self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
            for role, username, where in ctx.logins:
                self.stdout.write(f"  {username:<12} {role:<16} {where}")
