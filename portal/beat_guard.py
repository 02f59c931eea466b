"""Exactly one beat sends the periodic tasks, however many are started.

A second beat started by mistake (two hosts' units both enabled, a restart that overlapped)
would send every sweep, drain and purge twice. The tasks are idempotent, so nothing would be
doubled, but the work would be, and a mistake would hide. `GuardedScheduler` makes the beat
hold a PostgreSQL session-level advisory lock while it sends: a beat that cannot take the lock
waits, sends nothing, and tries again every LINLI_BEAT_LOCK_RETRY seconds, so it takes over
within that time when the holder dies (its session ends, PostgreSQL releases the lock).

The lock needs a session of its own on the primary: behind pgbouncer in transaction mode a
session lock would be held by whichever client the server connection serves next. Point
LINLI_BEAT_LOCK_DATABASE_URL at the primary directly in such a deployment (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import logging
import os

import environ
import psycopg2
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

log = logging.getLogger("linli.beat")

# Any fixed 64-bit number: the portal's one beat lock ("linli-beat" in ASCII, truncated).
LOCK_KEY = 0x6C696E6C69626561


def _connection_params() -> dict:
    url = os.environ.get("LINLI_BEAT_LOCK_DATABASE_URL")
    cfg = environ.Env.db_url_config(url) if url else settings.DATABASES["default"]
    params = {
        "dbname": cfg["NAME"],
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "connect_timeout": 5,
        "application_name": "linli-beat-lock",
    }
    params.update({k: v for k, v in (cfg.get("OPTIONS") or {}).items() if k in ("sslmode",)})
    return {k: v for k, v in params.items() if v is not None}


class BeatLock:
    """The advisory lock on a connection of its own; `held()` answers whether this process
    holds it now, taking it when it is free."""

    def __init__(self, key: int = LOCK_KEY):
        self.key = key
        self._conn = None

    def held(self) -> bool:
        if self._conn is not None:
            try:
                with self._conn.cursor() as cursor:
                    cursor.execute("SELECT 1")
                return True
            except psycopg2.Error:
                log.warning("the beat lock's database session was lost; taking it again")
                self.release()
        try:
            conn = psycopg2.connect(**_connection_params())
        except psycopg2.Error as exc:
            log.warning("the beat lock cannot be checked (database unreachable): %s", exc)
            return False
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.key])
            got = cursor.fetchone()[0]
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg2.Error):
                self._conn.close()
            self._conn = None


class GuardedScheduler(DatabaseScheduler):
    """django-celery-beat's scheduler, sending only while this beat holds the beat lock."""

    def __init__(self, *args, **kwargs):
        self.beat_lock = BeatLock()
        self._was_holding: bool | None = None
        self.lock_retry = float(os.environ.get("LINLI_BEAT_LOCK_RETRY", "15"))
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        holding = self.beat_lock.held()
        if holding != self._was_holding:
            if holding:
                log.info("beat lock taken: this beat sends the periodic tasks")
            else:
                log.warning(
                    "another beat holds the beat lock: this one sends nothing and checks "
                    "again every %.0f s",
                    self.lock_retry,
                )
            self._was_holding = holding
        if not holding:
            return self.lock_retry
        return super().tick(*args, **kwargs)

    def close(self):
        super().close()
        self.beat_lock.release()
