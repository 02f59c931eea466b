"""Converting today's case-event table into the partitioned one (services.partitions).

Two paths, one set of building blocks:

- `convert_directly`: in the caller's transaction, for a small table (migration 0019 on a fresh
  install or the test database): build, copy everything, swap, drop the old table.
- `Conversion`: online and resumable, for a big one (`manage.py partition_case_events`):

  1. prepare (one short transaction): statement-level triggers on the live table log the
     (id, at) of every row inserted, updated or deleted from now on into `<table>_convlog`;
     the partitioned table `<table>_part` is created with its months (oldest event's month to
     MONTHS_AHEAD past today), DEFAULT, primary key (id, at) and a copy of every other index;
     `<table>_convprogress` gets one row per month to copy.
  2. copy, month by month, in batches of `batch` rows in (at, id) order (a range scan of the
     (at, id) index), each batch an INSERT … SELECT committed together with its month's cursor:
     stopped anywhere, the next run continues from the last committed batch.
  3. foreign keys, added to each partition NOT VALID and then validated: validation holds no
     lock that stops writers, and a validated partition constraint is attached by the parent's
     ADD FOREIGN KEY at the swap without a second scan.
  4. catch up: the logged ids, in batches: their rows deleted from the copy and copied again
     from the live table, as they are now (an insert, an update and a delete are all the same
     step), until the log is short.
  5. swap, in one transaction under an ACCESS EXCLUSIVE lock (tried for LOCK_TIMEOUT, again up
     to `attempts` times): the rest of the log; the live table renamed `<table>_old` (and its
     indexes, constraint and sequence), the copy renamed into place; the parent's foreign keys;
     the identity sequence moved past the old one's last value; owner and grants copied.
     `<table>_old` stays, without its triggers, until the operator drops it.

Two conversions never run at once (a session advisory lock: run the command against PostgreSQL
itself, not through pgbouncer in transaction mode). Unique indexes other than the primary key
are refused (they would have to include `at`); user triggers on the table are reported, not
copied (there are none today). During steps 3–5 deleting an account whose user wrote events
fails (the copy's new constraint still sees the old actor until the catch-up): the portal only
deletes accounts from the admin, and the window is minutes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from services import partitions as p
from services.partitions import quote

ADVISORY_KEY = 0x4C494E4C  # "LINL": one conversion at a time
_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (?:ONLY )?(\S+) (USING .*)$")


class ConversionError(Exception):
    pass


def _columns(cursor: CursorWrapper, table: str) -> str:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        [quote(table)],
    )
    return ", ".join(quote(name) for (name,) in cursor.fetchall())


def _indexes(cursor: CursorWrapper, table: str) -> list[tuple[str, str, bool]]:
    """(name, definition, is_primary) of each index on `table`."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisprimary FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(%s) ORDER BY 1",
        [quote(table)],
    )
    return cursor.fetchall()


def _foreign_keys(cursor: CursorWrapper, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY 1",
        [quote(table)],
    )
    return cursor.fetchall()


def user_triggers(cursor: CursorWrapper, table: str) -> list[str]:
    cursor.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal "
        "AND tgname NOT LIKE %s ORDER BY 1",
        [quote(table), f"{table}_conv%"],
    )
    return [name for (name,) in cursor.fetchall()]


def _month_range(cursor: CursorWrapper, table: str) -> tuple[date, date]:
    """The months to create: the oldest event's to MONTHS_AHEAD past the newest or today."""
    cursor.execute(f"SELECT min(at), max(at) FROM {quote(table)}")
    lo, hi = cursor.fetchone()
    today = p.month_of(timezone.now())
    first = p.month_of(lo) if lo else today
    last = max(p.month_of(hi) if hi else today, p.add_months(today, p.MONTHS_AHEAD))
    return min(first, today), last


def build_partitioned(cursor: CursorWrapper, table: str, first: date, last: date) -> str:
    """Create `<table>_part`: `table`'s columns (defaults, identity, storage, comments, checks),
    partitioned by month on `at`, primary key (id, at), `table`'s other indexes under names
    ending in `_part` (renamed at the swap), the months first..last and DEFAULT."""
    new = f"{table}_part"
    cursor.execute(
        f"CREATE TABLE {quote(new)} (LIKE {quote(table)} INCLUDING ALL EXCLUDING INDEXES) "
        "PARTITION BY RANGE (at)"
    )
    cursor.execute(
        f"ALTER TABLE {quote(new)} ADD CONSTRAINT {quote(new + '_pkey')} PRIMARY KEY (id, at)"
    )
    for name, definition, primary in _indexes(cursor, table):
        if primary:
            continue
        found = _INDEX_DEF.match(definition)
        if not found or found[1]:
            raise ConversionError(
                f"index {name} cannot be carried over ({definition}): a unique index on a "
                "partitioned table must include the partition key `at`"
            )
        cursor.execute(f"CREATE INDEX {quote(name + '_part')} ON {quote(new)} {found[4]}")
    for month in p.months_between(first, last):
        cursor.execute(p.create_month_sql(new, table, month))
    cursor.execute(p.create_default_sql(new, table))
    return new


def _sequence(cursor: CursorWrapper, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [quote(table)])
    return cursor.fetchone()[0]


def _swap(cursor: CursorWrapper, table: str, add_fks: bool) -> None:
    """Rename `table` to `<table>_old` and `<table>_part` into its place, with their indexes,
    primary keys and identity sequences; carry over the foreign keys (added to the parent: with
    every partition's already validated, PostgreSQL attaches them without a scan), the
    sequence's position, the owner and the grants. The caller holds the lock."""
    new, old = f"{table}_part", f"{table}_old"
    fks = _foreign_keys(cursor, table)
    old_indexes = _indexes(cursor, table)
    old_seq = _sequence(cursor, table)
    cursor.execute(
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = %s",
        [table],
    )
    owner = cursor.fetchone()[0]
    cursor.execute(
        "SELECT grantee, string_agg(privilege_type, ', ') FROM information_schema.role_table_grants "
        "WHERE table_schema = current_schema() AND table_name = %s AND grantee <> %s GROUP BY 1",
        [table, owner],
    )
    grants = cursor.fetchall()
    for name, _definition, primary in old_indexes:
        if primary:
            cursor.execute(
                f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(name)} TO {quote(old + '_pkey')}"
            )
        else:
            cursor.execute(f"ALTER INDEX {quote(name)} RENAME TO {quote(name + '_old')}")
    cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(old)}")
    if old_seq:
        cursor.execute(f"ALTER SEQUENCE {old_seq} RENAME TO {quote(old + '_id_seq')}")
    for name, _definition, primary in _indexes(cursor, new):
        if primary:
            cursor.execute(
                f"ALTER TABLE {quote(new)} RENAME CONSTRAINT {quote(name)} TO {quote(table + '_pkey')}"
            )
        elif name.endswith("_part"):
            cursor.execute(f"ALTER INDEX {quote(name)} RENAME TO {quote(name[: -len('_part')])}")
    new_seq = _sequence(cursor, new)
    cursor.execute(f"ALTER TABLE {quote(new)} RENAME TO {quote(table)}")
    cursor.execute(f"ALTER SEQUENCE {new_seq} RENAME TO {quote(table + '_id_seq')}")
    # Ids stay unique only if the new sequence starts past every id the old one handed out.
    last = 0
    if old_seq:
        cursor.execute(f"SELECT last_value FROM {quote(old + '_id_seq')}")
        last = cursor.fetchone()[0]
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {quote(table)}")
    last = max(last, cursor.fetchone()[0])
    if last:
        cursor.execute("SELECT setval(%s::regclass, %s)", [quote(table + "_id_seq"), last])
    if add_fks:
        for name, definition in fks:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
    cursor.execute("SELECT current_user")
    if cursor.fetchone()[0] != owner:
        cursor.execute(f"ALTER TABLE {quote(table)} OWNER TO {quote(owner)}")
        for part in p.partitions(cursor, table):
            cursor.execute(f"ALTER TABLE {quote(part.name)} OWNER TO {quote(owner)}")
    for grantee, privileges in grants:
        who = "PUBLIC" if grantee == "PUBLIC" else quote(grantee)
        cursor.execute(f"GRANT {privileges} ON {quote(table)} TO {who}")


def convert_directly(cursor: CursorWrapper, table: str = p.TABLE) -> None:
    """Convert `table` in one transaction (for a small table: everything it holds is
    copied under the lock), dropping the old table. Does nothing if already partitioned."""
    if p.is_partitioned(cursor, table):
        return
    with transaction.atomic():
        cursor.execute(f"LOCK TABLE {quote(table)} IN ACCESS EXCLUSIVE MODE")
        first, last = _month_range(cursor, table)
        new = build_partitioned(cursor, table, first, last)
        cols = _columns(cursor, table)
        cursor.execute(f"INSERT INTO {quote(new)} ({cols}) SELECT {cols} FROM {quote(table)}")
        _swap(cursor, table, add_fks=True)
        cursor.execute(f"DROP TABLE {quote(table + '_old')}")


def unpartition_directly(cursor: CursorWrapper, table: str = p.TABLE) -> None:
    """The way back (migration 0019 reversed, on a small table): `table` as one plain table
    again, primary key (id), the same indexes and 0016's autovacuum settings, in one
    transaction. Does nothing if it is not partitioned."""
    if not p.is_partitioned(cursor, table):
        return
    new = f"{table}_part"
    with transaction.atomic():
        cursor.execute(f"LOCK TABLE {quote(table)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(
            f"CREATE TABLE {quote(new)} (LIKE {quote(table)} INCLUDING ALL EXCLUDING INDEXES) "
            f"WITH ({p.EVENT_AUTOVACUUM})"
        )
        cursor.execute(
            f"ALTER TABLE {quote(new)} ADD CONSTRAINT {quote(new + '_pkey')} PRIMARY KEY (id)"
        )
        for name, definition, primary in _indexes(cursor, table):
            found = _INDEX_DEF.match(definition)
            if not primary and found:
                cursor.execute(f"CREATE INDEX {quote(name + '_part')} ON {quote(new)} {found[4]}")
        cols = _columns(cursor, table)
        cursor.execute(f"INSERT INTO {quote(new)} ({cols}) SELECT {cols} FROM {quote(table)}")
        _swap(cursor, table, add_fks=True)
        cursor.execute(f"DROP TABLE {quote(table + '_old')}")


def row_count_above(cursor: CursorWrapper, table: str, limit: int) -> bool:
    """Whether `table` holds more than `limit` rows (counts at most limit + 1)."""
    cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {quote(table)} LIMIT %s) t", [limit + 1])
    return cursor.fetchone()[0] > limit


@dataclass
class Progress:
    months_done: int = 0
    months: int = 0
    copied: int = 0
    resynced: int = 0
    swapped: bool = False


class Conversion:
    """The online conversion of `table` (see the module's docstring); `run` does every step
    that is left, or stops after `max_batches` copy batches (for tests and careful operators)."""

    def __init__(
        self,
        table: str = p.TABLE,
        batch: int = 50_000,
        out: Callable[[str], None] = print,
        lock_timeout: str = p.LOCK_TIMEOUT,
        attempts: int = 20,
    ):
        self.table, self.batch, self.out = table, batch, out
        self.new, self.old = f"{table}_part", f"{table}_old"
        self.log, self.progress = f"{table}_convlog", f"{table}_convprogress"
        self.lock_timeout, self.attempts = lock_timeout, attempts
        self.state = Progress()

    # --- the steps ------------------------------------------------------------------------

    def run(self, swap: bool = True, max_batches: int | None = None) -> Progress:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
            if not cursor.fetchone()[0]:
                raise ConversionError("another conversion is running (advisory lock held)")
            try:
                if p.is_partitioned(cursor, self.table):
                    self.out(f"{self.table} is already partitioned; nothing to do.")
                    self.state.swapped = True
                    return self.state
                self.prepare(cursor)
                if not self.copy(cursor, max_batches):
                    return self.state
                self.add_partition_fks(cursor)
                self.catch_up(cursor, until=self.batch)
                # Statistics before the swap: a table without them gets generic plans, and
                # autovacuum never analyzes a partitioned parent (3.9 s at 3 M rows).
                cursor.execute(f"ANALYZE {quote(self.new)}")
                if swap:
                    self.swap(cursor)
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
        return self.state

    def prepare(self, cursor: CursorWrapper) -> None:
        if p.exists(cursor, self.new):
            return
        for name in user_triggers(cursor, self.table):
            self.out(f"warning: trigger {name} on {self.table} is not carried over; recreate it.")
        log, fn = quote(self.log), quote(f"{self.table}_convlog_fn")
        with transaction.atomic():
            cursor.execute(f"SET LOCAL lock_timeout = '{self.lock_timeout}'")
            cursor.execute(f"CREATE TABLE {log} (id bigint NOT NULL, at timestamptz NOT NULL)")
            cursor.execute(
                f"CREATE TABLE {quote(self.progress)} (month date PRIMARY KEY, "
                "last_at timestamptz, last_id bigint, done boolean NOT NULL DEFAULT false)"
            )
            cursor.execute(
                f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"INSERT INTO {log} (id, at) SELECT id, at FROM changed; RETURN NULL; END $$"
            )
            # From here every change to the live table is logged (CREATE TRIGGER waits for
            # the writers in flight, whose rows the copy's later snapshots then see).
            for suffix, event, ref in (
                ("ins", "INSERT", "NEW"),
                ("upd_old", "UPDATE", "OLD"),
                ("upd_new", "UPDATE", "NEW"),
                ("del", "DELETE", "OLD"),
            ):
                cursor.execute(
                    f"CREATE TRIGGER {quote(f'{self.table}_conv_{suffix}')} AFTER {event} "
                    f"ON {quote(self.table)} REFERENCING {ref} TABLE AS changed "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()"
                )
            first, last = _month_range(cursor, self.table)
            build_partitioned(cursor, self.table, first, last)
            cursor.execute(f"SELECT min(at), max(at) FROM {quote(self.table)}")
            lo, hi = cursor.fetchone()
            if lo is not None:
                for month in p.months_between(p.month_of(lo), p.month_of(hi)):
                    cursor.execute(
                        f"INSERT INTO {quote(self.progress)} (month) VALUES (%s)", [month]
                    )
        self.out(f"prepared {self.new} ({first:%Y-%m} to {last:%Y-%m}) and the change log.")

    def copy(self, cursor: CursorWrapper, max_batches: int | None) -> bool:
        """Copy the months not done yet; False if stopped by max_batches."""
        cols = _columns(cursor, self.table)
        cursor.execute(
            f"SELECT month, last_at, last_id, done FROM {quote(self.progress)} ORDER BY month"
        )
        months = cursor.fetchall()
        self.state.months = len(months)
        batches = 0
        for month, last_at, last_id, done in months:
            if done:
                self.state.months_done += 1
                continue
            lo, hi = p.bound(month), p.bound(p.add_months(month, 1))
            cursor_at, cursor_id = last_at or lo, last_id or 0
            started = time.monotonic()
            while True:
                if max_batches is not None and batches >= max_batches:
                    return False
                with transaction.atomic():
                    cursor.execute(
                        f"WITH batch AS (SELECT {cols} FROM {quote(self.table)} "
                        "WHERE at >= %s AND at < %s AND (at, id) > (%s, %s) "
                        "ORDER BY at, id LIMIT %s), "
                        f"ins AS (INSERT INTO {quote(self.new)} ({cols}) "
                        f"SELECT {cols} FROM batch ON CONFLICT DO NOTHING) "
                        "SELECT count(*), (SELECT at FROM batch ORDER BY at DESC, id DESC LIMIT 1), "
                        "(SELECT id FROM batch ORDER BY at DESC, id DESC LIMIT 1) FROM batch",
                        [lo, hi, cursor_at, cursor_id, self.batch],
                    )
                    n, last_at, last_id = cursor.fetchone()
                    done = n < self.batch
                    if n:
                        cursor_at, cursor_id = last_at, last_id
                    cursor.execute(
                        f"UPDATE {quote(self.progress)} SET last_at = %s, last_id = %s, "
                        "done = %s WHERE month = %s",
                        [cursor_at, cursor_id, done, month],
                    )
                batches += 1
                self.state.copied += n
                if done:
                    break
            self.state.months_done += 1
            self.out(
                f"month {month:%Y-%m} copied ({self.state.months_done}/{self.state.months}, "
                f"{time.monotonic() - started:.1f} s)"
            )
        return True

    def add_partition_fks(self, cursor: CursorWrapper) -> None:
        fks = _foreign_keys(cursor, self.table)
        for part in p.partitions(cursor, self.new):
            have = dict(self._constraints(cursor, part.name))
            for name, definition in fks:
                if name not in have:
                    self._with_lock_retry(
                        f"ALTER TABLE {quote(part.name)} ADD CONSTRAINT {quote(name)} "
                        f"{definition} NOT VALID"
                    )
                if not have.get(name):
                    cursor.execute(
                        f"ALTER TABLE {quote(part.name)} VALIDATE CONSTRAINT {quote(name)}"
                    )
        self.out(f"foreign keys validated on the {len(p.partitions(cursor, self.new))} partitions.")

    def _with_lock_retry(self, sql: str) -> None:
        """Run one DDL statement that needs a lock on a busy table (adding a foreign key locks
        the referenced table against writes while its triggers are created): wait at most
        lock_timeout each time, so writers never queue behind it for long."""
        for attempt in range(1, self.attempts + 1):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{self.lock_timeout}'")
                    cursor.execute(sql)
                return
            except OperationalError as exc:
                if "lock timeout" not in str(exc) or attempt == self.attempts:
                    raise
                time.sleep(1)

    def _constraints(self, cursor: CursorWrapper, table: str) -> list[tuple[str, bool]]:
        cursor.execute(
            "SELECT conname, convalidated FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND contype = 'f'",
            [quote(table)],
        )
        return cursor.fetchall()

    def _resync(self, cursor: CursorWrapper, limit: int | None) -> int:
        """Copy the logged rows again as they are now; returns how many log entries it took."""
        take = f"SELECT ctid FROM {quote(self.log)}" + (f" LIMIT {int(limit)}" if limit else "")
        cursor.execute(
            f"DELETE FROM {quote(self.log)} WHERE ctid = ANY(ARRAY({take})) RETURNING id, at"
        )
        rows = cursor.fetchall()
        if not rows:
            return 0
        ids = sorted({row[0] for row in rows})
        ats = sorted({row[1] for row in rows})
        cols = _columns(cursor, self.table)
        cursor.execute(
            f"DELETE FROM {quote(self.new)} WHERE id = ANY(%s) AND at = ANY(%s)", [ids, ats]
        )
        cursor.execute(
            f"INSERT INTO {quote(self.new)} ({cols}) SELECT {cols} FROM {quote(self.table)} "
            "WHERE id = ANY(%s)",
            [ids],
        )
        self.state.resynced += len(ids)
        return len(rows)

    def catch_up(self, cursor: CursorWrapper, until: int) -> None:
        """Resync the log in batches until fewer than `until` entries were left."""
        while True:
            with transaction.atomic():
                taken = self._resync(cursor, self.batch)
            if taken < until:
                break
        self.out(f"caught up ({self.state.resynced} rows written meanwhile copied again).")

    def swap(self, cursor: CursorWrapper) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                with transaction.atomic():
                    cursor.execute(f"SET LOCAL lock_timeout = '{self.lock_timeout}'")
                    started = time.monotonic()
                    cursor.execute(f"LOCK TABLE {quote(self.table)} IN ACCESS EXCLUSIVE MODE")
                    while self._resync(cursor, None):
                        pass
                    for suffix in ("ins", "upd_old", "upd_new", "del"):
                        cursor.execute(
                            f"DROP TRIGGER {quote(f'{self.table}_conv_{suffix}')} "
                            f"ON {quote(self.table)}"
                        )
                    _swap(cursor, self.table, add_fks=True)
                    cursor.execute(f"DROP FUNCTION {quote(f'{self.table}_convlog_fn')}()")
                    cursor.execute(f"DROP TABLE {quote(self.log)}, {quote(self.progress)}")
                    held = time.monotonic() - started
            except OperationalError as exc:
                if "lock timeout" not in str(exc) or attempt == self.attempts:
                    raise
                self.out(f"swap: lock not had in {self.lock_timeout} (attempt {attempt}); again.")
                self.catch_up(cursor, until=self.batch)
                continue
            self.state.swapped = True
            self.out(
                f"swapped: {self.table} is partitioned ({held:.2f} s under the lock); "
                f"the old rows are in {self.old}: check, then DROP TABLE {self.old}."
            )
            return
