"""Retention of the case-event months: a month older than LINLI_CASE_EVENT_RETENTION_MONTHS
is detached from the partitioned table, dumped with pg_dump to its own file under
LINLI_CASE_EVENT_ARCHIVE_DIR, and dropped only once the dump is written and readable
(`pg_restore --list`). A failed dump attaches the month again; nothing is dropped.

A month that still has events of a case not closed is left in place (its timeline would lose
its beginning): it goes at a later run, once the case is closed. Restoring a month:
`pg_restore -d <db> <file>` brings the table back, then
`ALTER TABLE services_caseevent ATTACH PARTITION <table> FOR VALUES FROM (...) TO (...)`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from services import partitions as p
from services.choices import CLOSED_STATES
from services.partitions import quote


class ArchiveError(Exception):
    pass


@dataclass
class Archived:
    table: str
    file: Path
    rows: int


def _detached(cursor, table: str) -> list[str]:
    """Month tables left detached by an earlier run that stopped before dropping them."""
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
        "AND relnamespace = current_schema()::regnamespace AND relname LIKE %s",
        [f"{table}\\_p____\\___"],
    )
    return sorted(name for (name,) in cursor.fetchall() if p.name_month(name))


def dump(table: str, file: Path) -> None:
    """pg_dump one table (custom format) to `file`, via a temporary name renamed when done;
    raises ArchiveError unless the file is there and pg_restore can read its table of contents."""
    db = connection.settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    where = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432)]
    user = ["-U", db["USER"]] if db.get("USER") else []
    part = file.with_suffix(".dump.part")
    done = subprocess.run(
        [
            "pg_dump",
            *where,
            *user,
            "-Fc",
            "-t",
            f"public.{quote(table)}",
            "-f",
            str(part),
            db["NAME"],
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        part.unlink(missing_ok=True)
        raise ArchiveError(f"pg_dump of {table} failed: {done.stderr.strip()}")
    listed = subprocess.run(["pg_restore", "--list", str(part)], capture_output=True, text=True)
    if listed.returncode != 0 or f"TABLE DATA public {table} " not in listed.stdout:
        raise ArchiveError(f"the dump of {table} ({part}) does not hold the table's rows")
    os.replace(part, file)


def archive(
    months: int,
    directory: Path,
    now: datetime | None = None,
    dry_run: bool = False,
    out: Callable[[str], None] = print,
    table: str = p.TABLE,
    dumper: Callable[[str, Path], None] = dump,
) -> list[Archived]:
    """Detach, dump and drop the months before the `months` most recent ones (the current
    month counts); returns what was archived."""
    if months < 1:
        raise ArchiveError("no retention set (LINLI_CASE_EVENT_RETENTION_MONTHS): nothing goes")
    cutoff = p.add_months(p.month_of(now or timezone.now()), -(months - 1))
    done: list[Archived] = []
    with connection.cursor() as cursor:
        if not p.is_partitioned(cursor, table):
            raise ArchiveError(f"{table} is not partitioned yet (manage.py partition_case_events)")
        attached = [x.name for x in p.partitions(cursor, table) if x.month and x.month < cutoff]
        leftover = [n for n in _detached(cursor, table) if (p.name_month(n) or cutoff) < cutoff]
        for name in sorted(set(attached) | set(leftover)):
            cursor.execute(
                f"SELECT count(*), count(*) FILTER (WHERE c.state <> ALL(%s)) "
                f"FROM {quote(name)} e JOIN services_case c ON c.id = e.case_id",
                [[s.value for s in CLOSED_STATES]],
            )
            rows, unclosed = cursor.fetchone()
            if unclosed:
                out(f"{name}: kept, {unclosed} events of cases not closed yet.")
                continue
            file = directory / f"{name}.dump"
            if dry_run:
                out(f"{name}: would be archived to {file} ({rows} rows).")
                continue
            directory.mkdir(parents=True, exist_ok=True)
            month = p.name_month(name)
            assert month is not None
            if name in attached:
                with transaction.atomic():
                    cursor.execute(f"SET LOCAL lock_timeout = '{p.LOCK_TIMEOUT}'")
                    cursor.execute(f"ALTER TABLE {quote(table)} DETACH PARTITION {quote(name)}")
            try:
                dumper(name, file)
            except Exception:
                # Not dumped: the month goes back where the portal reads it; nothing dropped.
                lo, hi = p.bound(month).isoformat(), p.bound(p.add_months(month, 1)).isoformat()
                cursor.execute(
                    f"ALTER TABLE {quote(table)} ATTACH PARTITION {quote(name)} "
                    f"FOR VALUES FROM ('{lo}') TO ('{hi}')"
                )
                raise
            with transaction.atomic():
                cursor.execute(f"SET LOCAL lock_timeout = '{p.LOCK_TIMEOUT}'")
                cursor.execute(f"DROP TABLE {quote(name)}")
            out(f"{name}: {rows} rows archived to {file} and dropped.")
            done.append(Archived(name, file, rows))
    return done
