"""Run every benchmark: `python -m bench [name ...]` (or `make bench`).

Each module bench/<name>.py defines `run(emit)`; it calls `emit(name, value, unit, **sizes)`
once per figure. The harness prints one JSON line per figure with versions attached.
Benchmarks run on the PostgreSQL database DATABASE_URL names and never inside the test suite.
Most need the city-scale seed first: `make seed-city`.
"""

import importlib
import json
import os
import pkgutil
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


NAMED_ONLY = {"province", "drills", "drill_load"}


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    # Settings were read with DEBUG on (embedded defaults: hosts, plain static storage), but
    # DEBUG also logs every query, which would distort the figures: turn only that off.
    settings.DEBUG = False
    # As the web and worker processes do at start-up (portal/wsgi.py, portal/celery.py).
    from portal.runtime import settle_gc

    settle_gc()

    versions = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "debug": False,
    }
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        versions["database"] = f"postgresql {cursor.fetchone()[0]}"
    # With no names: every figure module, but not the long runs that start processes of their
    # own (the province simulation) nor the cluster tools (drills, load), which are no figures.
    names = argv or sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not m.name.startswith("_") and not m.ispkg and m.name not in NAMED_ONLY
    )
    failed = 0

    for name in names:
        module = importlib.import_module(f"bench.{name}")

        def emit(figure: str, value: float, unit: str, _module=name, **sizes) -> None:
            line = {
                "bench": _module,
                "name": figure,
                "value": round(value, 3),
                "unit": unit,
                "sizes": sizes,
                "versions": versions,
                "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
            print(json.dumps(line, ensure_ascii=False), flush=True)

        try:
            module.run(emit)
        except Exception as exc:  # report and go on with the other benchmarks
            failed += 1
            print(json.dumps({"bench": name, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
