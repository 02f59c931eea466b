"""Reads that may go to a read replica: the dashboard's figures, the KPI API, the desk's Excel
export and Open311's GET requests read from the replica alias; writes, and reads anywhere else,
stay on the primary.

How a read gets there: code runs inside `reading_from(alias)` and the router sends every read
made there to that alias. The dashboard does so around its figures; `ReplicaReadsMiddleware`
does so around whole GET requests under LINLI["REPLICA_PATHS"] (the KPI API, the export,
Open311). Either asks `replica_alias()`, which answers the configured alias
(LINLI["DASHBOARD_DB"], env LINLI_DASHBOARD_DB; a replica is declared with DATABASE_READ_URL)
or None — the primary — when:

- the replica lags: its replay is more than LINLI_REPLICA_MAX_LAG seconds behind, measured on
  the replica (receive vs replay LSN, and the last replayed transaction's time) and kept
  LINLI_REPLICA_LAG_CACHE seconds per process; a replica that does not answer counts as
  infinitely behind;
- the user has just written (read-your-writes): every successful POST/PUT/PATCH/DELETE sets a
  cookie with its time, and for LINLI_READ_YOUR_WRITES seconds the browser's reads go to the
  primary, so a case just filed or a step just taken shows in the next page and export.

A replica that dies between the check and the query does not fail the request: the middleware
runs a GET view whose replica read failed again on the primary, and marks the replica down.
Responses under the middleware say where they read (`X-Linli-Read-From`) for operators.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from django.conf import settings
from django.db import DatabaseError, connections

from portal.outage import is_database_down

logger = logging.getLogger("linli.readdb")

_alias: ContextVar[str | None] = ContextVar("linli_read_alias", default=None)
_wrote_recently: ContextVar[bool] = ContextVar("linli_wrote_recently", default=False)

WROTE_COOKIE = "linli_wrote"
HEADER = "X-Linli-Read-From"

# The lag of the replica, measured on it (0 on a server that is not a standby: the tests'
# mirror). Receive == replay: it has applied all it got. Its WAL receiver not streaming: it
# gets nothing more, so it is as far behind as its last replayed transaction is old.
LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
       AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
  ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 1e9)
END
"""

_lag_cache: dict[str, tuple[float, float]] = {}  # alias → (measured at, seconds)
_lag_lock = threading.Lock()


@contextmanager
def reading_from(alias: str | None) -> Iterator[None]:
    """Send the reads made inside to `alias` (None or "default": the primary)."""
    token = _alias.set(None if alias in (None, "", "default") else alias)
    try:
        yield
    finally:
        _alias.reset(token)


def current_alias() -> str | None:
    return _alias.get()


def replica_lag(alias: str) -> float:
    """Seconds the replica `alias` is behind (math.inf when it does not answer), measured at
    most every LINLI_REPLICA_LAG_CACHE seconds per process.

    The measure runs in a thread of its own and is waited for LINLI_REPLICA_CHECK_TIMEOUT
    seconds (0: inline): behind pgbouncer a dead replica does not refuse the query, pgbouncer
    holds it while it retries the server (up to its query_wait_timeout), and a request must
    not wait that long to learn it should read from the primary."""
    now = time.monotonic()
    ttl = float(settings.LINLI.get("REPLICA_LAG_CACHE", 2.0))
    cached = _lag_cache.get(alias)
    if cached and now - cached[0] < ttl:
        return cached[1]
    with _lag_lock:
        cached = _lag_cache.get(alias)
        if cached and now - cached[0] < ttl:
            return cached[1]
        timeout = float(settings.LINLI.get("REPLICA_CHECK_TIMEOUT", 1.0))
        if timeout <= 0:
            lag = _measure(alias)
        elif alias in _in_flight:
            lag = math.inf  # the last measure has not come back yet
        else:
            result: list[float] = []
            thread = threading.Thread(
                target=_measure_apart, args=(alias, result), daemon=True, name="replica-lag"
            )
            _in_flight.add(alias)
            thread.start()
            thread.join(timeout)
            lag = result[0] if result else math.inf
            if not result:
                logger.warning("replica %s did not answer within %ss", alias, timeout)
        _lag_cache[alias] = (time.monotonic(), lag)
        return lag


_in_flight: set[str] = set()


def _measure(alias: str) -> float:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(LAG_SQL)
            return float(cursor.fetchone()[0])
    except DatabaseError as exc:
        logger.warning("replica %s does not answer: %s", alias, exc)
        _close_quietly(alias)
        return math.inf


def _measure_apart(alias: str, result: list[float]) -> None:
    """In its own thread (and so its own connection, closed at the end)."""
    try:
        lag = _measure(alias)
        result.append(lag)
        _lag_cache[alias] = (time.monotonic(), lag)  # a late answer still counts
    finally:
        _in_flight.discard(alias)
        _close_quietly(alias)


def mark_down(alias: str) -> None:
    """The replica failed a query: count it as infinitely behind until the next measure."""
    _lag_cache[alias] = (time.monotonic(), math.inf)
    _close_quietly(alias)


def forget_lag() -> None:
    _lag_cache.clear()


def _close_quietly(alias: str) -> None:
    with suppress(DatabaseError):
        connections[alias].close()


def replica_alias() -> str | None:
    """The alias for reads that may be a moment old, or None (the primary): see the module."""
    alias = settings.LINLI.get("DASHBOARD_DB") or "default"
    if alias == "default" or _wrote_recently.get():
        return None
    if alias not in settings.DATABASES:
        return alias  # misconfigured: let the first query say so, as it always did
    max_lag = float(settings.LINLI.get("REPLICA_MAX_LAG", 5.0))
    return alias if replica_lag(alias) <= max_lag else None


def wrote_recently(request) -> bool:
    """Whether the browser's last successful write is under LINLI_READ_YOUR_WRITES old."""
    try:
        at = float(request.COOKIES.get(WROTE_COOKIE, ""))
    except ValueError:
        return False
    return 0 <= time.time() - at < float(settings.LINLI.get("READ_YOUR_WRITES", 10))


class ReplicaReadsMiddleware:
    """Read-your-writes for every request, and GET requests under LINLI["REPLICA_PATHS"] read
    from the replica when `replica_alias()` allows (see the module)."""

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response):
        self.get_response = get_response

    def _routed(self, request) -> bool:
        return request.method in ("GET", "HEAD") and request.path.startswith(
            tuple(settings.LINLI.get("REPLICA_PATHS", ()))
        )

    def __call__(self, request):
        token = _wrote_recently.set(wrote_recently(request))
        try:
            if self._routed(request):
                alias = replica_alias()
                with reading_from(alias):
                    response = self.get_response(request)
                response[HEADER] = getattr(request, "_linli_read_from", alias or "default")
            else:
                response = self.get_response(request)
        finally:
            _wrote_recently.reset(token)
        if request.method in self.UNSAFE and response.status_code < 400:
            window = int(settings.LINLI.get("READ_YOUR_WRITES", 10))
            if window > 0:
                response.set_cookie(
                    WROTE_COOKIE,
                    f"{time.time():.3f}",
                    max_age=window,
                    samesite="Lax",
                    secure=request.is_secure(),
                    httponly=True,
                )
        return response

    def process_exception(self, request, exception):
        """The replica went away mid-request: the same GET again on the primary."""
        alias = _alias.get()
        if alias is None or not self._routed(request) or not is_database_down(exception):
            return None
        logger.warning("replica %s failed during %s: reading from the primary", alias, request.path)
        mark_down(alias)
        match = request.resolver_match
        request._linli_read_from = "default"
        with reading_from(None):
            return match.func(request, *match.args, **match.kwargs)


class ReadRouter:
    """settings.DATABASE_ROUTERS: reads inside `reading_from` go to its alias; every write goes
    to the primary (also of an object read from the replica)."""

    def db_for_read(self, model, **hints):
        return _alias.get()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows: objects from either relate

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return None if db == "default" else False  # a replica follows the primary's schema
