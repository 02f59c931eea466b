"""One runner at a time across every worker: PostgreSQL session advisory locks.

A chain of tasks that drains a backlog (notifications.tasks.flush_outbox) takes one while it
runs so beat's next tick, or a second worker, does not start a second chain beside it. The
lock belongs to the database session: a worker killed with SIGKILL (or a database restart)
drops its connection and the lock with it, so a dead runner never blocks the next. Session
locks need a direct connection (or a session-pooling PgBouncer), not transaction pooling."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator

from django.db import DatabaseError, connection


def lock_id(name: str) -> int:
    """A stable 32-bit key for `name` (advisory locks take a bigint; crc32 is the same in
    every process, unlike hash())."""
    return zlib.crc32(name.encode())


@contextlib.contextmanager
def advisory(name: str) -> Iterator[bool]:
    """Try to hold the lock `name` for the block; yields False (and holds nothing) when
    another session has it. Never waits."""
    key = lock_id(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            # A broken connection has dropped the lock already.
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
